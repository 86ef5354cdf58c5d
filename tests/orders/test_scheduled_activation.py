"""Scheduled and sales orders: activation on the date (JST), 竣工 two business days later, the
demo clock that gets there in minutes, and customer cancel before the date."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from numbering.models import ReservationCode
from numbering.services import reservation_code_issue, stock_add_range
from orders.activation import orders_run_due
from orders.eligibility import Wish, eligibility_check
from orders.models import Flow, Order, OrderEvent, OrderItem, SentMail, Status
from orders.placement import order_sales_create
from orders.status import request_id_new
from portal import business_days, clock, services


def scheduled_order(contract, *, on: dt.date, quantity: int = 2, code=None) -> Order:
    """An accepted scheduled order as the scheduled wizard leaves it."""
    order = Order.objects.create(
        request_id=request_id_new(), organisation=contract.voice_group.organisation, contract=contract,
        flow=Flow.SCHEDULED, submitted_at=clock.now(), scheduled_on=on, contact_email="c@example.com",
        contact_name="担当 一郎")
    base = contract.base_numbers.get()
    OrderItem.objects.create(order=order, position=1, base_number=base, kind="050", quantity=quantity)
    if code:
        OrderItem.objects.create(order=order, position=2, base_number=base, kind="0AJ", quantity=1,
                                 reservation_code=code, reserved_number=code.numbers.get().number)
        ReservationCode.objects.filter(pk=code.pk).update(status="held", held_by=order.request_id)
    OrderEvent.objects.create(order=order, at=order.submitted_at, to_status=Status.ACCEPTED,
                              actor=OrderEvent.Actor.CUSTOMER)
    return order


@pytest.fixture
def stocked(contract):
    stock_add_range(first="05012350000", last="05012350099")
    return contract


def test_nothing_happens_before_the_date(stocked):
    order = scheduled_order(stocked, on=clock.today() + dt.timedelta(days=3))
    assert orders_run_due() == {"activated": 0, "completed": 0}
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED


def test_the_demo_clock_runs_activation_and_completion_at_once(stocked, settings):
    settings.PORTAL_DEMO_CLOCK = True
    start = clock.today()
    on = business_days.next_business_day(start + dt.timedelta(days=1))
    order = scheduled_order(stocked, on=on)
    # Blocks immediate orders on the N番 until 竣工 (B1).
    block = eligibility_check(contract=stocked, wish=Wish(kinds=frozenset({"050"}))).block
    assert block and block.until == business_days.add_business_days(on, 2)

    done = services.demo_clock_set_date(day=on)
    assert clock.today() == on and done == {"activated": 1, "completed": 0}
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED and order.activated_on == on
    assert order.completion_due_on == business_days.add_business_days(on, 2)
    assert order.status_label == "工事了"
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.COMPLETED).exists()
    assert eligibility_check(contract=stocked, wish=Wish(kinds=frozenset({"050"}))).block  # still B1

    services.demo_clock_set_date(day=order.completion_due_on)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order.completed_on == order.completion_due_on
    assert order.status_label == "竣工"
    assert eligibility_check(contract=stocked, wish=Wish(kinds=frozenset({"050"}))).immediate_allowed
    actors = [(e.to_status, e.actor) for e in order.events.all()]
    assert actors[-1] == (Status.COMPLETED, OrderEvent.Actor.SYSTEM)


def test_a_jump_past_both_dates_activates_on_the_date_and_completes(stocked, settings, operator):
    settings.PORTAL_DEMO_CLOCK = True
    on = business_days.next_business_day(clock.today() + dt.timedelta(days=2))
    order = scheduled_order(stocked, on=on)
    sales = order_sales_create(contract=stocked, scheduled_on=on, operator=operator)
    done = services.demo_clock_advance(delta=dt.timedelta(days=30))
    assert done == {"activated": 2, "completed": 2}
    for o in (order, sales):
        o.refresh_from_db()
        assert o.status == Status.COMPLETED and o.activated_on == on
        assert o.completed_on == business_days.add_business_days(on, 2)


def test_the_demo_clock_only_moves_forward_and_not_in_production(settings):
    settings.PORTAL_DEMO_CLOCK = True
    with pytest.raises(ValidationError):
        services.demo_clock_advance(delta=dt.timedelta(days=-1))
    settings.PORTAL_DEMO_CLOCK = False
    with pytest.raises(ValidationError):
        services.demo_clock_advance(delta=dt.timedelta(days=1))
    assert clock.offset() == dt.timedelta(0)


def test_the_command_and_admin_move_the_clock(settings, client, operator, capsys):
    settings.PORTAL_DEMO_CLOCK = True
    real = clock.today()
    call_command("demo_clock", "--days", "3")
    assert clock.today() == real + dt.timedelta(days=3)
    client.force_login(operator)
    response = client.post(reverse("admin:portal_democlock_changelist"), {"days": "2", "hours": "0"})
    assert response.status_code == 302
    clock.forget()
    assert clock.today() == real + dt.timedelta(days=5)
    page = client.get(reverse("admin:portal_democlock_changelist")).content.decode()
    assert "デモ時計の現在時刻" in page
    client.post(reverse("admin:portal_democlock_changelist"), {"reset": "1"})
    clock.forget()
    assert clock.today() == real


def test_load_demo_reset_resets_the_clock(settings, db):
    settings.PORTAL_DEMO_CLOCK = True
    services.demo_clock_advance(delta=dt.timedelta(days=4), run_due=False)
    call_command("load_demo", "--reset", stdout=io.StringIO())
    assert clock.offset() == dt.timedelta(0)


def test_a_customer_cancels_a_scheduled_order_before_its_date(client, alice, charlie, stocked):
    stock_add_range(first="0312359999", last="0312359999")
    code = reservation_code_issue(contract=stocked, numbers=["0312359999"],
                                  expires_at=clock.now() + dt.timedelta(days=30))
    order = scheduled_order(stocked, on=clock.today() + dt.timedelta(days=5), code=code)
    client.force_login(charlie)
    assert client.post(reverse("orders:order_cancel", args=[order.request_id])).status_code == 404
    client.force_login(alice)
    page = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    assert "このお申し込みをキャンセルする" in page
    client.post(reverse("orders:order_cancel", args=[order.request_id]))
    order.refresh_from_db()
    code.refresh_from_db()
    assert order.status == Status.CANCELLED and code.status == ReservationCode.Status.AVAILABLE
    assert order.events.last().actor == OrderEvent.Actor.CUSTOMER
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.CANCELLED).exists()


def test_no_cancel_on_or_after_the_date(client, alice, stocked):
    order = scheduled_order(stocked, on=clock.today())
    client.force_login(alice)
    assert "このお申し込みをキャンセルする" not in client.get(
        reverse("orders:order_detail", args=[order.request_id])).content.decode()
    client.post(reverse("orders:order_cancel", args=[order.request_id]))
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED


def test_options_reach_the_numbers_and_o4_cancels_an_unlinked_notification(stocked, settings):
    from numbering.models import DialInNumber, FreephoneLink

    on = clock.today()
    FreephoneLink.objects.create(contract=stocked, kind="freephone", number="0120111111", completed_on=on)
    FreephoneLink.objects.create(contract=stocked, kind="freephone", number="0120222222", completed_on=None)
    order = scheduled_order(stocked, on=on, quantity=2)
    order.items.update(message_box=True, specific_number_notification="0120111111")
    base = stocked.base_numbers.get()
    OrderItem.objects.create(order=order, position=2, base_number=base, kind="050", quantity=1,
                             anonymous_call_rejection=True, specific_number_notification="0120222222")
    assert orders_run_due()["activated"] == 1
    numbers = {n.number: n for n in DialInNumber.objects.filter(source=order.request_id)}
    assert [(n.message_box, n.specific_number_notification) for n in
            (numbers["05012350000"], numbers["05012350001"])] == [(True, "0120111111")] * 2
    assert (numbers["05012350002"].anonymous_call_rejection, numbers["05012350002"].specific_number_notification) \
        == (True, "")
    mail = SentMail.objects.get(order=order, kind=SentMail.Kind.OPTION_CANCELLED)
    assert "0120222222" in mail.body_text
    assert order.events.last().rule == "O4" and "0120222222" in order.events.last().text


def test_a_lost_immediate_task_is_picked_up_and_one_failure_does_not_stop_the_others(stocked, settings):
    from orders.models import Flow as F

    lost = scheduled_order(stocked, on=clock.today())
    Order.objects.filter(pk=lost.pk).update(flow=F.IMMEDIATE, submitted_at=clock.now() - dt.timedelta(minutes=10))
    fresh = scheduled_order(stocked, on=clock.today())
    Order.objects.filter(pk=fresh.pk).update(flow=F.IMMEDIATE)  # its own task is still on the way
    broken = scheduled_order(stocked, on=clock.today())
    OrderItem.objects.filter(order=broken).update(kind="0AJ")  # a pool with no stock: the order goes to エラー
    done = orders_run_due()
    assert done["activated"] == 2
    statuses = {o.pk: o.status for o in Order.objects.all()}
    assert statuses[lost.pk] == Status.COMPLETED and statuses[fresh.pk] == Status.ACCEPTED
    assert statuses[broken.pk] == Status.ERROR


def test_a_desired_time_holds_activation_until_that_time_of_the_day(stocked, settings):
    """工事希望時間: an order asking for 19:00 is not activated at 18:59 of its day, but at 19:00."""
    settings.PORTAL_DEMO_CLOCK = True
    on = clock.today() + dt.timedelta(days=1)
    order = scheduled_order(stocked, on=on)
    Order.objects.filter(pk=order.pk).update(desired_time="19:00")
    before = dt.datetime.combine(on, dt.time(18, 59, 30), tzinfo=clock.JST)  # the demo clock moves in whole seconds
    assert services.demo_clock_advance(delta=before - clock.now()) == {"activated": 0, "completed": 0}
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED
    assert services.demo_clock_advance(delta=dt.timedelta(minutes=1)) == {"activated": 1, "completed": 0}
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED and order.activated_on == on


def test_resetting_the_clock_leaves_nothing_dated_in_a_vanished_future(stocked, settings):
    """Orders placed, activated and completed while the clock ran ahead come back to the moment of
    the reset, in order; a planned date of an order still waiting stays a plan."""
    from django.utils import timezone

    from numbering.models import DialInNumber

    settings.PORTAL_DEMO_CLOCK = True
    services.demo_clock_advance(delta=dt.timedelta(days=20))
    ahead = scheduled_order(stocked, on=business_days.next_business_day(clock.today() + dt.timedelta(days=1)))
    services.demo_clock_set_date(day=business_days.add_business_days(ahead.scheduled_on, 2))
    ahead.refresh_from_db()
    assert ahead.status == Status.COMPLETED and ahead.completed_on > timezone.localdate() + dt.timedelta(days=20)
    waiting = scheduled_order(stocked, on=clock.today() + dt.timedelta(days=30))
    moved = services.demo_clock_reset()
    now, today = timezone.now(), clock.today()
    assert moved["orders_moved"] > 0 and moved["numbers_moved"] > 0
    ahead.refresh_from_db()
    assert ahead.submitted_at <= now and ahead.activated_on == ahead.completed_on == today
    assert ahead.scheduled_on <= today and ahead.completion_due_on <= today
    assert not OrderEvent.objects.filter(at__gt=now).exists()
    assert not SentMail.objects.filter(created_at__gt=now).exists()
    assert not DialInNumber.objects.filter(activated_on__gt=today).exists()
    events = list(ahead.events.order_by("at", "id").values_list("to_status", flat=True))
    assert events == [Status.ACCEPTED, Status.IN_CONSTRUCTION, Status.ACTIVATED, Status.COMPLETED]
    waiting.refresh_from_db()
    assert waiting.scheduled_on > today and waiting.status == Status.ACCEPTED  # a plan, kept
