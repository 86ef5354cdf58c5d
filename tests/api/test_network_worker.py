"""The network's failures end to end with a real Celery worker on Redis, triggered each way a
customer orders: the screen wizard, a CSV file through the API, the API's JSON (with the test clock
moved by the API): each order ends in エラー with its reason, nothing issued, and a porting's
rejection comes before its construction date. The transient path (retried after 5 s and 15 s) is
the slow one."""

import datetime as dt
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from numbering.models import DialInNumber
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


def test_on_screen_a_contact_phone_9913_finds_the_pool_empty(client, alice, stocked, transactional_db,
                                                             celery_session_app, celery_session_worker):
    draft = start(client, alice, stocked)
    to_step(client, draft, 4)
    client.post(step_url(draft, 4), factories.content(red=[("0312345678", "050", "3")], action="next"))
    client.post(step_url(draft, 5), {"contact_name": "山田 太郎", "contact_department": "総務部",
                                     "contact_phone": "03-5555-9913", "contact_email": "yamada@example.com"})
    client.post(step_url(draft, 6))
    order = in_status(Order.objects.get(draft_id=draft.pk), Status.ERROR)
    assert order.error_code == EventNote.POOL_EMPTY and order.error_params["pool"] == "050"
    assert not DialInNumber.objects.filter(source=order.request_id).exists()
    cell = client.get(f"/ipvoice/orders/history/{order.request_id}/progress/", {"as": "cell"}).content.decode()
    assert "番号在庫（050）の空き番号が不足" in cell


def test_by_csv_a_contact_phone_9912_fails_the_activation(api, stocked, transactional_db, celery_session_app,
                                                          celery_session_worker):
    data = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n0312345678,0AJ,2,\r\n".encode("cp932")
    response = api.post("/orders/csv", data={"file": SimpleUploadedFile("order.csv", data, "text/csv"),
                                             "contact_name": "山田 太郎", "contact_phone": "03-5555-9912",
                                             "contact_email": "yamada@example.com"})
    assert response.status_code == 201, response.json()
    order = in_status(Order.objects.get(request_id=response.json()["data"][0]["request_id"]), Status.ERROR)
    assert order.error_code == EventNote.ACTIVATION_FAILED
    assert api.get(f"/orders/{order.request_id}").json()["error"]["code"] == "activation_failed"


def test_by_api_a_ported_9902_is_rejected_when_the_test_clock_reaches_the_carrier_s_answer(
        api, stocked, transactional_db, celery_session_app, celery_session_worker):
    order = porting(api, stocked, number="0311119902")
    answer = business_days.add_business_days(clock.today(), 1)
    to = dt.datetime.combine(answer, dt.time(9), tzinfo=clock.JST)
    moved = api.post("/test-clock/advance", {"to": to.isoformat()})
    assert moved.status_code == 202, moved.json()
    wait_for(lambda: api.get("/test-clock").json()["status"] == "ready")
    order = in_status(order, Status.ERROR)
    assert order.error_code == EventNote.PORTING_ADDRESS_MISMATCH and order.scheduled_on > answer
    assert not DialInNumber.objects.filter(source=order.request_id).exists()


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
