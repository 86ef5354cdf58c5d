"""API キー: the customer's page (create, shown once, revoke) and the operator's admin."""

from django.urls import reverse

from portal.models import ApiKey
from tests.apiclient import Api


def test_a_customer_creates_a_key_sees_it_once_and_revokes_it(client, alice, charlie, stocked):
    client.force_login(alice)
    page = client.get(reverse("portal:api_keys")).content.decode()
    assert "API キーはまだありません" in page and "/api/v1/docs" in page
    assert client.post(reverse("portal:api_keys"), {"name": ""}).status_code == 422
    response = client.post(reverse("portal:api_keys"), {"name": "在庫連携"})
    assert response.status_code == 302
    shown = client.get(reverse("portal:api_keys")).content.decode()
    row = ApiKey.objects.get()
    key = shown.split('id="new-key"')[1].split('value="')[1].split('"')[0]
    assert key.startswith(row.prefix) and "今だけ表示されます" in shown
    assert key not in client.get(reverse("portal:api_keys")).content.decode()  # once only
    api = Api(client, key)
    assert api.get("/contracts").status_code == 200
    listed = client.get(reverse("portal:api_keys")).content.decode()
    assert "在庫連携" in listed and "未使用" not in listed  # its last use is shown
    # Another organisation can neither see nor revoke it.
    client.force_login(charlie)
    assert "在庫連携" not in client.get(reverse("portal:api_keys")).content.decode()
    assert client.post(reverse("portal:api_key_revoke", args=[row.pk])).status_code == 404
    client.force_login(alice)
    client.post(reverse("portal:api_key_revoke", args=[row.pk]))
    assert api.get("/contracts").status_code == 401  # at once
    assert "無効（" in client.get(reverse("portal:api_keys")).content.decode()


def test_the_header_links_the_api_for_signed_in_customers(client, alice):
    client.force_login(alice)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert f'href="{reverse("portal:api_keys")}"' in page and 'href="/api/v1/docs"' in page


def test_operators_list_and_revoke_keys_in_admin(client, alice, operator, stocked):
    from portal.apikeys import api_key_create

    _row, key = api_key_create(user=alice, name="prod")
    client.force_login(operator)
    page = client.get("/admin/portal/apikey/").content.decode()
    assert "prod" in page and key not in page
    client.post("/admin/portal/apikey/", {"action": "revoke", "_selected_action": [ApiKey.objects.get().pk]})
    assert Api(client, key).get("/contracts").status_code == 401
