"""The network's failures end to end with a real Celery worker on Redis, triggered each way a
customer orders: the screen wizard, a CSV file through the API, the API's JSON (with the test clock
moved by the API): each order ends in エラー with its reason, nothing issued, and a porting's
rejection comes before its construction date. The transient path (retried after 5 s and 15 s) is
the slow one."""

import datetime as dt
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from numbering.models import DialInNumber
from orders import csv_input
from orders.lead_times import earliest_date
from orders.models import EventNote, Order, Status
from portal import business_days, clock
from tests import factories
from tests.api.test_network_outcomes import porting
from tests.orders.test_immediate_wizard import start, step_url, to_step

pytestmark = [pytest.mark.worker]


def wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def in_status(order, status, timeout=30.0) -> Order:
    wait_for(lambda: Order.objects.filter(pk=order.pk, status=status).exists(), timeout)
    return Order.objects.get(pk=order.pk)


# --- How each way of ordering places the order that meets the network -------------------------------

def _screen_immediate(client, api, alice, stocked, phone):
    draft = start(client, alice, stocked)
    to_step(client, draft, 4)
    client.post(step_url(draft, 4), factories.content(red=[("0312345678", "050", "2")], action="next"))
    client.post(step_url(draft, 5), {**CONTACT_FORM, "contact_phone": phone})
    client.post(step_url(draft, 6))
    return Order.objects.get(draft_id=draft.pk)


def _csv_immediate(client, api, alice, stocked, phone):
    data = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n0312345678,050,2,\r\n".encode("cp932")
    response = api.post("/orders/csv", data={"file": SimpleUploadedFile("order.csv", data, "text/csv"),
                                             **CONTACT_FORM, "contact_phone": phone})
    assert response.status_code == 201, response.json()
    return Order.objects.get(request_id=response.json()["data"][0]["request_id"])


def _api_immediate(client, api, alice, stocked, phone):
    response = api.post("/orders", {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "050", "quantity": 2}],
                                    "contact": {"name": "山田 太郎", "phone": phone, "email": "yamada@example.com"}})
    assert response.status_code == 201, response.json()
    return Order.objects.get(request_id=response.json()["data"][0]["request_id"])


def _screen_porting(client, api, alice, stocked, number):
    from tests.orders.test_scheduled_wizard import PORT_ROW, choose, i_url, s_url
    from tests.orders.test_scheduled_wizard import start as scheduled_start

    draft = scheduled_start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new_porting"})
    choose(client, draft, ["0312345678"])
    assert client.post(i_url(draft, 3), {**PORT_ROW, "port-0-number": number}).url == i_url(draft, 4)
    client.post(i_url(draft, 4), {})
    client.post(i_url(draft, 5))
    client.post(s_url(draft, 3), {"action": "next"})
    day = earliest_date(items={"dialin", "porting", "nw_address"})
    client.post(s_url(draft, 4), {"date": day.isoformat(), "time": "", "action": "next",
                                  **factories.nw(("add", "198.51.100.0", "28"))})
    client.post(s_url(draft, 5), CONTACT_FORM)
    client.post(s_url(draft, 6))
    return Order.objects.get(draft_id=draft.pk)


