"""Test clocks per organisation: one organisation's clock moved by API runs its due work in time
order with its events; another organisation's orders and clock do not move."""

import datetime as dt

import pytest
from standardwebhooks import Webhook

from numbering.services import stock_add_range
from orders.lead_times import earliest_date
from orders.models import Order
from portal import business_days, clock
from portal.models import OrganisationClock
from portal.test_clocks import clock_advance_run
from portal.webhooks import deliveries_send_due
from tests.api.receiver import Receiver

CONTACT = {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"}


def scheduled(contract, day):
    return {"flow": "scheduled", "contract": contract.number, "contact": CONTACT,
            "items": [{"type": "dialin", "rows": [{"base": contract.base_numbers.first().number, "kind": "050",
                                                   "quantity": 2}]}],
            "construction": {"date": day.isoformat()}}


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def test_an_organisation_advances_its_own_clock_and_only_its_orders_move(
        api, outsider_api, alice, charlie, stocked, outsider_contract, receiver, settings):
    settings.PORTAL_DEMO_CLOCK = True
    stock_add_range(first="05062350000", last="05062350099")
    endpoint = api.post("/webhook-endpoints", {"url": receiver.url}).json()
    day = earliest_date(items={"dialin"})
    mine = api.post("/orders", scheduled(stocked, day)).json()["data"][0]
    theirs = outsider_api.post("/orders", scheduled(outsider_contract, day)).json()["data"][0]
    before = api.get("/test-clock").json()
    assert before["status"] == "ready" and before["own"] is True and before["now"].endswith("+09:00")
    # Forward only; then to two business days after 竣工 is due.
    back = api.post("/test-clock/advance", {"to": "2020-01-01T00:00:00+09:00"})
    assert back.status_code == 422 and back.json()["errors"][0]["field"] == "to"
    target = dt.datetime.combine(business_days.add_business_days(day, 3), dt.time(10, 0), tzinfo=clock.JST)
    started = api.post("/test-clock/advance", {"to": target.isoformat()})
    assert started.status_code == 202 and started.json()["status"] == "advancing"
    busy = api.post("/test-clock/advance", {"to": (target + dt.timedelta(days=1)).isoformat()})
    assert busy.status_code == 409
    done = clock_advance_run(organisation_id=alice.organisation_id)  # what the task does
    assert done["activated"] == 1 and done["completed"] == 1
    after = api.get("/test-clock").json()
    assert after["status"] == "ready" and after["now"].startswith(target.date().isoformat())
    order = api.get(f"/orders/{mine['request_id']}").json()
    assert order["status"] == "completed" and order["activated_on"] == day.isoformat()
    stamps = {e["status"]: e["at"] for e in order["timeline"]}
    assert stamps["in_construction"].startswith(day.isoformat())  # each step at its own moment
    assert stamps["completed"].startswith(order["completion_due_on"])
    # The other organisation: its order waits, its clock did not move.
    assert Order.objects.get(request_id=theirs["request_id"]).status == "accepted"
    assert not OrganisationClock.objects.filter(organisation=charlie.organisation).exists()
    with clock.of(charlie.organisation_id):
        assert clock.today() < day
    # Events: the order's in order, the clock's advancing then ready, each verified.
    deliveries_send_due()
    events = [Webhook(endpoint["secret"]).verify(r.body, r.headers) for r in receiver.received]
    kinds = [e["type"] for e in events]
    order_events = [k for k in kinds if k.startswith("order.")]
    assert order_events == ["order.accepted", "order.in_construction", "order.activated", "order.completed"]
    assert kinds.index("test_clock.advancing") < kinds.index("test_clock.ready")
    assert events[kinds.index("order.completed")]["timestamp"].startswith(order["completion_due_on"])


def test_the_clock_is_the_organisation_s_on_screen_too(client, api, alice, charlie, stocked, settings):
    settings.PORTAL_DEMO_CLOCK = True
    target = clock.now() + dt.timedelta(days=40)
    api.post("/test-clock/advance", {"to": target.isoformat()})
    clock_advance_run(organisation_id=alice.organisation_id)
    client.force_login(alice)
    banner = client.get("/").content.decode().split('class="demo-clock"')
    assert len(banner) == 2 and target.astimezone(clock.JST).strftime("%Y年%m月%d日") in banner[1][:200]
    client.force_login(charlie)  # the other organisation: real time, no banner clock
    assert 'class="demo-clock"' not in client.get("/").content.decode()


def test_test_clocks_are_demo_only(api, stocked, settings):
    settings.PORTAL_DEMO_CLOCK = False
    assert api.get("/test-clock").status_code == 403
    assert api.post("/test-clock/advance", {"to": "2030-01-01T00:00:00+09:00"}).status_code == 403


def test_operators_move_and_reset_organisations_clocks_in_admin(client, api, outsider_api, operator, alice, charlie,
                                                               stocked, outsider_contract, settings):
    settings.PORTAL_DEMO_CLOCK = True
    day = earliest_date(items={"dialin"})
    stock_add_range(first="05062350000", last="05062350099")
    mine = api.post("/orders", scheduled(stocked, day)).json()["data"][0]
    theirs = outsider_api.post("/orders", scheduled(outsider_contract, day)).json()["data"][0]
    client.force_login(operator)
    response = client.post("/admin/portal/organisation/", {
        "action": "clock_jump", "_selected_action": [alice.organisation_id]}, follow=True)
    assert "開通 1件" in response.content.decode()
    assert Order.objects.get(request_id=mine["request_id"]).status == "activated"
    assert Order.objects.get(request_id=theirs["request_id"]).status == "accepted"
    page = client.post("/admin/portal/organisation/", {
        "action": "clock_to_date", "_selected_action": [charlie.organisation_id]})
    assert page.status_code == 200 and "この日付まで進める" in page.content.decode()  # asks for the date
    client.post("/admin/portal/organisation/", {
        "action": "clock_to_date", "_selected_action": [charlie.organisation_id], "apply": "1",
        "to_date": business_days.add_business_days(day, 3).isoformat()})
    assert Order.objects.get(request_id=theirs["request_id"]).status == "completed"
    assert Order.objects.get(request_id=mine["request_id"]).status == "activated"  # alice's clock did not move
    client.post("/admin/portal/organisation/", {"action": "clock_back", "_selected_action": [charlie.organisation_id]})
    assert not OrganisationClock.objects.filter(organisation=charlie.organisation).exists()
    completed = Order.objects.get(request_id=theirs["request_id"])
    assert completed.completed_on <= clock.today()  # brought back with the clock
