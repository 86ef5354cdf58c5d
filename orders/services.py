"""Order writes: request IDs and the status table."""

from django.db import transaction

from orders.models import TRANSITIONS, Order, OrderEvent, RequestIdSequence
from portal import clock


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
