"""The kernel's screens: sign-in, password change, help; `customer_required` for every app's views."""

import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from portal.celery import app as celery_app

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


def query_without_page(request: HttpRequest) -> str:
    """The current filters, for paging links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def site_url(request: HttpRequest) -> str:
    """The site as this request reached it (scheme and a host ALLOWED_HOSTS accepts): e-mail links
    point here when PORTAL_BASE_URL is not set, so `make run PORT=8123` mails links to 8123."""
    return f"{request.scheme}://{request.get_host()}"


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and belonging to an organisation; operators use the admin instead. A fragment or
    a page's polling asked for after the session ended sends the whole page to sign-in (never the
    sign-in form into a table cell)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.organisation_id is None:
            return render(request, "portal/operator_only.html", status=403)
        return view(request, *args, **kwargs)

    @wraps(view)
    def signed_in(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if getattr(request, "htmx", False) and not request.user.is_authenticated:
            page = request.htmx.current_url_abs_path or resolve_url(settings.LOGIN_REDIRECT_URL)
            return HttpResponseClientRedirect(redirect_to_login(page).url)
        return wrapper(request, *args, **kwargs)

    return signed_in


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from portal.services import demo_accounts

        return {**super().get_context_data(**kwargs), "demo_accounts": demo_accounts()}


@require_POST
def demo_sign_in(request: HttpRequest) -> HttpResponse:
    """Demo mode: sign in as one of the demo accounts with one click (no password). Refused (404)
    outside demo mode and for any other account."""
    from django.contrib.auth import login
    from django.http import Http404
    from django.shortcuts import redirect

    from portal.models import User
    from portal.services import demo_accounts

    username = request.POST.get("username", "")
    if username not in {a["username"] for a in demo_accounts()}:
        raise Http404
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Http404
    login(request, user, backend="portal.backends.OrganisationModelBackend")
    return redirect("admin:index" if user.is_staff else settings.LOGIN_REDIRECT_URL)


def locked_out(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes: too many failed sign-ins for this user name from this address."""
    form = AuthenticationForm(request)
    form.fields["username"].initial = (credentials or {}).get("username", "")
    return render(request, "portal/login.html", {"form": form, "locked": True,
                                                 "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
                  status=429)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "portal/password_change_done.html"


def help_page(request: HttpRequest) -> HttpResponse:
    """困ったときは: public, so it is reachable from the sign-in page too. In a demo or test
    installation (PORTAL_NETWORK_SCENARIOS) it lists the test values that make the network fail."""
    return render(request, "portal/help.html", {"scenarios": settings.PORTAL_NETWORK_SCENARIOS})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: 200 when the database answers and the broker
    can be reached within a second or two, else 503 with what failed. No session, no sign-in."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.warning("health: database unreachable: %s", error)
        checks["database"] = "unreachable"
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001 - any transport error means "unreachable" here
        logger.warning("health: broker unreachable: %s", error)
        checks["broker"] = "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unhealthy", **checks}, status=200 if healthy else 503)


API_KEY_SHOWN = "api_key_shown"  # session: the new key, shown once on the next page, then forgotten


@customer_required
def api_keys(request: HttpRequest) -> HttpResponse:
    """API キー: the organisation's keys (name, prefix, who made it, last use, state), a new key
    (shown once, in full, on the page after), revocation. Linked to the API reference."""
    from portal.apikeys import api_key_create
    from portal.forms import ApiKeyForm
    from portal.models import ApiKey

    form = ApiKeyForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            row, key = api_key_create(user=request.user, name=form.cleaned_data["name"])
            request.session[API_KEY_SHOWN] = {"id": row.pk, "key": key}
            return redirect("portal:api_keys")
        status = 422
    else:
        status = 200
    shown = request.session.pop(API_KEY_SHOWN, None)
    keys = ApiKey.objects.filter(organisation=request.user.organisation).select_related("user")
    return render(request, "portal/api_keys.html", {
        "form": form, "keys": keys, "shown": shown, "nav": "api",
        "docs_url": reverse("api:openapi-view"), "schema_url": reverse("api:openapi-json"),
    }, status=status)


@require_POST
@customer_required
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    """無効にする: the key authenticates nothing from the next request on."""
    from portal.apikeys import api_key_revoke as revoke
    from portal.models import ApiKey

    key = get_object_or_404(ApiKey, pk=key_id, organisation=request.user.organisation)
    if revoke(key=key):
        messages.success(request, _("API キー「%(name)s」を無効にしました。") % {"name": key.name})
    return redirect("portal:api_keys")


