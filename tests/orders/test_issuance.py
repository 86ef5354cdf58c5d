"""Submit and issuance services on PostgreSQL: one order per N番, at most once per draft;
numbers moved from stock set-based; reservation codes held, then used up; a task that runs
twice does nothing twice."""

import datetime as dt
import threading

import pytest
from django.db import connection

from numbering.models import BaseNumber, DialInNumber, ReservationCode, StockNumber, VoiceContract
from numbering.services import reservation_code_issue, stock_add_range
from orders.activation import order_activate
from orders.drafts import draft_create, draft_save
from orders.models import Draft, Order, OrderEvent, SentMail, Status
from orders.placement import ContentInvalid, draft_submit
from orders.status import order_cancel
from portal import clock
from tests import factories


def ready_draft(user, group, *, red=(), blue=(), bases=None) -> Draft:
    draft = draft_create(user=user, voice_group=group)
    draft_save(draft=draft, finished=5, agreed=True, method=Draft.Method.SCREEN,
               base_numbers=bases or [], red_rows=list(red), blue_rows=list(blue))
    return draft


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350999")
    stock_add_range(first="05012350000", last="05012350999")
    return contract


def test_submit_makes_one_order_per_contract_and_a_second_submit_makes_none(alice, stocked):
    other = factories.contract(alice.organisation, "N100000002", base_numbers=["0312349999"])
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678", "0312349999"], red=[
        {"base": "0312345678", "kind": "0AJ", "quantity": "3"},
        {"base": "0312349999", "kind": "050", "quantity": "2"},
    ])
    orders = draft_submit(draft_id=draft.pk, user=alice)
    assert sorted(o.contract.number for o in orders) == ["N100000001", "N100000002"]
    assert all(o.status == Status.ACCEPTED and o.request_id.startswith("2") for o in orders)
    again = draft_submit(draft_id=draft.pk, user=alice)
    assert {o.pk for o in again} == {o.pk for o in orders}
    assert Order.objects.count() == 2
    mail = SentMail.objects.get(order=orders[0], kind=SentMail.Kind.ACCEPTED)
    assert mail.to == "alice@example.com"
    assert "申し込み完了通知メール" in mail.subject
    assert "http://127.0.0.1:8000/ipvoice/orders/history/" in mail.body_text
    assert 'href="http://127.0.0.1:8000/ipvoice/orders/history/"' in mail.body_html
    assert other.orders.get().items.get().quantity == 2


def test_activation_issues_lowest_free_numbers_and_completes_at_once(alice, stocked):
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678"], red=[
        {"base": "0312345678", "kind": "0AJ", "quantity": "3"},
        {"base": "0312345678", "kind": "050", "quantity": "2"},
    ])
    [order] = draft_submit(draft_id=draft.pk, user=alice)
    assert order_activate(order_id=order.pk) is True
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order.status_label == "工事了"
    assert order.activated_on == order.completed_on == clock.today()
    issued = list(DialInNumber.objects.filter(source=order.request_id).values_list("number", flat=True))
    assert issued == ["0312350000", "0312350001", "0312350002", "05012350000", "05012350001"]
    assert not StockNumber.objects.filter(number__in=issued).exists()
    assert [(e.to_status, e.actor) for e in order.events.all()] == [
        (Status.ACCEPTED, OrderEvent.Actor.CUSTOMER), (Status.IN_CONSTRUCTION, OrderEvent.Actor.WORKER),
        (Status.ACTIVATED, OrderEvent.Actor.WORKER), (Status.COMPLETED, OrderEvent.Actor.SYSTEM)]
    completed = SentMail.objects.get(order=order, kind=SentMail.Kind.COMPLETED)
    assert "工事完了通知メール" in completed.subject and "5件" in completed.body_text
    # A duplicated task does nothing twice.
    assert order_activate(order_id=order.pk) is False
    assert DialInNumber.objects.filter(source=order.request_id).count() == 5
    assert SentMail.objects.filter(order=order).count() == 2


def test_a_reservation_code_yields_exactly_its_numbers_and_is_used_up(alice, stocked):
    code = reservation_code_issue(contract=stocked, numbers=["0312350500", "0312350501"],
                                  expires_at=clock.now() + dt.timedelta(days=30))
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678"], blue=[
        {"base": "0312345678", "number": "0312350500", "code": code.code},
        {"base": "0312345678", "number": "03-1235-0501", "code": code.code.lower()},
    ])
    [order] = draft_submit(draft_id=draft.pk, user=alice)
    code.refresh_from_db()
    assert code.status == ReservationCode.Status.HELD and code.held_by == order.request_id
    order_activate(order_id=order.pk)
    code.refresh_from_db()
    assert code.status == ReservationCode.Status.USED and code.used_by == order.request_id
    assert sorted(DialInNumber.objects.filter(source=order.request_id).values_list("number", flat=True)) == [
        "0312350500", "0312350501"]
    assert not code.numbers.exists()


