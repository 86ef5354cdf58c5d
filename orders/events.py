"""What an organisation's programs are told by webhook (portal.webhooks): each move of an order's
status, with the order as GET /api/v1/orders/{request_id} shows it (and its first issued numbers
when it is activated)."""

import json

from orders.models import Order, Status
from portal.webhooks import event_emit, event_types_register

ORDER_EVENTS = {
    Status.ACCEPTED: "order.accepted",
    Status.IN_CONSTRUCTION: "order.in_construction",
    Status.ACTIVATED: "order.activated",
    Status.COMPLETED: "order.completed",
    Status.CANCELLED: "order.cancelled",
    Status.ERROR: "order.error",
}
EVENT_TYPES = (*ORDER_EVENTS.values(), "test_clock.advancing", "test_clock.ready")
event_types_register(*EVENT_TYPES)
NUMBERS_IN_EVENT = 100  # more are read from the link (GET …/numbers)


def order_event(order: Order, status: str) -> None:
    """The event of an order's move to `status`, in the transaction that moved it."""
    event_emit(organisation_id=order.organisation_id, type=ORDER_EVENTS[status], subject=order.request_id,
               data=lambda: order_data(order, status))


def order_data(order: Order, status: str) -> dict:
    from orders import selectors
    from orders.api import order_out
    from portal.api import PortalRenderer

    data = order_out(order)
    if status in (Status.ACTIVATED, Status.COMPLETED):
        numbers = list(selectors.issued_numbers(order=order).values_list("number", flat=True)[:NUMBERS_IN_EVENT + 1])
        data["numbers"] = numbers[:NUMBERS_IN_EVENT]
        data["numbers_complete"] = len(numbers) <= NUMBERS_IN_EVENT
    return json.loads(json.dumps(data, cls=PortalRenderer.encoder_class))
