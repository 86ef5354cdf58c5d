"""When the network says no: the losing carrier rejects a porting, an activation fails (for a
moment, retried with backoff, or for good), a stock pool is short — provoked by test values (the
same on screen, in CSV and by API) or a trainer's switch, each ending in エラー with its reason on
every page the customer reads, in the API and the order.error event; and the operator's way out
(retry, move the construction date, cancel with a reason)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from numbering.models import DialInNumber, ReservationCode, StockNumber
from numbering.services import reservation_code_issue, stock_add_range
from orders import activation, operator, rules
from orders.lead_times import earliest_date
from orders.models import EventNote, NetworkScenario, Order, SentMail, Status
from portal import business_days, clock, test_clocks
from portal.models import WebhookEvent
from tests.api.test_scheduled_api import PORT

CHANGELIST = "admin:orders_order_changelist"


def contact(phone="03-1111-2222"):
    return {"name": "山田 太郎", "department": "総務部", "phone": phone, "email": "yamada@example.com"}


def immediate(api, contract, *, phone="03-1111-2222", quantity=2, kind="0AJ"):
    response = api.post("/orders", {"flow": "immediate", "contact": contact(phone),
                                    "rows": [{"base": "0312345678", "kind": kind, "quantity": quantity}]})
    assert response.status_code == 201, response.json()
    return Order.objects.get(request_id=response.json()["data"][0]["request_id"])


def porting(api, contract, *, number="0311110001", phone="03-1111-2222", quantity=1):
    day = earliest_date(items={"dialin", "porting", "nw_address"})
    response = api.post("/orders", {
        "flow": "scheduled", "contract": contract.number, "contact": contact(phone),
        "items": [{"type": "dialin", "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": quantity}]},
                  {"type": "porting", "ports": [{**PORT, "number": number}], "remaining": "無"}],
        "network_changes": [{"action": "add", "network": "198.51.100.0", "prefix": 28}],
        "construction": {"date": day.isoformat()}})
    assert response.status_code == 201, response.json()["errors"]
    return Order.objects.get(request_id=response.json()["data"][0]["request_id"])


def events_of(order) -> list[str]:
    return list(WebhookEvent.objects.filter(subject=order.request_id).order_by("id").values_list("type", flat=True))


def codes(order) -> list[str]:
    return list(order.events.order_by("at", "id").values_list("note_code", flat=True))


def past_the_answer(order):
    """The organisation's test clock to noon of the day the losing carrier answers the order."""
    order.refresh_from_db()
    to = dt.datetime.combine(order.porting_answer_on, dt.time(12), tzinfo=clock.JST)
    return test_clocks.clock_advance_now(organisation_id=order.organisation_id, to=to)


def advance_to(order, day: dt.date):
    to = dt.datetime.combine(day, dt.time(12), tzinfo=clock.JST)
    return test_clocks.clock_advance_now(organisation_id=order.organisation_id, to=to)


def advance(order, **delta):
    """The organisation's test clock forward by `delta`, running what falls due on the way."""
    with clock.of(order.organisation_id):
        to = clock.now() + dt.timedelta(**delta)
    return test_clocks.clock_advance_now(organisation_id=order.organisation_id, to=to)


@pytest.fixture
def operator_user(operator):
    return operator


@pytest.fixture
def hooked(api):
    """An endpoint listening to every event, so the outbox records them (delivery is not the point)."""
    response = api.post("/webhook-endpoints", {"url": "http://127.0.0.1:9/hook", "description": "ci"})
    assert response.status_code == 201, response.json()


# --- Activation fails for good (test value 9912) --------------------------------------------------