@customer_required
def webhooks(request: HttpRequest) -> HttpResponse:
    """Webhook: the organisation's endpoints (URL, events, state) and a new one (up to 10)."""
    from django.core.exceptions import ValidationError

    from portal import webhooks as service
    from portal.forms import WebhookEndpointForm
    from portal.models import WebhookEndpoint

    organisation = request.user.organisation
    form = WebhookEndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                endpoint = service.endpoint_create(organisation=organisation, url=form.cleaned_data["url"],
                                                   description=form.cleaned_data["description"],
                                                   events=form.cleaned_data["events"])
            except ValidationError as exc:
                form.add_error(None, exc.messages[0])
            else:
                messages.success(request, _(
                    "Webhook エンドポイントを追加しました。署名シークレットで受信内容を検証してください。"))
                return redirect("portal:webhook_detail", endpoint_id=endpoint.pk)
        status = 422
    endpoints = WebhookEndpoint.objects.filter(organisation=organisation).order_by("pk")
    return render(request, "portal/webhooks.html", {"form": form, "endpoints": endpoints, "nav": "api",
                                                    "max_endpoints": service.MAX_ENDPOINTS}, status=status)


@customer_required
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """An endpoint: its secret (rotate), on/off, delete, and the delivery log with 再送."""
    from django.core.paginator import Paginator

    from portal import webhooks as service
    from portal.models import WebhookDelivery, WebhookEndpoint

    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id, organisation=request.user.organisation)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "rotate":
            service.endpoint_rotate(endpoint=endpoint)
            messages.success(request, _(
                "署名シークレットを新しくしました。以前のシークレットも24時間は併せて署名します。"))
        elif action in ("enable", "disable"):
            endpoint.enabled = action == "enable"
            if endpoint.enabled:
                endpoint.disabled_reason, endpoint.failing_since = "", None
            endpoint.save(update_fields=["enabled", "disabled_reason", "failing_since"])
            messages.success(request, _("送信を再開しました。") if endpoint.enabled else _("送信を停止しました。"))
        elif action == "delete":
            service.endpoint_delete(endpoint=endpoint)
            messages.success(request, _("Webhook エンドポイントを削除しました。"))
            return redirect("portal:webhooks")
        elif action == "resend":
            delivery = WebhookDelivery.objects.filter(pk=request.POST.get("delivery") or 0, endpoint=endpoint).first()
            if delivery is not None:
                service.delivery_resend(delivery=delivery)
                messages.success(request, _("イベント %(id)s を再送します。") % {"id": delivery.event.msg_id})
        return redirect("portal:webhook_detail", endpoint_id=endpoint.pk)
    deliveries = (WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event")
                  .prefetch_related("attempt_log").order_by("-pk"))
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    return render(request, "portal/webhook_detail.html", {"endpoint": endpoint, "page": page, "nav": "api"})


@csrf_exempt
@require_POST
def webhook_inbox_receive(request: HttpRequest, token: str) -> HttpResponse:
    """The built-in receiver's URL: takes a delivery (no session, no CSRF: it is a webhook) and
    answers 204; an unknown token 404."""
    from portal import webhooks as service
    from portal.models import WebhookInbox

    inbox = WebhookInbox.objects.filter(token=token).first()
    if inbox is None:
        raise Http404
    body = request.body[:service.INBOX_MAX_BYTES + 1]
    if len(body) > service.INBOX_MAX_BYTES:
        return HttpResponse(status=413)
    headers = {k.lower(): v for k, v in request.headers.items()}
    service.inbox_receive(inbox=inbox, body=body, headers=headers, path=request.path)
    return HttpResponse(status=204)


@vary_on_headers("HX-Request")
@customer_required
def webhook_inbox(request: HttpRequest) -> HttpResponse:
    """受信箱: what the built-in receiver got, live (htmx polls the rows), each with its verdict;
    one click makes it an endpoint of the organisation."""
    from portal import webhooks as service
    from portal.models import WebhookEndpoint

    inbox = service.inbox_of(request.user.organisation)
    url = request.build_absolute_uri(reverse("portal:webhook_inbox_receive", args=[inbox.token]))
    if request.method == "POST":
        from django.core.exceptions import ValidationError

        if not WebhookEndpoint.objects.filter(organisation=request.user.organisation, url=url).exists():
            try:
                service.endpoint_create(organisation=request.user.organisation, url=url,
                                        description=str(_("組み込みの受信箱")))
            except ValidationError as exc:
                messages.error(request, exc.messages[0])
            else:
                messages.success(request, _("受信箱をエンドポイントとして追加しました。"))
        return redirect("portal:webhook_inbox")
    context = {"inbox_url": url, "nav": "api",
               "registered": WebhookEndpoint.objects.filter(organisation=request.user.organisation, url=url).exists(),
               "inbox_messages": inbox.messages.all()[:50]}
    if getattr(request, "htmx", False):
        return render(request, "portal/webhook_inbox.html#rows", context)
    return render(request, "portal/webhook_inbox.html", context)