def _csv_porting(client, api, alice, stocked, number):
    day = earliest_date(items={"dialin", "porting", "nw_address"})
    order = {"flow": "scheduled", "contract": stocked.number, "items": [{"type": "porting", "remaining": "無"}],
             "contact": {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"},
             "network_changes": [{"action": "add", "network": "198.51.100.0", "prefix": 28}],
             "construction": {"date": day.isoformat()}}
    rows = f"0312345678,{number},東日本電話,,ひかり電話,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,"
    data = (",".join(csv_input.PORT_COLUMNS) + "\r\n" + rows + "\r\n").encode("utf-8-sig")
    response = api.post("/orders/csv", data={"file": SimpleUploadedFile("ports.csv", data, "text/csv"),
                                             **CONTACT_FORM, "flow": "scheduled",
                                             "order": json.dumps(order, ensure_ascii=False)})
    assert response.status_code == 201, response.json()
    return Order.objects.get(request_id=response.json()["data"][0]["request_id"])


def _api_porting(client, api, alice, stocked, number):
    return porting(api, stocked, number=number)


CONTACT_FORM = {"contact_name": "山田 太郎", "contact_department": "総務部", "contact_phone": "03-1111-2222",
                "contact_email": "yamada@example.com"}
IMMEDIATE = {"screen": _screen_immediate, "csv": _csv_immediate, "api": _api_immediate}
PORTING = {"screen": _screen_porting, "csv": _csv_porting, "api": _api_porting}


@pytest.mark.parametrize("way", ["screen", "csv", "api"])
@pytest.mark.parametrize(("phone", "code"), [("03-5555-9912", EventNote.ACTIVATION_FAILED),
                                             ("03-5555-9913", EventNote.POOL_EMPTY)])
def test_an_activation_the_network_refuses_ends_in_error_and_the_retry_activates_it(
        client, api, alice, stocked, transactional_db, celery_session_app, celery_session_worker, way, phone, code):
    order = in_status(IMMEDIATE[way](client, api, alice, stocked, phone), Status.ERROR)
    assert order.error_code == code
    assert not DialInNumber.objects.filter(source=order.request_id).exists()
    got = api.get(f"/orders/{order.request_id}").json()
    assert got["error"]["code"] == code and got["error"]["message"]
    client.force_login(alice)
    cell = client.get(f"/ipvoice/orders/history/{order.request_id}/progress/", {"as": "cell"}).content.decode()
    assert got["error"]["message"] in cell
    # The way out: the operator's retry (the demo's test helper runs the same service).
    assert api.post(f"/test-helpers/orders/{order.request_id}/retry").status_code == 200
    order = in_status(order, Status.COMPLETED)
    assert DialInNumber.objects.filter(source=order.request_id).count() == 2


@pytest.mark.parametrize("way", ["screen", "csv", "api"])
def test_a_porting_the_losing_carrier_rejects_ends_in_error_before_its_date_and_is_cancelled(
        client, api, alice, stocked, transactional_db, celery_session_app, celery_session_worker, way):
    order = PORTING[way](client, api, alice, stocked, "0311119902")
    answer = business_days.add_business_days(clock.today(), 1)
    to = dt.datetime.combine(answer, dt.time(9), tzinfo=clock.JST)
    moved = api.post("/test-clock/advance", {"to": to.isoformat()})  # the worker moves the clock
    assert moved.status_code == 202, moved.json()
    wait_for(lambda: api.get("/test-clock").json()["status"] == "ready")
    order = in_status(order, Status.ERROR)
    assert order.error_code == EventNote.PORTING_ADDRESS_MISMATCH and order.scheduled_on > answer
    assert not DialInNumber.objects.filter(source=order.request_id).exists()
    # The way out for a number the carrier will not give: cancel (here the customer's own).
    cancelled = api.post(f"/orders/{order.request_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.slow
def test_by_api_a_contact_phone_9911_is_retried_by_the_worker_until_activated(
        api, stocked, transactional_db, celery_session_app, celery_session_worker):
    response = api.post("/orders", {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "050", "quantity": 2}],
                                    "contact": {"name": "山田 太郎", "phone": "03-5555-9911",
                                                "email": "yamada@example.com"}})
    order = Order.objects.get(request_id=response.json()["data"][0]["request_id"])
    wait_for(lambda: Order.objects.get(pk=order.pk).activation_attempts == 1, 15)
    assert Order.objects.get(pk=order.pk).status == Status.IN_CONSTRUCTION  # still 工事中, retrying
    order = in_status(order, Status.COMPLETED, timeout=40)  # 5 s, then 15 s later
    assert order.activation_attempts == 2
    assert DialInNumber.objects.filter(source=order.request_id).count() == 2