def test_cancel_releases_the_held_code(alice, stocked):
    code = reservation_code_issue(contract=stocked, numbers=["0312350600"],
                                  expires_at=clock.now() + dt.timedelta(days=30))
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678"], blue=[
        {"base": "0312345678", "number": "0312350600", "code": code.code}])
    [order] = draft_submit(draft_id=draft.pk, user=alice)
    assert order_cancel(order=order, actor=OrderEvent.Actor.CUSTOMER, user=alice)
    code.refresh_from_db()
    assert code.status == ReservationCode.Status.AVAILABLE and code.held_by == ""
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.CANCELLED).exists()


def test_a_shortfall_at_activation_puts_the_order_in_error_with_nothing_issued(alice, stocked):
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678"], red=[
        {"base": "0312345678", "kind": "050", "quantity": "600"},
        {"base": "0312345678", "kind": "0AJ", "quantity": "10"}])
    [order] = draft_submit(draft_id=draft.pk, user=alice)
    StockNumber.objects.filter(kind="0AJ").delete()  # taken elsewhere meanwhile
    order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.ERROR
    assert "空き番号が不足" in order.events.last().text
    assert not DialInNumber.objects.filter(source=order.request_id).exists()
    assert StockNumber.objects.filter(kind="050").count() == 1000


def test_invalid_content_saves_nothing(alice, stocked):
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678"], red=[
        {"base": "0312345678", "kind": "0AJ", "quantity": "3"},
        {"base": "0312345678", "kind": "050", "quantity": "600"}])
    StockNumber.objects.filter(kind="050", number__gte="05012350500").delete()  # 500 free
    with pytest.raises(ContentInvalid) as caught:
        draft_submit(draft_id=draft.pk, user=alice)
    [error] = caught.value.content.errors
    assert (error.box, error.index, error.field) == ("red", 1, "quantity")
    assert "空き番号が不足" in error.message
    assert not Order.objects.exists()


def _issue_in_thread(order_id, results, errors):
    try:
        results.append(order_activate(order_id=order_id))
    except Exception as exc:  # pragma: no cover - reported by the assertion below
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_parallel_orders_on_one_stock_never_share_a_number():
    org = factories.organisation("ORG-P", "並列商事")
    user = factories.customer("par", org)
    contract = factories.contract(org, "N100000077", base_numbers=["0312345678"])
    stock_add_range(first="0312350000", last="0312351999")
    orders = []
    for _ in range(6):
        draft = ready_draft(user, contract.voice_group, bases=["0312345678"], red=[
            {"base": "0312345678", "kind": "0AJ", "quantity": "300"}])
        orders += draft_submit(draft_id=draft.pk, user=user)
    results, errors = [], []
    # Each order twice, as if a task were delivered twice, all at once.
    threads = [threading.Thread(target=_issue_in_thread, args=(o.pk, results, errors)) for o in orders * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # Each order is claimed once: by one of its two threads, or by a session worker that picked up
    # the task draft_submit sent after commit (a third concurrent issuer).
    assert results.count(True) <= 6
    for order in orders:
        assert order.events.filter(to_status=Status.IN_CONSTRUCTION).count() == 1
        assert Order.objects.get(pk=order.pk).status == Status.COMPLETED
    numbers = list(DialInNumber.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 1800
    assert StockNumber.objects.count() == 200
    for order in orders:
        assert DialInNumber.objects.filter(source=order.request_id).count() == 300
    assert VoiceContract.objects.get(pk=contract.pk).oaj_used


def test_operators_read_every_sent_mail_in_admin(client, alice, stocked, operator):
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678"], red=[
        {"base": "0312345678", "kind": "050", "quantity": "1"}])
    [order] = draft_submit(draft_id=draft.pk, user=alice)
    mail = SentMail.objects.get(order=order)
    client.force_login(operator)
    page = client.get(f"/admin/orders/sentmail/{mail.pk}/change/").content.decode()
    assert mail.subject in page and "sandbox" in page
    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "申し込み完了通知メール" in page and "0312345678" in page


def test_activation_adds_issued_numbers_to_their_own_representative_group(alice, stocked):
    """E8: numbers issued onto a base number in a group join that group, and only that one."""
    other = factories.contract(alice.organisation, "N100000003", base_numbers=["0312349998"])
    BaseNumber.objects.filter(number="0312345678").update(representative_size=10)
    BaseNumber.objects.filter(number="0312349998").update(representative_size=20)
    draft = ready_draft(alice, stocked.voice_group, bases=["0312345678", "0312349998"], red=[
        {"base": "0312345678", "kind": "0AJ", "quantity": "3"},
        {"base": "0312345678", "kind": "050", "quantity": "2"},
        {"base": "0312349998", "kind": "050", "quantity": "4"}])
    for order in draft_submit(draft_id=draft.pk, user=alice):
        order_activate(order_id=order.pk)
    assert BaseNumber.objects.get(number="0312345678").representative_size == 15
    assert other.base_numbers.get().representative_size == 24
