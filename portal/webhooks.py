"""Webhooks (Standard Webhooks): an organisation's endpoints, the events its programs are told,
and their delivery — signed with `standardwebhooks` (HMAC v1, `whsec_` secrets), at least once, in
event order per subject (an order), retried on the spec's schedule, every attempt logged.

    a service's transaction ─► event_emit (event + one delivery per endpoint that wants it)
                           ─► on commit: the task webhook_deliver ─► delivery_send (claim, sign, POST)
    beat ─► webhooks_sweep: due retries and deliveries whose task was lost or whose worker died

The events themselves (order.accepted …) are named by the apps that emit them."""

import base64
import datetime as dt
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import ssl
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from portal import clock
from portal.db import is_retryable
from portal.models import Organisation, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)

# The Standard Webhooks retry schedule (seconds after the attempt before): immediately, 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; each with ±10 % jitter.
SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
TIMEOUT_SECONDS = 15
# A delivery claimed longer ago than this was lost with its worker (more than the send's timeout).
LEASE = dt.timedelta(seconds=int(getattr(settings, "PORTAL_WEBHOOK_LEASE_SECONDS", 60)))
DISABLE_AFTER = dt.timedelta(days=5)
MAX_ENDPOINTS = 10
RESPONSE_KEPT = 2048
ROTATION_OVERLAP = dt.timedelta(hours=24)


# The event types endpoints may filter on; each app registers its own (orders.events).
EVENT_TYPES: list[str] = []


def event_types_register(*types: str) -> None:
    EVENT_TYPES.extend(t for t in types if t not in EVENT_TYPES)


# --- Endpoints --------------------------------------------------------------------------------------

def secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def url_check(url: str) -> str:
    """An endpoint's URL as it may be sent to: http(s), no credentials, an address that is not
    private, loopback or link-local (unless WEBHOOKS_ALLOW_PRIVATE). ValidationError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(_("URL は http:// または https:// で始めてください。"))
    if parts.username or parts.password:
        raise ValidationError(_("URL に認証情報（ユーザー名・パスワード）は含められません。"))
    _address_for(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    return url.strip()


def _address_for(host: str, port: int) -> str:
    """The address to connect to; refused when it is not a public one (checked at every send, so a
    name that later resolves elsewhere is caught)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(_("URL のホスト名を解決できません。")) from exc
    address = infos[0][4][0]
    ip = ipaddress.ip_address(address)
    if not settings.WEBHOOKS_ALLOW_PRIVATE and (ip.is_private or ip.is_loopback or ip.is_link_local
                                                 or ip.is_reserved or ip.is_multicast or ip.is_unspecified):
        raise ValidationError(_("社内・ローカルのアドレス（%(ip)s）には送信できません。") % {"ip": address})
    return address


class EndpointCapReached(ValidationError):
    pass


@transaction.atomic
def endpoint_create(*, organisation: Organisation, url: str, description: str = "",
                    events: list[str] | None = None) -> WebhookEndpoint:
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()  # the cap holds under races
    if WebhookEndpoint.objects.filter(organisation=organisation).count() >= MAX_ENDPOINTS:
        raise EndpointCapReached(_("Webhook エンドポイントは %(n)s 件までです。") % {"n": MAX_ENDPOINTS})
    return WebhookEndpoint.objects.create(organisation=organisation, url=url_check(url), description=description,
                                          events=list(events or []), secret=secret_new())


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its deliveries and their attempts (the database cascades them in one
    statement). A worker writing to the same rows at that moment may make the two wait for each
    other: the database then undoes one, and the removal is tried again."""
    for attempt in range(1, 4):
        try:
            with transaction.atomic():
                WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
            return
        except OperationalError as exc:
            if not is_retryable(exc) or attempt == 3:
                raise
            time.sleep(0.05 * attempt)


def endpoint_rotate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for a day, so receivers can switch."""
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret_new()
    endpoint.previous_until = timezone.now() + ROTATION_OVERLAP
    endpoint.save(update_fields=["secret", "previous_secret", "previous_until"])
    return endpoint


# --- Events ----------------------------------------------------------------------------------------------

