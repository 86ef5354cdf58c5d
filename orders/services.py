"""Order writes: request IDs and the status table."""

import datetime as dt

from django.db import transaction

from numbering.models import VoiceContract
from orders.models import TRANSITIONS, Channel, Flow, Order, OrderEvent, RequestIdSequence, Status
from portal import business_days, clock


class InvalidTransition(Exception):
    pass


def request_id_new() -> str:
    """A unique request ID, made before any work on the order starts."""
    return f"2{RequestIdSequence.objects.create().pk:010d}"


@transaction.atomic
def order_set_status(
    *, order: Order, to: str, actor: str, user=None, note: str = "", expected: str | None = None
) -> bool:
    """Move an order along the status table and record it on the timeline.

    Claims the change with a conditional update, so a duplicated task changes nothing twice:
    returns False (and records nothing) when the order is no longer in `expected`.
    """
    current = expected or order.status
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"{order.request_id}: {current} → {to} is not allowed")
    changed = Order.objects.filter(pk=order.pk, status=current).update(status=to)
    if not changed:
        return False
    OrderEvent.objects.create(
        order=order, at=clock.now(), from_status=current, to_status=to, actor=actor, user=user,
        note=note,
    )
    order.status = to
    return True


@transaction.atomic
def order_sales_create(
    *, contract: VoiceContract, scheduled_on: dt.date, operator, kind_label: str = "ダイヤルイン番号の追加",
    note: str = "",
    contact: dict[str, str] | None = None,
) -> Order:
    """A sales-channel order (営業経由変更申込) entered by an operator; it blocks immediate
    orders on its N番 until 竣工 (B1)."""
    order = Order.objects.create(
        request_id=request_id_new(),
        organisation=contract.voice_group.organisation,
        contract=contract,
        channel=Channel.SALES,
        flow=Flow.SALES,
        kind_label=kind_label,
        submitted_at=clock.now(),
        scheduled_on=scheduled_on,
        completion_due_on=business_days.add_business_days(scheduled_on, 2),
        created_by=operator,
        **(contact or {}),
    )
    OrderEvent.objects.create(order=order, at=order.submitted_at, to_status=Status.ACCEPTED,
                              actor=OrderEvent.Actor.OPERATOR, user=operator, note=note or "営業経由変更申込")
    return order