def test_a_permanent_failure_ends_in_error_with_its_reason_everywhere_and_a_retry_activates(
        api, client, alice, stocked, hooked):
    order = immediate(api, stocked, phone="03-5555-9912")
    activation.order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.ERROR and order.error_code == EventNote.ACTIVATION_FAILED
    assert not DialInNumber.objects.filter(source=order.request_id).exists()  # nothing issued
    assert EventNote.MAGIC in codes(order)  # the timeline says a test value did it
    got = api.get(f"/orders/{order.request_id}").json()
    assert got["status"] == "error" and got["error"]["code"] == "activation_failed"
    assert "恒久的な障害" in got["error"]["message"]
    listed = api.get("/orders", {"status": "error"}).json()["data"]
    assert [(o["request_id"], o["error"]["code"]) for o in listed] == [(order.request_id, "activation_failed")]
    # The customer's pages: history row, order page (which keeps asking while an operator works on it).
    client.force_login(alice)
    history = client.get(reverse("orders:history")).content.decode()
    assert "ネットワークの障害のため開通できませんでした" in history
    page = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    assert "エラーの理由" in page and "恒久的な障害" in page and 'hx-trigger="every 5s"' in page
    assert events_of(order) == ["order.accepted", "order.in_construction", "order.error"]
    error_event = WebhookEvent.objects.get(subject=order.request_id, type="order.error")
    assert error_event.data["error"]["code"] == "activation_failed"
    # The way out: retry (here the demo's test helper, as an operator's action) → 工事了 with numbers.
    retried = api.post(f"/test-helpers/orders/{order.request_id}/retry")
    assert retried.status_code == 200, retried.json()
    assert retried.json()["status"] == "completed" and retried.json()["status_label"] == "工事了"
    assert retried.json()["error"] is None
    assert DialInNumber.objects.filter(source=order.request_id).count() == 2
    assert events_of(order)[-3:] == ["order.accepted", "order.in_construction", "order.activated"] or \
        events_of(order)[-4:-1] == ["order.accepted", "order.in_construction", "order.activated"]
    again = api.post(f"/test-helpers/orders/{order.request_id}/retry")
    assert again.status_code == 409 and again["Content-Type"] == "application/problem+json"


# --- Activation fails for a moment (9911): retried with backoff -----------------------------------

def test_a_transient_failure_keeps_the_order_in_construction_and_the_retries_activate_it(api, alice, stocked):
    order = immediate(api, stocked, phone="03-5555-9911")
    activation.order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.IN_CONSTRUCTION and order.activation_attempts == 1
    assert order.next_attempt_at is not None
    # Too early: nothing happens (a duplicated or early task changes nothing).
    assert activation.order_attempt_again(order_id=order.pk) is False
    timeline = api.get(f"/orders/{order.request_id}").json()["timeline"]
    assert timeline[-1]["code"] == "activation_transient" and "5秒後に再試行します" in timeline[-1]["text"]
    advance(order, seconds=6)  # the second attempt fails too, the third (15 s later) activates
    order.refresh_from_db()
    assert order.status == Status.IN_CONSTRUCTION and order.activation_attempts == 2
    advance(order, seconds=16)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order.error_code == ""
    assert DialInNumber.objects.filter(source=order.request_id).count() == 2
    assert codes(order).count(EventNote.ACTIVATION_TRANSIENT) == 2


def test_transient_failures_past_the_limit_give_up_in_error(api, alice, stocked):
    NetworkScenario.objects.create(organisation=alice.organisation, kind="activation_transient", times=9)
    order = immediate(api, stocked)
    activation.order_activate(order_id=order.pk)
    for _round in range(6):
        advance(order, minutes=10)
    order.refresh_from_db()
    assert order.status == Status.ERROR and order.error_code == EventNote.ACTIVATION_GAVE_UP
    assert order.activation_attempts == 5
    assert not DialInNumber.objects.filter(source=order.request_id).exists()
    assert EventNote.SCENARIO_TRANSIENT in codes(order)


# --- A stock pool short (9913, a switch, or really empty) -----------------------------------------

