import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from numbering.models import DialInNumber
from orders.models import Attachment, Draft, LeadTime, Order
from portal import clock
from portal.models import Organisation


def orders_for(*, organisation: Organisation) -> QuerySet[Order]:
    return Order.objects.filter(organisation=organisation).select_related("contract").order_by(
        "-submitted_at", "-request_id"
    )


def order_get(*, organisation: Organisation, request_id: str) -> Order:
    return get_object_or_404(
        Order.objects.select_related("contract__voice_group"),
        organisation=organisation, request_id=request_id,
    )


def issued_numbers(*, order: Order) -> QuerySet[DialInNumber]:
    """The numbers this order issued (払い出し番号), by the request ID they carry."""
    return DialInNumber.objects.filter(
        source=order.request_id, base_number__contract__voice_group__organisation=order.organisation
    ).order_by("number")


def draft_expiry() -> dt.datetime:
    """Drafts untouched since before this have expired (PORTAL_DRAFT_DAYS)."""
    return clock.now() - dt.timedelta(days=settings.PORTAL_DRAFT_DAYS)


def drafts_open(*, organisation: Organisation) -> QuerySet[Draft]:
    """Unfinished, unexpired drafts (作成中) of the organisation."""
    return Draft.objects.filter(
        organisation=organisation, submitted_at__isnull=True, updated_at__gte=draft_expiry(),
    ).select_related("voice_group", "created_by")


def draft_attachment(*, draft: Draft, attachment_id: str) -> Attachment | None:
    """A file uploaded in this draft (the AML form), if it is still there."""
    return Attachment.objects.filter(pk=attachment_id or None, draft=draft).first()


def lead_times() -> QuerySet[LeadTime]:
    """標準納期, as operators set them."""
    return LeadTime.objects.all()


def draft_orders(*, draft: Draft) -> QuerySet[Order]:
    """The orders a submitted draft placed (one per N番)."""
    return Order.objects.filter(draft_id=draft.pk, organisation=draft.organisation).select_related(
        "contract").order_by("request_id")
