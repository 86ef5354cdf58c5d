"""The operator's way out of what the network did (admin, and the API's test helpers): move a
scheduled order's construction date. Retry (orders.activation.order_retry) and cancel with a reason
(orders.status.order_cancel) are the same services the rest of the product uses."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from orders import dispatch
from orders.lead_times import earliest_date
from orders.mail import mail_compose
from orders.models import PORTING_REJECTIONS, EventNote, Flow, LeadTime, Order, OrderEvent, SentMail, Status
from orders.network import porting_answer_day
from orders.scheduled_checks import date_check
from orders.status import on_order_clock, order_set_status
from portal import clock

MOVABLE = (Status.ACCEPTED, Status.ERROR)


def order_lead_items(order: Order) -> set[str]:
    """The standard lead times that apply to what the order holds (as lead_items does for a spec)."""
    items = {LeadTime.Item.DIALIN}
    rows = order.items.all()
    if rows.exclude(ported_number="").exists():
        items.add(LeadTime.Item.PORTING)
    if rows.exclude(specific_number_notification="", forwarding_specific_number="").exists():
        items.add(LeadTime.Item.SPECIAL_OPTION)
    if order.network_changes:
        items.add(LeadTime.Item.NW_ADDRESS)
    if (order.details or {}).get("aml"):
        items.add(LeadTime.Item.AML)
    return items


def move_date_check(*, order: Order, day: dt.date | None) -> str:
    """Why the order's construction date cannot move to `day` ('' when it can): the earliest date
    of its items counted from today (sales orders: from tomorrow), business days and 工事希望時間 as
    on the customer's screen."""
    if order.flow == Flow.IMMEDIATE:
        return _("お申し込み直後に開通するお申し込みには工事日がありません。")
    if order.status not in MOVABLE:
        return _("受付済またはエラーのお申し込みだけ工事日を変更できます。")
    if day is None:
        return _("変更後の工事日を入力してください。")
    if day == order.scheduled_on and order.status != Status.ERROR:
        return _("現在の工事日と同じ日付です。")
    if order.flow == Flow.SALES:
        earliest = clock.today() + dt.timedelta(days=1)
    else:
        earliest = earliest_date(items=order_lead_items(order))
    errors = date_check(day=day, earliest=earliest, time=order.desired_time, reason=order.desired_reason,
                        desired_time=bool(order.desired_time))
    return " ".join(str(message) for message in errors.values())


@on_order_clock
def order_move_date(*, order_id, day: dt.date, user=None, note: str = "") -> Order:
    """Move the construction date (ValidationError with the reason when the rules refuse it). An
    order in エラー goes back to 受付済 on its new date; a porting the losing carrier rejected is
    asked again before it. The customer is e-mailed; the timeline names the operator."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("contract").get(pk=order_id)
        problem = move_date_check(order=order, day=day)
        if problem:
            raise ValidationError(problem)
        old = order.scheduled_on
        params = {"old": old.isoformat() if old else "-", "new": day.isoformat()}
        if order.status == Status.ERROR:
            rejected = order.error_code in PORTING_REJECTIONS
            order_set_status(order=order, to=Status.ACCEPTED, actor=OrderEvent.Actor.OPERATOR, user=user,
                             expected=Status.ERROR, code=EventNote.DATE_MOVED, params=params, note=note)
        else:
            rejected = False
            OrderEvent.objects.create(order=order, at=clock.now(), from_status=order.status, to_status=order.status,
                                      actor=OrderEvent.Actor.OPERATOR, user=user, note_code=EventNote.DATE_MOVED,
                                      note_params=params, note=note)
        order.scheduled_on = day
        fields = {"scheduled_on": day}
        if rejected or order.porting_answer_on:
            order.porting_answer_on = fields["porting_answer_on"] = porting_answer_day(clock.now(), day)
        Order.objects.filter(pk=order.pk).update(**fields)
        mail = mail_compose(order=order, kind=SentMail.Kind.DATE_CHANGED, extra={"old": old, "new": day, "note": note})
        if mail:
            transaction.on_commit(lambda: dispatch.mails_enqueue([mail.pk]))
    return order
