import pytest

from orders.models import Flow, Order, OrderEvent, Status
from orders.status import InvalidTransition, order_set_status, request_id_new
from portal import clock


@pytest.fixture
def order(contract) -> Order:
    return Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                contract=contract, flow=Flow.IMMEDIATE, submitted_at=clock.now())


def test_request_ids_are_unique_and_made_first(db):
    ids = {request_id_new() for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 11 for i in ids)


def test_an_order_moves_along_the_table_and_keeps_a_timeline(order, operator):
    for to in (Status.IN_CONSTRUCTION, Status.ACTIVATED, Status.COMPLETED):
        assert order_set_status(order=order, to=to, actor=OrderEvent.Actor.WORKER)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert list(order.events.values_list("to_status", flat=True)) == [
        "in_construction", "activated", "completed"]


@pytest.mark.parametrize(("start", "to"), [
    (Status.ACCEPTED, Status.COMPLETED), (Status.COMPLETED, Status.ACCEPTED),
    (Status.CANCELLED, Status.IN_CONSTRUCTION), (Status.IN_CONSTRUCTION, Status.CANCELLED),
])
def test_moves_outside_the_table_are_refused(contract, start, to):
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.IMMEDIATE, submitted_at=clock.now(), status=start)
    with pytest.raises(InvalidTransition):
        order_set_status(order=order, to=to, actor=OrderEvent.Actor.OPERATOR)
    order.refresh_from_db()
    assert order.status == start and not order.events.exists()


def test_a_duplicated_change_happens_once(order):
    stale = Order.objects.get(pk=order.pk)
    assert order_set_status(order=order, to=Status.IN_CONSTRUCTION, actor=OrderEvent.Actor.WORKER)
    assert not order_set_status(order=stale, to=Status.IN_CONSTRUCTION, actor=OrderEvent.Actor.WORKER)
    assert order.events.count() == 1
