"""The built-in receiver (受信箱): a live server delivers to itself; the inbox verifies each event
with the endpoint's secret and shows it; a forged or replayed-late delivery shows as not verified."""

import datetime as dt
import json
import time

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from portal.models import WebhookInboxMessage
from portal.webhooks import deliveries_send_due, inbox_of
from tests.apiclient import Api


@pytest.mark.django_db(transaction=True)
def test_the_inbox_verifies_and_shows_what_the_portal_sends(live_server, client, alice, stocked):
    from django.test import Client

    from portal.apikeys import api_key_create

    client.force_login(alice)
    page = client.get(reverse("portal:webhook_inbox"))
    inbox_url = page.context["inbox_url"].replace("http://testserver", live_server.url)
    token = inbox_of(alice.organisation).token
    assert token in inbox_url and "まだ何も届いていません" in page.content.decode()
    api = Api(Client(), api_key_create(user=alice, name="inbox")[1])
    endpoint = api.post("/webhook-endpoints", {"url": inbox_url}).json()
    api.post("/orders", {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "050", "quantity": 1}],
                         "contact": {"name": "山田", "phone": "0311112222", "email": "y@example.com"}})
    deliveries_send_due()  # a worker of the suite may be sending it meanwhile (the commit enqueued it)
    deadline = time.monotonic() + 15
    while not WebhookInboxMessage.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    got = WebhookInboxMessage.objects.get()
    assert got.verified and got.type == "order.accepted" and got.msg_id.startswith("msg_")
    rows = client.get(reverse("portal:webhook_inbox"), HTTP_HX_REQUEST="true")
    assert "order.accepted" in rows.content.decode() and "OK（署名が一致）" in rows.content.decode()
    assert "<html" not in rows.content.decode()  # the rows alone, for htmx
    # Forged (another secret) and stale (older than five minutes) deliveries are shown as such.
    body = json.dumps({"type": "order.completed", "timestamp": "", "data": {}}).encode()
    now = dt.datetime.now(dt.UTC)
    forged = Webhook("whsec_" + "A" * 32).sign("msg_forged", now, body)
    stale_at = now - dt.timedelta(minutes=10)
    stale = Webhook(endpoint["secret"]).sign("msg_stale", stale_at, body)
    receive = reverse("portal:webhook_inbox_receive", args=[token])
    for msg_id, signature, at in (("msg_forged", forged, now), ("msg_stale", stale, stale_at)):
        answer = Client().post(receive, body, content_type="application/json", HTTP_WEBHOOK_ID=msg_id,
                               HTTP_WEBHOOK_TIMESTAMP=str(int(at.timestamp())), HTTP_WEBHOOK_SIGNATURE=signature)
        assert answer.status_code == 204
    assert not WebhookInboxMessage.objects.filter(msg_id__in=["msg_forged", "msg_stale"], verified=True).exists()
    assert Client().post(reverse("portal:webhook_inbox_receive", args=["nope"]), body,
                         content_type="application/json").status_code == 404
