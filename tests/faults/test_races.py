"""Two (or three) people clicking 申し込む at the same moment, on real connections (threads, each
its own PostgreSQL connection), many rounds: the rules hold (one winner), and nobody gets an error
other than the step again with a message (a 500 would be any other exception here)."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection

from numbering.models import BaseNumber, NetworkAddress, ReservationCode
from numbering.services import reservation_code_issue, stock_add_range
from orders.drafts import draft_create, draft_save
from orders.lead_times import earliest_date
from orders.models import Draft, Flow, Order, Status
from orders.placement import ContentInvalid, draft_submit
from orders.state import BlueRow, DialInItem, Options, RedRow, Schedule
from portal import clock
from tests import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROUNDS = 20


def at_once(*works) -> list:
    """Run the callables at the same moment, each in its own thread and connection; return what
    each returned or raised."""
    barrier = threading.Barrier(len(works))
    results: list = [None] * len(works)

    def run(i, work) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except Exception as exc:  # collected and judged by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_no_error(results) -> None:
    for result in results:
        assert isinstance(result, list | ContentInvalid), repr(result)


@pytest.fixture(autouse=True)
def _settle():
    """A session worker (started by an earlier worker test) may still be activating this test's
    orders when the database is flushed: cancel what is left first; this waits for an activation
    in progress to commit, and a task that comes later finds nothing to claim."""
    yield
    Order.objects.filter(status=Status.ACCEPTED).update(status=Status.CANCELLED)


@pytest.fixture
def world():
    org = factories.organisation("ORG-R", "レース商事")
    user = factories.customer("racer", org)
    contract = factories.contract(org, "N100000055", base_numbers=["0312345678"])
    NetworkAddress.objects.create(contract=contract, network="10.0.0.0", prefix_length=24)
    stock_add_range(first="05012350000", last="05012351999")
    return user, contract


def immediate_draft(user, contract, *, red=(), blue=()) -> Draft:
    draft = draft_create(user=user, voice_group=contract.voice_group)
    draft_save(draft=draft, finished=5, agreed=True, method=Draft.Method.SCREEN, base_numbers=["0312345678"],
               red_rows=list(red), blue_rows=list(blue))
    return draft


def scheduled_draft(user, contract, *, red=(), blue=()) -> Draft:
    draft = draft_create(user=user, voice_group=contract.voice_group, flow=Flow.SCHEDULED)
    item = DialInItem(bases=["0312345678"], red=[RedRow(**r) for r in red], blue=[BlueRow(**b) for b in blue],
                      red_options=[Options() for _ in red], blue_options=[Options() for _ in blue])
    day = earliest_date(items={"dialin"})
    draft_save(draft=draft, finished=5, agreed=True, contract=contract, items=[item],
               extra=Schedule(date=day.isoformat()))
    return draft


def test_a_reservation_code_raced_by_both_flows_goes_to_one_order(world):
    user, contract = world
    for n in range(ROUNDS):
        number = f"050123519{n:02d}"
        code = reservation_code_issue(contract=contract, numbers=[number],
                                      expires_at=clock.now() + dt.timedelta(days=3))
        row = {"base": "0312345678", "number": number, "code": code.code}
        a = immediate_draft(user, contract, blue=[row])
        b = scheduled_draft(user, contract, blue=[row])
        results = at_once(lambda a=a: draft_submit(draft_id=a.pk, user=user),
                          lambda b=b: draft_submit(draft_id=b.pk, user=user))
        assert_no_error(results)
        winners = [r for r in results if isinstance(r, list)]
        assert len(winners) == 1, results
        code.refresh_from_db()
        assert code.status == ReservationCode.Status.HELD and code.held_by == winners[0][0].request_id
        # Let the next round's immediate submit through B1: the scheduled order is cancelled.
        Order.objects.filter(flow=Flow.SCHEDULED, status=Status.ACCEPTED).update(status=Status.CANCELLED)


def test_b1_cannot_be_beaten_by_timing(world):
    user, contract = world
    for _ in range(ROUNDS):
        a = immediate_draft(user, contract, red=[{"base": "0312345678", "kind": "050", "quantity": "1"}])
        b = scheduled_draft(user, contract, red=[{"base": "0312345678", "kind": "050", "quantity": "1"}])
        results = at_once(lambda a=a: draft_submit(draft_id=a.pk, user=user),
                          lambda b=b: draft_submit(draft_id=b.pk, user=user))
        assert_no_error(results)
        immediate, scheduled = results
        assert isinstance(scheduled, list), scheduled  # a scheduled order is never refused by B1
        if isinstance(immediate, list):
            # Let in only if it was accepted before the scheduled order (B1 starts at acceptance).
            assert immediate[0].submitted_at < scheduled[0].submitted_at
        else:
            assert any("[B1]" in e.message for e in immediate.content.errors), immediate.content
        Order.objects.filter(flow=Flow.SCHEDULED, status=Status.ACCEPTED).update(status=Status.CANCELLED)


def test_e8_three_orders_at_once_on_a_group_of_995(world):
    user, contract = world
    base = BaseNumber.objects.get(number="0312345678")
    for _ in range(ROUNDS):
        # Last round's orders out of the way first (one a worker activates meanwhile finishes
        # before the update goes on), then the group back to 995.
        Order.objects.filter(status=Status.ACCEPTED).update(status=Status.CANCELLED)
        BaseNumber.objects.filter(pk=base.pk).update(representative_size=995)
        drafts = [immediate_draft(user, contract, red=[{"base": "0312345678", "kind": "050", "quantity": "5"}])
                  for _ in range(3)]
        results = at_once(*(lambda d=d: draft_submit(draft_id=d.pk, user=user) for d in drafts))
        assert_no_error(results)
        accepted = [r for r in results if isinstance(r, list)]
        assert len(accepted) == 1, results  # 995 + 5 = 1,000 fits; a second +5 would make 1,005
        for refused in (r for r in results if isinstance(r, ContentInvalid)):
            assert any("[E8]" in e.message for e in refused.content.errors)


def test_one_number_put_in_stock_and_issued_at_once_ends_in_one_table_only(world):
    """The cross-table guard under two open transactions: the second waits for the first and fails."""
    from django.db import IntegrityError, transaction

    from numbering.models import DialInNumber, StockNumber

    _user, contract = world
    base = contract.base_numbers.get()
    for n in range(ROUNDS):
        number = f"03123470{n:02d}"
        first_in = threading.Event()

        def to_stock(number=number, first_in=first_in):
            with transaction.atomic():
                StockNumber.objects.create(number=number, kind="0AJ", area_code="03")
                first_in.set()
                time.sleep(0.2)  # still open while the other transaction inserts
            return "stock"

        def to_dial_ins(number=number, first_in=first_in):
            first_in.wait(5)
            with transaction.atomic():
                DialInNumber.objects.create(number=number, kind="0AJ", base_number=base)
            return "dial-in"

        results = at_once(to_stock, to_dial_ins)
        assert results[0] == "stock" and isinstance(results[1], IntegrityError), results
        assert StockNumber.objects.filter(number=number).exists()
        assert not DialInNumber.objects.filter(number=number).exists()


def test_a_group_growing_at_activation_never_waits_on_an_issuer(world):
    """An UPDATE that changes no number (the representative group's size) skips the number guard,
    so it takes no block lock an issuer may hold."""
    import psycopg

    from numbering.services import representative_groups_grow

    _user, contract = world
    base = contract.base_numbers.get()
    BaseNumber.objects.filter(pk=base.pk).update(representative_size=10)
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                             dbname=db["NAME"], autocommit=True)
    holder.execute("SELECT pg_advisory_lock(81, %s)", [int(base.number[:7])])  # as an issuer in that block would
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '1s'")
        representative_groups_grow(added={base.pk: 5})  # would fail with a lock timeout if it waited
    finally:
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert BaseNumber.objects.get(pk=base.pk).representative_size == 15


def test_a_busy_database_answers_a_page_that_says_so_not_an_error(world, client):
    """A step saved while another request holds the draft (e.g. its submit): the lock wait times out
    and the customer reads, in Japanese, to try again (503), and nothing is saved."""
    import psycopg

    user, contract = world
    draft = immediate_draft(user, contract, red=[{"base": "0312345678", "kind": "050", "quantity": "1"}])
    client.force_login(user)
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                             dbname=db["NAME"])
    holder.execute("SELECT 1 FROM orders_draft WHERE id = %s FOR UPDATE", [draft.pk])
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '500ms'")
        from django.urls import reverse

        response = client.post(reverse("orders:wizard_step", args=[draft.pk, 5]), {
            "contact_name": "山田 花子", "contact_department": "総務部", "contact_phone": "0355550101",
            "contact_email": "a@example.com"})
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert response.status_code == 503
    assert "ただいま混み合っています" in response.content.decode()
    assert Draft.objects.get(pk=draft.pk).contact.contact_department != "総務部"


def test_a_base_number_deleted_while_dial_ins_are_added_to_it_is_kept(world):
    """The reference guard under two open transactions: the delete waits for the insert, then refuses."""
    from django.db import IntegrityError, transaction

    from numbering.models import DialInNumber

    _user, contract = world
    for n in range(ROUNDS):
        base = BaseNumber.objects.create(contract=contract, number=f"03123480{n:02d}", kind="0AJ")
        first_in = threading.Event()

        def add_dial_in(base=base, n=n, first_in=first_in):
            with transaction.atomic():
                DialInNumber.objects.create(number=f"03123481{n:02d}", kind="0AJ", base_number=base)
                first_in.set()
                time.sleep(0.2)  # still open while the other transaction deletes
            return "dial-in"

        def delete_base(base=base, first_in=first_in):
            first_in.wait(5)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM numbering_basenumber WHERE id = %s", [base.pk])
            return "deleted"

        results = at_once(add_dial_in, delete_base)
        assert results[0] == "dial-in" and isinstance(results[1], IntegrityError), results
        assert BaseNumber.objects.filter(pk=base.pk).exists()
        assert DialInNumber.objects.filter(base_number=base).count() == 1


def test_starts_at_once_never_leave_a_user_over_the_draft_cap(alice, contract, settings):
    """Three tabs starting an order at once, with the user at the cap: each start discards the least
    recently touched draft under the user's lock, so the user ends at the cap, every round."""
    from orders.drafts import draft_start

    settings.PORTAL_DRAFTS_PER_USER = 3
    for _round in range(ROUNDS):
        while Draft.objects.filter(created_by=alice).count() < 3:
            draft_create(user=alice, voice_group=contract.voice_group)
        results = at_once(*[lambda: draft_start(user=alice, voice_group=contract.voice_group)] * 3)
        assert all(isinstance(r, tuple) for r in results), results
        assert Draft.objects.filter(created_by=alice, submitted_at__isnull=True).count() == 3
        # The newest three drafts are the ones that stay.
        started = {draft.pk for draft, _discarded in results}
        assert set(Draft.objects.filter(created_by=alice).values_list("pk", flat=True)) == started


# --- The API: the same Idempotency-Key sent twice at the same moment ------------------------------

def test_two_identical_posts_released_together_place_one_order(alice, contract):
    """Real connections (threads), many rounds: never two orders; the other answer is the replay or
    a 409 (the first still running), never a 500; a retry after both returns the first response."""
    from django.test import Client

    from portal.apikeys import api_key_create
    from tests.apiclient import Api

    stock_add_range(first="0312350000", last="0312350199")
    key = api_key_create(user=alice, name="race")[1]
    body = {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": 1}],
            "contact": {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"}}
    for round_ in range(ROUNDS):
        idempotency_key = f"race-{round_}"
        results = at_once(*[lambda k=idempotency_key: Api(Client(), key).post("/orders", body, key=k)] * 3)
        statuses = sorted(r.status_code for r in results)
        assert all(s in (201, 409) for s in statuses), [(r.status_code, r.content[:200]) for r in results]
        assert statuses.count(201) >= 1
        replayed = [r for r in results if r.status_code == 201 and r.get("Idempotent-Replayed") == "true"]
        assert statuses.count(201) - len(replayed) == 1  # exactly one placed, the others replayed it
        assert Order.objects.count() == round_ + 1
        retry = Api(Client(), key).post("/orders", body, key=idempotency_key)
        first = next(r for r in results if r.status_code == 201 and r not in replayed)
        assert retry["Idempotent-Replayed"] == "true" and retry.json() == first.json()


def test_two_organisations_advance_their_clocks_at_the_same_time(settings):
    """Two test clocks moved at once, on real connections: each organisation's scheduled order is
    activated and completed on its own clock's dates; neither clock moves the other's."""
    from portal.test_clocks import clock_advance_now, clock_state

    settings.PORTAL_DEMO_CLOCK = True
    orders = {}
    for code, number, base, first, days in (("ORG-T1", "N100000071", "05012345671", "05071350000", 10),
                                            ("ORG-T2", "N100000072", "05012345672", "05072350000", 40)):
        org = factories.organisation(code, code)
        contract = factories.contract(org, number, base_numbers=[base])
        stock_add_range(first=first, last=first[:-2] + "99")
        user = factories.customer(code.lower(), org)
        day = earliest_date(items={"dialin"}) + dt.timedelta(days=days)
        draft = draft_create(user=user, voice_group=contract.voice_group, flow=Flow.SCHEDULED)
        draft_save(draft=draft, contract=contract, items=[DialInItem(
            method="screen", bases=[base], red=[RedRow(base=base, kind="050", quantity="1")], red_options=[Options()])],
            extra=Schedule(date=day.isoformat(), reason="接続試験のため"))
        [order] = draft_submit(draft_id=draft.pk, user=user)
        orders[org.pk] = (order, day)
    from orders import rules

    # A day past each order's 竣工 (two business days after its date: the year-end closure may lie between).
    targets = {org: dt.datetime.combine(rules.completion_date(day) + dt.timedelta(days=1), dt.time(12),
                                        tzinfo=clock.JST) for org, (_order, day) in orders.items()}
    results = at_once(*[lambda org=org: clock_advance_now(organisation_id=org, to=targets[org]) for org in orders])
    assert all(isinstance(r, dict) and r["activated"] == 1 and r["completed"] == 1 for r in results), results
    for org, (order, day) in orders.items():
        order.refresh_from_db()
        assert order.status == Status.COMPLETED and order.activated_on == day
        assert clock_state(org)["now"].astimezone(clock.JST).date() == targets[org].date()


def test_an_endpoint_removed_while_a_worker_sends_to_it_goes_without_an_error():
    """The bench once got a 500 here: an endpoint removed while a worker was recording an attempt
    of one of its deliveries (Django's cascade selected the rows, then the worker's new row broke
    the delete). Now the database cascades, and the worker finds nothing left to record."""
    from portal import webhooks
    from portal.models import WebhookDelivery, WebhookEndpoint
    from tests.api.receiver import Receiver

    org = factories.organisation("ORG-H", "フック商事")
    receiver = Receiver()
    try:
        for round_ in range(8):
            receiver.delays = [0.15]  # the attempt is on its way while the endpoint goes
            endpoint = webhooks.endpoint_create(organisation=org, url=receiver.url)
            webhooks.event_emit(organisation_id=org.pk, type="test_clock.ready", subject=f"race-{round_}",
                                data=lambda: {"round": 1})
            [delivery] = WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True)

            def remove(endpoint=endpoint):
                time.sleep(0.05)
                webhooks.endpoint_delete(endpoint=endpoint)
                return "removed"

            results = at_once(lambda delivery=delivery: webhooks.delivery_send(delivery_id=delivery), remove)
            assert results == [False, "removed"], results
            assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
            assert not WebhookDelivery.objects.filter(pk=delivery).exists()
    finally:
        receiver.close()


def test_an_activation_retry_run_by_its_task_and_the_sweep_at_once_issues_once(world):
    """After a transient failure the next attempt's own task and beat's sweep may come together:
    one attempt happens, the numbers are issued once, nobody gets an error."""
    from numbering.models import DialInNumber
    from orders.activation import order_attempt_again, orders_run_due
    from orders.models import OrderItem
    from orders.status import request_id_new

    user, contract = world
    for _round in range(ROUNDS // 2):
        order = Order.objects.create(
            request_id=request_id_new(), organisation=user.organisation, contract=contract, flow=Flow.IMMEDIATE,
            status=Status.ACCEPTED, submitted_at=clock.now(), scheduled_on=clock.today(), contact_email="r@example.com")
        OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="050",
                                 quantity=5)
        Order.objects.filter(pk=order.pk).update(status=Status.IN_CONSTRUCTION, activation_attempts=1,
                                                 next_attempt_at=clock.now() - dt.timedelta(seconds=1))
        results = at_once(lambda order=order: order_attempt_again(order_id=order.pk),
                          lambda order=order: orders_run_due(organisation_id=order.organisation_id))
        assert not any(isinstance(r, Exception) for r in results), results
        order.refresh_from_db()
        assert order.status == Status.COMPLETED
        assert DialInNumber.objects.filter(source=order.request_id).count() == 5
        assert order.events.filter(to_status=Status.ACTIVATED).count() == 1


def test_an_advance_is_run_once_when_its_task_and_another_runner_come_together(settings):
    """The API's advance task, the sweep's retry of a stuck one, or an operator's in admin may run
    the same advance at once: one runs it (one test_clock.ready), the other returns at once."""
    from portal import webhooks
    from portal.models import WebhookEvent
    from portal.test_clocks import clock_advance_run, clock_advance_start

    settings.PORTAL_DEMO_CLOCK = True
    for round_ in range(5):
        org = factories.organisation(f"ORG-A{round_}", "一回商事")
        webhooks.endpoint_create(organisation=org, url="http://127.0.0.1:9/hooks")
        contract = factories.contract(org, f"N10000008{round_}", base_numbers=[f"0501234568{round_}"])
        stock_add_range(first=f"0507{round_}350000", last=f"0507{round_}350009")
        user = factories.customer(f"once-{round_}", org)
        day = earliest_date(items={"dialin"})
        draft = draft_create(user=user, voice_group=contract.voice_group, flow=Flow.SCHEDULED)
        draft_save(draft=draft, contract=contract, items=[DialInItem(
            method="screen", bases=[f"0501234568{round_}"], red=[RedRow(base=f"0501234568{round_}", kind="050",
                                                                         quantity="1")], red_options=[Options()])],
            extra=Schedule(date=day.isoformat(), reason="接続試験のため"))
        [order] = draft_submit(draft_id=draft.pk, user=user)
        to = dt.datetime.combine(day + dt.timedelta(days=14), dt.time(12), tzinfo=clock.JST)
        clock_advance_start(organisation_id=org.pk, to=to, enqueue=False)
        results = at_once(lambda org=org: clock_advance_run(organisation_id=org.pk),
                          lambda org=org: clock_advance_run(organisation_id=org.pk))
        assert sorted(bool(r) for r in results) == [False, True], results
        assert WebhookEvent.objects.filter(organisation=org, type="test_clock.ready").count() == 1
        order.refresh_from_db()
        assert order.status == Status.COMPLETED
