"""The order status table in action: request IDs, status moves (claimed by conditional update,
written to the timeline) and cancellation."""

import functools
import logging

from django.db import transaction

from numbering.services import (
    reservation_code_release,
)
from orders import dispatch
from orders.events import order_event
from orders.mail import mail_compose
from orders.models import (
    TRANSITIONS,
    EventNote,
    Order,
    OrderEvent,
    RequestIdSequence,
    SentMail,
    Status,
)
from portal import clock

logger = logging.getLogger(__name__)


class InvalidTransition(Exception):
    pass


def request_id_new() -> str:
    """A unique request ID, made before any work on the order starts."""
    return f"2{RequestIdSequence.objects.create().pk:010d}"


@transaction.atomic
def order_set_status(
    *, order: Order, to: str, actor: str, user=None, code: str = "", params: dict | None = None, note: str = "",
    expected: str | None = None,
) -> bool:
    """Move an order along the status table and record it on the timeline.

    Claims the change with a conditional update, so a duplicated task changes nothing twice:
    returns False (and records nothing) when the order is no longer in `expected`.
    """
    current = expected or order.status
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"{order.request_id}: {current} → {to} is not allowed")
    fields: dict = {"status": to}
    if to == Status.ERROR:  # why, for the customer's pages, the API and the order.error event
        fields |= {"error_code": code, "error_params": params or {}, "next_attempt_at": None}
    elif current == Status.ERROR and to == Status.ACCEPTED:  # retried: the network starts afresh
        fields |= {"error_code": "", "error_params": {}, "activation_attempts": 0, "network_failures": 0}
    changed = Order.objects.filter(pk=order.pk, status=current).update(**fields)
    if not changed:
        return False
    for name, value in fields.items():
        setattr(order, name, value)
    OrderEvent.objects.create(
        order=order, at=clock.now(), from_status=current, to_status=to, actor=actor, user=user,
        note_code=code, note_params=params or {}, note=note,
    )
    order_event(order, to)
    return True


def on_order_clock(service):
    """Run an order's service on its organisation's clock (portal.clock): its dates, events, mails."""

    @functools.wraps(service)
    def wrapper(*, order_id, **kwargs):
        organisation_id = Order.objects.filter(pk=order_id).values_list("organisation_id", flat=True).first()
        with clock.of(organisation_id):
            return service(order_id=order_id, **kwargs)

    return wrapper


def order_cancel(*, order: Order, actor: str, user=None, code: str = EventNote.CANCELLED, reason: str = "") -> bool:
    """Cancel an order before its activation (or in エラー); its held reservation codes are
    released. `reason`: an operator's words, on the timeline and in the customer's e-mail."""
    with clock.of(order.organisation_id):
        return _order_cancel(order=order, actor=actor, user=user, code=code, reason=reason)


@transaction.atomic
def _order_cancel(*, order: Order, actor: str, user=None, code: str, reason: str) -> bool:
    if not order_set_status(order=order, to=Status.CANCELLED, actor=actor, user=user, code=code, note=reason):
        return False
    reservation_code_release(holder=order.request_id)
    mail = mail_compose(order=order, kind=SentMail.Kind.CANCELLED, extra={"reason": reason})
    if mail:
        transaction.on_commit(lambda: dispatch.mails_enqueue([mail.pk]))
    return True
