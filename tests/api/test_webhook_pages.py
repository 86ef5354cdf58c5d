"""The Webhook pages: endpoints added (URL checked, cap), the secret shown and rotated, sending
stopped and resumed, the delivery log with every attempt and 再送; another organisation sees none."""

from django.urls import reverse

from portal.models import WebhookDelivery, WebhookEndpoint
from portal.webhooks import deliveries_send_due
from tests.api.receiver import Receiver


def test_a_customer_manages_an_endpoint_and_reads_its_log(client, alice, charlie, api, stocked, settings):
    receiver = Receiver(statuses=[503])
    try:
        client.force_login(alice)
        page = client.get(reverse("portal:webhooks")).content.decode()
        assert "Webhook エンドポイントはまだありません" in page and "order.activated" in page
        settings.WEBHOOKS_ALLOW_PRIVATE = False
        refused = client.post(reverse("portal:webhooks"), {"url": receiver.url})
        assert refused.status_code == 422 and "ローカルのアドレス" in refused.content.decode()
        settings.WEBHOOKS_ALLOW_PRIVATE = True
        response = client.post(reverse("portal:webhooks"), {"url": receiver.url, "description": "在庫システム",
                                                            "events": ["order.accepted"]})
        endpoint = WebhookEndpoint.objects.get()
        assert response.url == reverse("portal:webhook_detail", args=[endpoint.pk])
        detail = client.get(response.url).content.decode()
        assert endpoint.secret in detail and "送信したイベントはまだありません" in detail
        api.post("/orders", {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "050", "quantity": 1}],
                             "contact": {"name": "山田", "phone": "0311112222", "email": "y@example.com"}})
        deliveries_send_due()
        log = client.get(response.url).content.decode()
        assert "order.accepted" in log and "503" in log and "送信待ち" in log
        delivery = WebhookDelivery.objects.get()
        client.post(response.url, {"action": "resend", "delivery": delivery.pk})
        deliveries_send_due()
        assert "送信済み" in client.get(response.url).content.decode()
        assert len(receiver.received) == 2
        old = endpoint.secret
        client.post(response.url, {"action": "rotate"})
        endpoint.refresh_from_db()
        assert endpoint.secret != old and endpoint.previous_secret == old
        client.post(response.url, {"action": "disable"})
        assert not WebhookEndpoint.objects.get().enabled
        client.force_login(charlie)
        assert client.get(response.url).status_code == 404
        assert receiver.url not in client.get(reverse("portal:webhooks")).content.decode()
        client.force_login(alice)
        client.post(response.url, {"action": "delete"})
        assert not WebhookEndpoint.objects.exists()
    finally:
        receiver.close()


def test_operators_read_the_delivery_log_and_resend_in_admin(client, operator, api, stocked):
    from portal.webhooks import deliveries_send_due

    receiver = Receiver(statuses=[500])
    try:
        endpoint = api.post("/webhook-endpoints", {"url": receiver.url}).json()
        api.post("/orders", {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "050", "quantity": 1}],
                             "contact": {"name": "山田", "phone": "0311112222", "email": "y@example.com"}})
        deliveries_send_due()
        client.force_login(operator)
        listing = client.get("/admin/portal/webhookdelivery/").content.decode()
        assert "order.accepted" in listing
        delivery = WebhookDelivery.objects.get()
        detail = client.get(f"/admin/portal/webhookdelivery/{delivery.pk}/change/").content.decode()
        assert "500" in detail
        assert endpoint["secret"] not in client.get(
            f"/admin/portal/webhookendpoint/{endpoint['id']}/change/").content.decode()
        client.post("/admin/portal/webhookdelivery/", {"action": "resend", "_selected_action": [delivery.pk]})
        deliveries_send_due()
        delivery.refresh_from_db()
        assert delivery.state == "delivered" and len(receiver.received) == 2
    finally:
        receiver.close()