def event_emit(*, organisation_id: int, type: str, data: Callable[[], dict], subject: str = "",
               at: dt.datetime | None = None) -> WebhookEvent | None:
    """Record an event (in the caller's transaction) and one delivery per endpoint that wants it;
    the deliveries start once the transaction commits. `data` is only built when someone listens."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(organisation_id=organisation_id, enabled=True)
                 if e.wants(type)]
    if not endpoints:
        return None
    event = WebhookEvent.objects.create(msg_id=f"msg_{uuid.uuid4().hex}", organisation_id=organisation_id, type=type,
                                        subject=subject, occurred_at=at or clock.now(), data=data())
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=endpoint, next_attempt_at=now) for endpoint in endpoints])
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: deliveries_enqueue(ids))
    return event


def deliveries_enqueue(ids: list[int]) -> None:
    from portal import tasks
    from portal.dispatch import enqueue

    enqueue(tasks.webhook_deliver, ids)


def payload(event: WebhookEvent) -> bytes:
    """The body: type, the organisation's clock time of the event, and its data."""
    return json.dumps({"type": event.type, "timestamp": timezone.localtime(event.occurred_at).isoformat(),
                       "data": event.data}, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def signature(endpoint: WebhookEndpoint, msg_id: str, at: dt.datetime, body: bytes) -> str:
    """`webhook-signature`: v1 with the secret, and with the previous one during a rotation."""
    signed = [Webhook(endpoint.secret).sign(msg_id, at, body)]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > timezone.now():
        signed.append(Webhook(endpoint.previous_secret).sign(msg_id, at, body))
    return " ".join(signed)


# --- Delivery ------------------------------------------------------------------------------------------------

def delivery_send(*, delivery_id: int) -> bool:
    """One attempt of a delivery, if it is due and its subject's earlier events to this endpoint are
    done (in order per order). Claimed with a lease, so two workers never send it at once; a worker
    killed mid-send leaves the lease to expire and the sweep tries again."""
    now = timezone.now()
    claimed = (WebhookDelivery.objects.filter(pk=delivery_id, state=WebhookDelivery.State.PENDING,
                                              next_attempt_at__lte=now + dt.timedelta(seconds=1))
               .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)).update(claimed_at=now))
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    event, endpoint = delivery.event, delivery.endpoint
    if not endpoint.enabled:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state=WebhookDelivery.State.FAILED, claimed_at=None)
        return False
    if event.subject and WebhookDelivery.objects.filter(
            endpoint=endpoint, event__subject=event.subject, event__organisation_id=event.organisation_id,
            event__pk__lt=event.pk, state=WebhookDelivery.State.PENDING).exists():
        # An earlier event of this order is still on its way: this one follows it.
        WebhookDelivery.objects.filter(pk=delivery.pk, claimed_at=now).update(claimed_at=None)
        return False
    body = payload(event)
    sent_at = timezone.now()
    headers = {"content-type": "application/json", "user-agent": "ipvoice-portal-simulator-webhooks/1",
               "webhook-id": event.msg_id, "webhook-timestamp": str(int(sent_at.timestamp())),
               "webhook-signature": signature(endpoint, event.msg_id, sent_at, body)}
    started = time.monotonic()
    status, text, error = None, "", ""
    try:
        status, text = http_post(endpoint.url, body, headers)
    except (OSError, ValidationError, http.client.HTTPException) as exc:
        error = (getattr(exc, "messages", None) or [str(exc) or type(exc).__name__])[0][:300]
    duration = int((time.monotonic() - started) * 1000)
    try:
        return _attempt_record(delivery, event, endpoint, sent_at=sent_at, status=status, text=text, error=error,
                               duration=duration)
    except IntegrityError:
        # The endpoint was removed while this attempt was on its way: nothing is left to record.
        if WebhookDelivery.objects.filter(pk=delivery.pk).exists():
            raise
        return False


def _attempt_record(delivery, event, endpoint, *, sent_at, status, text, error, duration) -> bool:
    with transaction.atomic():
        WebhookAttempt.objects.create(delivery_id=delivery.pk, at=sent_at, status_code=status, duration_ms=duration,
                                      response_body=text[:RESPONSE_KEPT], error=error)
        attempts = delivery.attempts + 1
        if status is not None and 200 <= status < 300:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                state=WebhookDelivery.State.DELIVERED, attempts=attempts, delivered_at=timezone.now(),
                claimed_at=None, last_status=status)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            follower = (WebhookDelivery.objects.filter(
                endpoint=endpoint, event__subject=event.subject, event__organisation_id=event.organisation_id,
                event__pk__gt=event.pk, state=WebhookDelivery.State.PENDING).order_by("event__pk")
                .values_list("pk", flat=True).first() if event.subject else None)
            if follower:
                transaction.on_commit(lambda: deliveries_enqueue([follower]))
            return True
        if status == 410:  # Gone: the receiver asks not to be sent to again
            _endpoint_disable(endpoint, _("受信側が 410 Gone を返したため停止しました。"))
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                state=WebhookDelivery.State.FAILED, attempts=attempts, claimed_at=None, last_status=status)
            return False
        failing_since = endpoint.failing_since or sent_at
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=sent_at)
        if attempts >= len(SCHEDULE):
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                state=WebhookDelivery.State.FAILED, attempts=attempts, claimed_at=None, last_status=status)
        else:
            delay = SCHEDULE[attempts] * random.uniform(0.9, 1.1)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                attempts=attempts, claimed_at=None, last_status=status,
                next_attempt_at=timezone.now() + dt.timedelta(seconds=delay))
            if delay <= 60:
                transaction.on_commit(lambda: _enqueue_later(delivery.pk, delay))
        if timezone.now() - failing_since >= DISABLE_AFTER:
            _endpoint_disable(endpoint, _("5日間送信に失敗し続けたため停止しました。"))
    return False