def test_a_pool_found_empty_names_the_pool_and_an_operator_retry_after_stock_activates(
        api, client, operator_user, alice, stocked):
    order = immediate(api, stocked, phone="03-5555-9913", quantity=3)
    activation.order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.ERROR and order.error_code == EventNote.POOL_EMPTY
    assert order.error_params == {"pool": "0AJ 03", "wanted": 3, "free": 0}
    assert "番号在庫（0AJ 03）" in order.error_text
    assert "番号在庫（0AJ 03）に空き番号を追加" in order.error_hint  # what the operator is told to do
    client.force_login(operator_user)
    change = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "エラーの理由と対応" in change and "空き番号を追加してから" in change
    stock_add_range(first="0312360000", last="0312360009")
    client.post(reverse(CHANGELIST), {"action": "retry", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert DialInNumber.objects.filter(source=order.request_id).count() == 3
    retry = order.events.get(note_code=EventNote.RETRY)
    assert retry.user == operator_user  # the timeline names the operator


def test_a_really_empty_pool_is_shown_with_its_pool_and_never_half_issued(api, alice, stocked):
    order = immediate(api, stocked, kind="050", quantity=5)
    StockNumber.objects.filter(kind="050").exclude(number__in=["05012350000", "05012350001"]).delete()
    activation.order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.ERROR and order.error_params == {"pool": "050", "wanted": 5, "free": 2}
    assert not DialInNumber.objects.filter(source=order.request_id).exists()
    assert StockNumber.objects.filter(kind="050").count() == 2  # nothing taken


def test_a_pool_switch_hits_only_an_order_drawing_from_that_pool(api, alice, stocked):
    NetworkScenario.objects.create(organisation=alice.organisation, kind="pool_empty", pool_kind="050")
    other = immediate(api, stocked, kind="0AJ")
    activation.order_activate(order_id=other.pk)
    other.refresh_from_db()
    assert other.status == Status.COMPLETED  # a 0AJ order does not draw from the 050 pool
    hit = immediate(api, stocked, kind="050")
    activation.order_activate(order_id=hit.pk)
    hit.refresh_from_db()
    assert hit.status == Status.ERROR and hit.error_params["pool"] == "050"
    scenario = NetworkScenario.objects.get()
    assert scenario.used_by == hit and EventNote.SCENARIO_POOL in codes(hit)


# --- The losing carrier rejects a porting (9901–9903, or a switch) --------------------------------

@pytest.mark.parametrize(("ending", "code"), [("9901", "porting_holder_mismatch"), ("9902", "porting_address_mismatch"),
                                              ("9903", "porting_not_portable")])
def test_a_rejected_porting_puts_the_whole_order_in_error_before_its_date(api, alice, stocked, hooked, ending, code):
    number = "031111" + ending
    order = porting(api, stocked, number=number)
    assert order.porting_answer_on == business_days.add_business_days(clock.today(), 1)
    assert order.porting_answer_on < order.scheduled_on  # the answer comes before the construction date
    past_the_answer(order)
    order.refresh_from_db()
    assert order.status == Status.ERROR and order.error_code == code
    assert order.error_params == {"numbers": [number]}
    got = api.get(f"/orders/{order.request_id}").json()
    assert got["error"]["code"] == code and number in got["error"]["message"]
    assert not DialInNumber.objects.filter(source=order.request_id).exists()  # the dial-in item neither
    assert events_of(order) == ["order.accepted", "order.error"]
    # Its construction date passes: nothing is activated while it is in エラー.
    advance_to(order, order.scheduled_on + dt.timedelta(days=3))
    order.refresh_from_db()
    assert order.status == Status.ERROR


def test_an_accepted_porting_is_on_the_timeline_and_the_order_activates_on_its_date(api, alice, stocked):
    order = porting(api, stocked)
    past_the_answer(order)
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED and EventNote.PORTING_ACCEPTED in codes(order)
    assert order.porting_answer_on is None


def test_a_porting_switch_rejects_the_next_porting_only_with_its_reason(api, alice, stocked):
    NetworkScenario.objects.create(organisation=alice.organisation, kind="porting_rejected",
                                   reason="porting_address_mismatch")
    first = porting(api, stocked, number="0311110001")
    second = porting(api, stocked, number="0311110002")
    past_the_answer(first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.ERROR and first.error_code == "porting_address_mismatch"
    assert EventNote.SCENARIO_PORTING in codes(first)
    assert second.status == Status.ACCEPTED  # the switch was spent on the first


def test_the_operator_moves_the_date_of_a_rejected_porting_and_the_carrier_is_asked_again(
        api, client, operator_user, alice, stocked):
    NetworkScenario.objects.create(organisation=alice.organisation, kind="porting_rejected",
                                   reason="porting_holder_mismatch")
    order = porting(api, stocked)
    past_the_answer(order)
    order.refresh_from_db()
    assert order.status == Status.ERROR
    client.force_login(operator_user)
    asked = client.post(reverse(CHANGELIST), {"action": "move_date", "_selected_action": [order.pk]})
    assert "工事日の変更" in asked.content.decode()  # the intermediate page asks for the date
    with clock.of(order.organisation_id):
        too_early = clock.today() + dt.timedelta(days=1)
        day = earliest_date(items={"dialin", "porting", "nw_address"})
    refused = client.post(reverse(CHANGELIST), {"action": "move_date", "_selected_action": [order.pk], "apply": "1",
                                                "day": too_early.isoformat(), "note": ""}, follow=True)
    assert "最短納期日" in refused.content.decode()
    order.refresh_from_db()
    assert order.status == Status.ERROR
    moved = client.post(reverse(CHANGELIST), {"action": "move_date", "_selected_action": [order.pk], "apply": "1",
                                              "day": day.isoformat(), "note": "回線名義を訂正しました"}, follow=True)
    assert "1件のお申し込みの工事日を変更しました" in moved.content.decode()
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED and order.scheduled_on == day and order.error_code == ""
    entry = order.events.get(note_code=EventNote.DATE_MOVED)
    assert entry.user == operator_user and entry.note == "回線名義を訂正しました"
    mail = SentMail.objects.get(order=order, kind=SentMail.Kind.DATE_CHANGED)
    assert "工事日変更のお知らせ" in mail.subject and "回線名義を訂正しました" in mail.body_text
    # The carrier answers again (the switch is spent: accepted), then the date comes: activated.
    advance_to(order, rules.completion_date(day) + dt.timedelta(days=1))
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert DialInNumber.objects.filter(source=order.request_id).count() == 2


def test_a_date_move_keeps_the_rules_of_the_customer_screen(api, alice, stocked):
    immediate_order = immediate(api, stocked)
    order = porting(api, stocked)
    saturday = clock.today() + dt.timedelta(days=60)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="理由を入力してください"):
        operator.order_move_date(order_id=order.pk, day=saturday)
    with pytest.raises(ValidationError, match="工事日がありません"):
        operator.order_move_date(order_id=immediate_order.pk, day=saturday)


# --- Cancel with a reason: codes released, e-mail, webhook ----------------------------------------

def test_the_operator_cancels_an_order_in_error_with_a_reason(api, client, operator_user, alice, stocked, hooked):
    code = reservation_code_issue(contract=stocked, numbers=["0312350190"], expires_at=clock.now() + dt.timedelta(3))
    response = api.post("/orders", {"flow": "immediate", "contact": contact("03-5555-9912"),
                                    "reserved": [{"base": "0312345678", "number": "0312350190", "code": code.code}]})
    order = Order.objects.get(request_id=response.json()["data"][0]["request_id"])
    activation.order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.ERROR
    client.force_login(operator_user)
    client.post(reverse(CHANGELIST), {"action": "cancel", "_selected_action": [order.pk], "apply": "1",
                                      "reason": "ネットワーク設備の更改のため"})
    order.refresh_from_db()
    code.refresh_from_db()
    assert order.status == Status.CANCELLED and code.status == ReservationCode.Status.AVAILABLE
    entry = order.events.get(to_status=Status.CANCELLED)
    assert entry.user == operator_user and entry.note == "ネットワーク設備の更改のため"
    mail = SentMail.objects.get(order=order, kind=SentMail.Kind.CANCELLED)
    assert "ネットワーク設備の更改のため" in mail.body_text and "ネットワーク設備の更改のため" in mail.body_html
    assert events_of(order)[-1] == "order.cancelled"


def test_the_customer_may_cancel_an_order_in_error(api, client, alice, stocked):
    order = immediate(api, stocked, phone="03-5555-9912")
    activation.order_activate(order_id=order.pk)
    client.force_login(alice)
    page = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    assert "エラーになったこのお申し込みをキャンセルできます" in page
    cancelled = api.post(f"/orders/{order.request_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


# --- Switches are per organisation, spent once, and off in production -----------------------------

def test_a_switch_is_spent_by_the_order_it_hits_and_other_organisations_are_untouched(
        api, outsider_api, alice, charlie, stocked, outsider_contract):
    NetworkScenario.objects.create(organisation=alice.organisation, kind="activation_permanent")
    stock_add_range(first="0612350000", last="0612350009")
    theirs = outsider_api.post("/orders", {"flow": "immediate", "contact": contact(), "rows": [
        {"base": outsider_contract.base_numbers.first().number, "kind": "0AJ", "quantity": 1}]})
    assert theirs.status_code == 201, theirs.json()
    other = Order.objects.get(request_id=theirs.json()["data"][0]["request_id"])
    activation.order_activate(order_id=other.pk)
    first, second = immediate(api, stocked), immediate(api, stocked)
    activation.order_activate(order_id=first.pk)
    activation.order_activate(order_id=second.pk)
    statuses = {o.pk: o.status for o in Order.objects.all()}
    assert (statuses[other.pk], statuses[first.pk], statuses[second.pk]) == (
        Status.COMPLETED, Status.ERROR, Status.COMPLETED)
    assert EventNote.SCENARIO_PERMANENT in codes(first)


def test_test_values_do_nothing_when_scenarios_are_off(api, alice, stocked, settings):
    settings.PORTAL_NETWORK_SCENARIOS = False
    order = immediate(api, stocked, phone="03-5555-9912")
    activation.order_activate(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED


def test_the_scenario_admin_checks_a_switch_and_hides_when_off(client, operator_user, alice, settings):
    client.force_login(operator_user)
    add = reverse("admin:orders_networkscenario_add")
    refused = client.post(add, {"organisation": alice.organisation.pk, "kind": "porting_rejected", "times": 1})
    assert refused.status_code == 200 and "拒否の理由を選んでください" in refused.content.decode()
    made = client.post(add, {"organisation": alice.organisation.pk, "kind": "activation_transient", "times": 3})
    assert made.status_code == 302
    scenario = NetworkScenario.objects.get()
    assert scenario.created_by == operator_user and scenario.summary == "開通処理の一時的な障害 ×3"
    settings.PORTAL_NETWORK_SCENARIOS = False
    assert client.get(add).status_code == 403
