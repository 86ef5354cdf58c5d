"""Contract & operation status (ご契約・運用状況): voice groups, contracts (N番), base numbers and
their dial-in numbers, read-only for the customer's organisation."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from numbering import phone, selectors
from numbering.models import ServiceType
from portal.views import PAGE_SIZE, customer_required, query_without_page


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