def _enqueue_later(delivery_id: int, delay: float) -> None:
    from portal import tasks

    try:
        tasks.webhook_deliver.apply_async((delivery_id,), countdown=delay)
    except Exception:  # the sweep finds it
        logger.warning("could not schedule the retry of webhook delivery %s", delivery_id, exc_info=True)


def _endpoint_disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to an endpoint and tell the organisation's users by e-mail."""
    from django.core.mail import send_mail

    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(enabled=False, disabled_reason=reason):
        return
    WebhookDelivery.objects.filter(endpoint=endpoint, state=WebhookDelivery.State.PENDING).update(
        state=WebhookDelivery.State.FAILED)
    recipients = list(endpoint.organisation.users.filter(is_active=True).exclude(email="")
                      .values_list("email", flat=True))
    if recipients:
        subject = _("【%(brand)s】Webhook エンドポイントへの送信を停止しました") % {"brand": settings.PORTAL_BRAND}
        body = _("次の Webhook エンドポイントへの送信を停止しました。\n\nURL: %(url)s\n理由: %(reason)s\n\n"
                 "ポータルの API キー／Webhook ページで確認し、有効に戻してください。") % {
            "url": endpoint.url, "reason": reason}

        def tell() -> None:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
            except Exception:  # the endpoint page says it too
                logger.warning("could not tell %s that webhook endpoint %s stopped", recipients, endpoint.pk,
                               exc_info=True)

        transaction.on_commit(tell)


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries due now whose task is not running (lost, broker down, worker killed)."""
    now = timezone.now()
    return list(WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now)
                .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
                .order_by("event__pk").values_list("pk", flat=True)[:limit])


def deliveries_send_due() -> int:
    """Every due delivery sent here and now, one after the other (the tests; the worker's sweep
    hands each to a task of its own instead). Returns how many were delivered."""
    return sum(bool(delivery_send(delivery_id=pk)) for pk in deliveries_due())


def delivery_resend(*, delivery: WebhookDelivery) -> None:
    """再送: the event once more to its endpoint, now (a new attempt in the log)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=WebhookDelivery.State.PENDING, claimed_at=None,
                                                          next_attempt_at=timezone.now(), attempts=F("attempts"))
    transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))


# --- HTTP, guarded --------------------------------------------------------------------------------------------

class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the address checked, with the certificate checked for the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST to the address the name resolves to now (checked again: no DNS rebinding into the
    network), no redirect followed (a 3xx is an answer like any other), 15 s timeout."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _address_for(parts.hostname, port)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(parts.hostname, address, port, TIMEOUT_SECONDS)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body, headers={**headers, "host": parts.netloc.rpartition("@")[2]})
        response = connection.getresponse()
        text = response.read(RESPONSE_KEPT).decode("utf-8", "replace")
        return response.status, text
    finally:
        connection.close()


# --- The built-in receiver (受信箱) -------------------------------------------------------------------------------

INBOX_KEPT = 200  # messages kept per inbox
INBOX_MAX_BYTES = 512 * 1024


def inbox_of(organisation: Organisation):
    from portal.models import WebhookInbox

    inbox, _created = WebhookInbox.objects.get_or_create(
        organisation=organisation, defaults={"token": secrets.token_urlsafe(24)})
    return inbox


def inbox_receive(*, inbox, body: bytes, headers: dict[str, str], path: str):
    """A delivery to the built-in receiver, verified as a receiver must: with the secret (or the
    previous one, during a rotation) of the organisation's endpoint at this URL, the timestamp
    within five minutes of now."""
    from standardwebhooks.webhooks import WebhookVerificationError

    from portal.models import WebhookInboxMessage

    verified = False
    # The endpoints pointing at this inbox, whatever host or scheme they name it by (a proxy).
    for endpoint in WebhookEndpoint.objects.filter(organisation_id=inbox.organisation_id, url__endswith=path):
        for secret in (endpoint.secret, endpoint.previous_secret):
            if not secret:
                continue
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified = True
            break
    try:
        kind = str(json.loads(body).get("type", ""))[:40]
    except (ValueError, AttributeError):
        kind = ""
    message = WebhookInboxMessage.objects.create(
        inbox=inbox, received_at=clock.now(), msg_id=headers.get("webhook-id", "")[:100], type=kind,
        verified=verified, body=body.decode("utf-8", "replace"))
    stale = WebhookInboxMessage.objects.filter(inbox=inbox).order_by("-pk").values_list("pk", flat=True)[INBOX_KEPT:]
    WebhookInboxMessage.objects.filter(pk__in=list(stale)).delete()
    return message
