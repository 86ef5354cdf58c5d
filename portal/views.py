"""Customer screens: sign-in, dashboard, IP Voice menu, contract & operation status."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET

from numbering import phone, selectors
from numbering.models import ServiceType
from portal import clock
from portal.models import WorkerHeartbeat

PAGE_SIZE = 100


def query_without_page(request: HttpRequest) -> str:
    """The current filters, for paging links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and belonging to an organisation; operators use the admin instead."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.organisation_id is None:
            return render(request, "portal/operator_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "portal/password_change_done.html"


@require_GET
@customer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    groups = selectors.voice_groups_for(organisation=organisation)
    beats = {b.name: b for b in WorkerHeartbeat.objects.filter(name__in=("worker", "scheduler"))}
    heartbeat = beats.get("worker")
    # The worker's heartbeat is a task the scheduler sends: fresh only when both run. The
    # scheduler writes its own, so the page can say which one stopped.
    worker_alive = bool(heartbeat and (clock.now() - heartbeat.seen_at).total_seconds() < 120)
    scheduler = beats.get("scheduler")
    scheduler_alive = bool(scheduler and (clock.now() - scheduler.seen_at).total_seconds() < 120)
    from orders.selectors import drafts_open

    drafts = drafts_open(organisation=organisation).count()
    return render(
        request,
        "portal/dashboard.html",
        {"organisation": organisation, "groups": groups, "worker_alive": worker_alive,
         "scheduler_alive": scheduler_alive,
         "heartbeat": heartbeat, "drafts": drafts},
    )


@require_GET
@customer_required
def ipvoice_menu(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/ipvoice_menu.html")


@require_GET
@customer_required
def voice_group_list(request: HttpRequest) -> HttpResponse:
    groups = selectors.voice_groups_for(organisation=request.user.organisation)
    return render(request, "portal/voice_group_list.html", {"groups": groups})


@require_GET
@customer_required
def contract_list(request: HttpRequest) -> HttpResponse:
    """ご契約・運用状況一覧: the organisation's voice contracts (N番)."""
    organisation = request.user.organisation
    contracts = selectors.contracts_for(organisation=organisation)
    group_id = request.GET.get("group", "").strip()
    query = request.GET.get("q", "").strip()
    group = None
    if group_id:
        group = selectors.voice_group_get(organisation=organisation, group_id=group_id)
        contracts = contracts.filter(voice_group=group)
    if query:
        contracts = contracts.filter(number__icontains=query)
    page = Paginator(contracts.order_by("number"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/contract_list.html",
        {"page": page, "group": group, "query": query, "extra_query": query_without_page(request),
         "groups": selectors.voice_groups_for(organisation=organisation)},
    )


@require_GET
@customer_required
def contract_detail(request: HttpRequest, number: str) -> HttpResponse:
    contract = selectors.contract_get(organisation=request.user.organisation, number=number)
    base_numbers = selectors.base_numbers_for_contract(contract=contract).order_by("number")
    return render(
        request,
        "portal/contract_detail.html",
        {
            "contract": contract,
            "base_numbers": base_numbers,
            "network_addresses": contract.network_addresses.all(),
            "freephone_links": contract.freephone_links.all(),
            "ServiceType": ServiceType,
        },
    )


@require_GET
@customer_required
def base_number_detail(request: HttpRequest, number: str, base: str) -> HttpResponse:
    contract = selectors.contract_get(organisation=request.user.organisation, number=number)
    base_number = selectors.base_number_get(contract=contract, number=base)
    dial_ins = base_number.dial_ins.order_by("number")
    query = phone.normalise(request.GET.get("q", ""))
    if query:
        if not query.isdigit():
            raise Http404
        dial_ins = dial_ins.filter(Q(number__contains=query))
    page = Paginator(dial_ins, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/base_number_detail.html",
        {"contract": contract, "base_number": base_number, "page": page, "query": query,
         "extra_query": query_without_page(request)},
    )


def help_page(request: HttpRequest) -> HttpResponse:
    """困ったときは: public, so it is reachable from the sign-in page too."""
    return render(request, "portal/help.html")
