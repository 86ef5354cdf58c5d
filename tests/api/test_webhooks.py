"""Webhooks as a program receives them: endpoints by API, every order event signed (Standard
Webhooks) and in order, retries with the same webhook-id, 410 stops, SSRF refusals, the log."""

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from orders.activation import order_activate
from orders.models import Order
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.webhooks import deliveries_send_due, delivery_send
from tests.api.receiver import Receiver

CONTACT = {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"}
IMMEDIATE = {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "050", "quantity": 2}], "contact": CONTACT}


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def _endpoint(api, receiver, **extra):
    response = api.post("/webhook-endpoints", {"url": receiver.url, **extra})
    assert response.status_code == 201, response.json()
    return response.json()


def _events(receiver, secret):
    """What the receiver got, each verified as a receiver must (signature and timestamp)."""
    return [Webhook(secret).verify(r.body, r.headers) | {"id": r.headers["webhook-id"]} for r in receiver.received]


def test_an_order_s_events_reach_the_receiver_signed_and_in_order(api, stocked, receiver):
    endpoint = _endpoint(api, receiver)
    assert endpoint["secret"].startswith("whsec_")
    placed = api.post("/orders", IMMEDIATE).json()["data"][0]
    order_activate(order_id=Order.objects.get(request_id=placed["request_id"]).pk)
    deliveries_send_due()
    events = _events(receiver, endpoint["secret"])
    assert [e["type"] for e in events] == ["order.accepted", "order.in_construction", "order.activated",
                                           "order.completed"]
    assert len({e["id"] for e in events}) == 4 and all(e["id"].startswith("msg_") for e in events)
    assert all(e["data"]["request_id"] == placed["request_id"] for e in events)
    assert events[0]["data"]["status"] == "accepted" and events[-1]["data"]["status"] == "completed"
    assert len(events[2]["data"]["numbers"]) == 2 and events[2]["data"]["numbers_complete"] is True
    assert events[0]["timestamp"].endswith("+09:00")
    stamp = int(receiver.received[0].headers["webhook-timestamp"])
    assert abs(stamp - timezone.now().timestamp()) < 60  # the attempt's real time
    log = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
    assert [d["state"] for d in log] == ["delivered"] * 4 and log[0]["attempts"][0]["status_code"] == 200


def test_a_failing_receiver_gets_the_event_again_with_the_same_id_and_order_holds(api, stocked, receiver):
    endpoint = _endpoint(api, receiver, events=["order.accepted", "order.in_construction"])
    receiver.statuses = [500]
    placed = api.post("/orders", IMMEDIATE).json()["data"][0]
    order = Order.objects.get(request_id=placed["request_id"])
    first = WebhookDelivery.objects.get()
    assert delivery_send(delivery_id=first.pk) is False  # 500: retried later
    first.refresh_from_db()
    assert first.state == "pending" and 4 < (first.next_attempt_at - timezone.now()).total_seconds() <= 6
    order_activate(order_id=order.pk)  # in_construction (wanted) … completed (not wanted)
    second = WebhookDelivery.objects.exclude(pk=first.pk).get()
    assert delivery_send(delivery_id=second.pk) is False  # waits for the order's earlier event
    WebhookDelivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    deliveries_send_due()
    events = _events(receiver, endpoint["secret"])
    assert [e["type"] for e in events] == ["order.accepted", "order.accepted", "order.in_construction"]
    assert events[0]["id"] == events[1]["id"]  # the same webhook-id across retries
    log = api.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").json()["data"]
    assert [a["status_code"] for a in log[-1]["attempts"]] == [200, 500]
    resend = api.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{log[-1]['id']}/resend")
    assert resend.status_code == 202
    deliveries_send_due()
    assert len(receiver.received) == 4


def test_410_stops_the_endpoint_and_the_customer_is_told(api, alice, stocked, receiver,
                                                         django_capture_on_commit_callbacks):
    endpoint = _endpoint(api, receiver)
    receiver.statuses = [410]
    api.post("/orders", IMMEDIATE)
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_send_due()
    stored = WebhookEndpoint.objects.get()
    assert not stored.enabled and "410" in stored.disabled_reason
    assert any("Webhook" in m.subject and alice.email in m.to for m in mail.outbox)
    api.post("/orders", IMMEDIATE)
    deliveries_send_due()
    assert len(receiver.received) == 1  # nothing more is sent
    again = api.patch(f"/webhook-endpoints/{endpoint['id']}", {"enabled": True})
    assert again.status_code == 200 and again.json()["enabled"] is True


def test_a_rotated_secret_signs_beside_the_old_one(api, stocked, receiver):
    endpoint = _endpoint(api, receiver)
    rotated = api.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret").json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_until"]
    api.post("/orders", IMMEDIATE)
    deliveries_send_due()
    assert _events(receiver, endpoint["secret"]) == _events(receiver, rotated["secret"])


def test_ssrf_urls_are_refused(api, stocked, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    for url in ["http://127.0.0.1:8000/hooks", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data",
                "http://[::1]/", "ftp://example.com/", "http://user:pw@example.com/", "http://localhost/x"]:
        response = api.post("/webhook-endpoints", {"url": url})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "url", url
    assert not WebhookEndpoint.objects.exists()


def test_endpoints_are_capped_scoped_and_filtered_by_known_events(api, outsider_api, stocked, receiver):
    endpoint = _endpoint(api, receiver)
    assert outsider_api.get(f"/webhook-endpoints/{endpoint['id']}").status_code == 404
    assert outsider_api.get("/webhook-endpoints").json()["data"] == []
    bad = api.post("/webhook-endpoints", {"url": receiver.url, "events": ["order.exploded"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "events[0]"
    for _ in range(9):
        _endpoint(api, receiver)
    assert api.post("/webhook-endpoints", {"url": receiver.url}).status_code == 409
    assert api.delete(f"/webhook-endpoints/{endpoint['id']}").status_code == 204
    assert len(api.get("/webhook-endpoints").json()["data"]) == 9


def test_no_endpoint_no_event_recorded(api, stocked):
    from portal.models import WebhookEvent

    api.post("/orders", IMMEDIATE)
    assert not WebhookEvent.objects.exists()


def test_an_endpoint_failing_for_five_days_is_stopped_and_the_customer_told(
        api, alice, stocked, receiver, django_capture_on_commit_callbacks):
    import datetime as dt

    _endpoint(api, receiver)
    receiver.statuses = [500]
    api.post("/orders", IMMEDIATE)
    WebhookEndpoint.objects.update(failing_since=timezone.now() - dt.timedelta(days=5, minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_send_due()
    stored = WebhookEndpoint.objects.get()
    assert not stored.enabled and "5日間" in stored.disabled_reason
    assert WebhookDelivery.objects.get().state == "failed"
    assert any("Webhook" in m.subject and alice.email in m.to for m in mail.outbox)
