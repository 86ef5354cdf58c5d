"""Order e-mails as an outbox: composed and stored in the order's transaction, delivered after
commit by a task. Every mail stays readable in admin and, in the demo, in the customer's mailbox."""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from orders.models import Order, SentMail
from portal import clock
from portal.i18n import brand_names

SUBJECTS = {
    SentMail.Kind.ACCEPTED: gettext_lazy("【%(brand)s】申し込み完了通知メール（リクエストID：%(request_id)s）"),
    SentMail.Kind.COMPLETED: gettext_lazy("【%(brand)s】工事完了通知メール（リクエストID：%(request_id)s）"),
    SentMail.Kind.CANCELLED: gettext_lazy(
        "【%(brand)s】お申し込みキャンセルのお知らせ（リクエストID：%(request_id)s）"),
    SentMail.Kind.OPTION_CANCELLED: gettext_lazy(
        "【%(brand)s】特定番号通知キャンセルのお知らせ（リクエストID：%(request_id)s）"),
    SentMail.Kind.DATE_CHANGED: gettext_lazy("【%(brand)s】工事日変更のお知らせ（リクエストID：%(request_id)s）"),
}
FALLBACK_SITE = "http://127.0.0.1:8000"


def absolute_url(order: Order, path: str) -> str:
    """PORTAL_BASE_URL when set, else the site the order was placed on."""
    return (settings.PORTAL_BASE_URL or order.site_url or FALLBACK_SITE).rstrip("/") + path


def mail_compose(*, order: Order, kind: str, extra: dict | None = None) -> SentMail | None:
    """Store the e-mail for this order and kind, written in the language the customer ordered in;
    None when it already exists (sent once only)."""
    if not order.contact_email:
        return None
    with translation.override(order.language or settings.LANGUAGE_CODE):
        brand, company = brand_names()
        context = {
            "order": order,
            "kind": kind,
            "language": translation.get_language(),
            "brand": brand,
            "company": company,
            "support_email": settings.PORTAL_SUPPORT_EMAIL,
            "history_url": absolute_url(order, reverse("orders:history")),
            "detail_url": absolute_url(order, reverse("orders:order_detail", args=[order.request_id])),
            "numbers_url": absolute_url(order, reverse("orders:issued_numbers", args=[order.request_id])),
            "items": list(order.items.select_related("base_number", "reservation_code").order_by("position")[:50]),
            "item_count": order.items.count(),
            **(extra or {}),
        }
        subject = str(SUBJECTS[kind]) % {"brand": brand, "request_id": order.request_id}
        body_text = render_to_string(f"orders/mail/{kind}.txt", context)
        body_html = render_to_string(f"orders/mail/{kind}.html", context)
    fields = {"organisation_id": order.organisation_id, "to": order.contact_email, "subject": subject,
              "body_text": body_text, "body_html": body_html, "created_at": clock.now()}
    if kind == SentMail.Kind.DATE_CHANGED:  # every move of the date is told
        return SentMail.objects.create(order=order, kind=kind, **fields)
    mail, created = SentMail.objects.get_or_create(order=order, kind=kind, defaults=fields)
    return mail if created else None


# A mail's HTML part is shown (送信メール, admin) in a sandboxed frame under a policy of its own: no
# script at all, its inline styles allowed (that is how mail is written), framed by the portal only;
# its links open the portal page in the whole window.
MAIL_HTML_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                    "form-action 'none'; frame-ancestors 'self'; "
                    "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation")


def mail_html_response(mail: SentMail) -> HttpResponse:
    body = mail.body_html.replace("<head>", '<head><base target="_top">', 1)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MAIL_HTML_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 10  # a mail the server keeps refusing stops being retried (operators see it in admin)


def mail_deliver(*, mail_id: int) -> bool:
    """Hand a stored mail to the mail backend, on its organisation's clock (its delivery time)."""
    organisation_id = SentMail.objects.filter(pk=mail_id).values_list("organisation_id", flat=True).first()
    with clock.of(organisation_id):
        return _mail_deliver(mail_id=mail_id)


def _mail_deliver(*, mail_id: int) -> bool:
    """Hand a stored mail to the mail backend (locmem by default: nothing leaves).

    Claimed with a conditional update that takes a lease (claimed_at), so two deliveries at once
    send it once; marked delivered only after the backend accepted it. A worker killed in
    between leaves the lease to expire and the sweep sends the mail again."""
    now = timezone.now()  # leases are technical time, not the demo clock
    claimed = SentMail.objects.filter(pk=mail_id, delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    mail = SentMail.objects.get(pk=mail_id)
    message = EmailMultiAlternatives(mail.subject, mail.body_text, settings.DEFAULT_FROM_EMAIL, [mail.to])
    message.attach_alternative(mail.body_html, "text/html")
    try:
        message.send()
    except Exception:
        SentMail.objects.filter(pk=mail_id, claimed_at=now).update(claimed_at=None)  # the task retries
        raise
    SentMail.objects.filter(pk=mail_id, claimed_at=now).update(delivered_at=clock.now())
    return True


def mails_undelivered(*, older_than: dt.timedelta) -> list[int]:
    """Mails committed but not delivered (their task was lost, the broker was down, the worker
    died): the sweep delivers them."""
    return list(SentMail.objects.filter(delivered_at__isnull=True, attempts__lt=MAX_ATTEMPTS,
                                        created_at__lt=clock.now() - older_than)
                .order_by("attempts", "created_at").values_list("pk", flat=True)[:500])
