"""Every operator action in admin runs the real services: 工事了 issues the order's numbers (with
codes used and the completion e-mail) or is not done; cancel releases codes; an order in エラー is
retried after stock is added. The database refuses 工事了 without the numbers and moves outside the
status table."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from numbering.models import DialInNumber, ReservationCode, StockNumber
from numbering.services import reservation_code_issue, stock_add_range
from orders.admin import OrderAdmin
from orders.models import Flow, Order, OrderItem, SentMail, Status
from orders.placement import draft_submit
from orders.status import request_id_new
from portal import clock
from tests.orders.test_issuance import ready_draft

CHANGELIST = "admin:orders_order_changelist"


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350099")
    return contract


def submitted(user, contract, **rows) -> Order:
    draft = ready_draft(user, contract.voice_group, bases=["0312345678"], **rows)
    [order] = draft_submit(draft_id=draft.pk, user=user)
    return order


def test_the_operators_activation_issues_the_numbers_uses_the_code_and_mails(client, operator, alice, stocked):
    code = reservation_code_issue(contract=stocked, numbers=["0312350090"], expires_at=clock.now() + dt.timedelta(1))
    order = submitted(alice, stocked, red=[{"base": "0312345678", "kind": "0AJ", "quantity": "3"}],
                      blue=[{"base": "0312345678", "number": "0312350090", "code": code.code}])
    client.force_login(operator)
    response = client.post(reverse(CHANGELIST), {"action": "activate", "_selected_action": [order.pk]}, follow=True)
    assert "1件のお申し込みを処理しました" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order.activated_on == clock.today()
    assert DialInNumber.objects.filter(source=order.request_id).count() == 4
    code.refresh_from_db()
    assert code.status == ReservationCode.Status.USED
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.COMPLETED).exists()
    assert order.events.filter(actor="operator", to_status=Status.ACTIVATED).exists()


def test_an_order_in_error_is_retried_after_stock_is_added(client, operator, alice, stocked):
    order = submitted(alice, stocked, red=[{"base": "0312345678", "kind": "0AJ", "quantity": "50"}])
    StockNumber.objects.all().delete()  # taken elsewhere before activation
    client.force_login(operator)
    response = client.post(reverse(CHANGELIST), {"action": "activate", "_selected_action": [order.pk]}, follow=True)
    assert "エラーになりました" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.ERROR
    stock_add_range(first="0312360000", last="0312360099")
    client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert DialInNumber.objects.filter(source=order.request_id).count() == 50


def test_cancel_by_the_operator_releases_the_code(client, operator, alice, stocked):
    code = reservation_code_issue(contract=stocked, numbers=["0312350091"], expires_at=clock.now() + dt.timedelta(1))
    order = submitted(alice, stocked, blue=[{"base": "0312345678", "number": "0312350091", "code": code.code}])
    client.force_login(operator)
    asked = client.post(reverse(CHANGELIST), {"action": "cancel", "_selected_action": [order.pk]})
    assert "キャンセルの理由" in asked.content.decode()  # first the reason is asked for
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED
    client.post(reverse(CHANGELIST), {"action": "cancel", "_selected_action": [order.pk], "apply": "1",
                                      "reason": "お客様のご依頼により"})
    code.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and code.status == ReservationCode.Status.AVAILABLE


@pytest.mark.parametrize("start", [s for s in Status])
@pytest.mark.parametrize("action", [a.__name__ for a in OrderAdmin.actions])
def test_no_admin_action_leaves_an_order_activated_without_its_numbers(client, operator, contract, start, action):
    """Every action on an order in every status, with no stock at all: the order never ends 工事了 or
    竣工 with fewer numbers than it ordered."""
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.IMMEDIATE, submitted_at=clock.now(), status=start,
                                 scheduled_on=clock.today(), contact_email="a@example.com")
    OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="0AJ",
                             quantity=5)
    if start in (Status.ACTIVATED, Status.COMPLETED):  # already activated: its numbers exist
        DialInNumber.objects.bulk_create(DialInNumber(number=f"031235000{i}", kind="0AJ", source=order.request_id,
                                                      base_number=contract.base_numbers.get()) for i in range(5))
    client.force_login(operator)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The actions that ask first (cancel's reason, the new date) are answered.
    answers = {"apply": "1", "reason": "試験", "day": (clock.today() + dt.timedelta(days=40)).isoformat()}
    response = client.post(reverse(CHANGELIST), {"action": action, "_selected_action": [order.pk], **answers})
    assert response.status_code == 302
    order.refresh_from_db()
    if order.status in (Status.ACTIVATED, Status.COMPLETED):
        assert DialInNumber.objects.filter(source=order.request_id).count() == 5


def test_the_database_refuses_moves_outside_the_status_table(contract):
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.SCHEDULED, submitted_at=clock.now(),
                                 status=Status.CANCELLED)
    with pytest.raises(IntegrityError, match="status table"), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status=Status.COMPLETED)


def test_the_database_refuses_an_activated_order_without_its_numbers(contract):
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.IMMEDIATE, submitted_at=clock.now())
    OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="0AJ",
                             quantity=2)
    with pytest.raises(IntegrityError, match="1 of 2 numbers"), transaction.atomic():
        Order.objects.filter(pk=order.pk).update(status=Status.IN_CONSTRUCTION)
        DialInNumber.objects.create(number="0312350001", kind="0AJ", base_number=contract.base_numbers.get(),
                                    source=order.request_id)
        Order.objects.filter(pk=order.pk).update(status=Status.ACTIVATED)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would check


def test_a_number_changed_after_activation_does_not_keep_the_order_from_completion(contract):
    """The check runs when the order becomes 工事了, not again at 竣工."""
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.SCHEDULED, submitted_at=clock.now(),
                                 status=Status.ACTIVATED)
    OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="0AJ",
                             quantity=1)
    DialInNumber.objects.create(number="0312350001", kind="0AJ", base_number=contract.base_numbers.get(),
                                source=order.request_id)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        DialInNumber.objects.filter(source=order.request_id).update(source="moved-by-operator")
        Order.objects.filter(pk=order.pk).update(status=Status.COMPLETED)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would check: nothing refuses
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED
