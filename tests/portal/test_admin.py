import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from numbering import services
from numbering.models import (
    BaseNumber,
    DialInNumber,
    FreephoneLink,
    NetworkAddress,
    ReservationCode,
    ReservedNumber,
    StockNumber,
    VoiceContract,
    VoiceGroup,
)
from orders.models import Order
from portal.models import Organisation, User

MODELS = [Organisation, VoiceGroup, VoiceContract, BaseNumber, DialInNumber, StockNumber,
          ReservationCode, ReservedNumber, NetworkAddress, FreephoneLink, User, Order]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_lists_render_for_staff(client, operator, contract, model):
    client.force_login(operator)
    assert client.get(admin_url(model, "changelist")).status_code == 200
    assert client.get(admin_url(model, "changelist") + "?q=03").status_code == 200


def test_admin_change_pages_render(client, operator, contract):
    client.force_login(operator)
    for obj in [contract, contract.voice_group, contract.voice_group.organisation,
                contract.base_numbers.get()]:
        assert client.get(admin_url(type(obj), "change", obj.pk)).status_code == 200


def test_customers_are_redirected_from_the_admin(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_operator_adds_ten_thousand_numbers_in_one_form(client, operator):
    client.force_login(operator)
    url = reverse("admin:numbering_stocknumber_add_range")
    assert "先頭番号" in client.get(url).content.decode()
    response = client.post(url, {"first": "0312340000", "last": "0312349999"}, follow=True)
    assert "10,000件の番号を在庫に追加しました" in response.content.decode()
    assert StockNumber.objects.count() == 10_000


def test_the_range_form_shows_errors_on_its_fields(client, operator):
    client.force_login(operator)
    response = client.post(reverse("admin:numbering_stocknumber_add_range"),
                           {"first": "0312340010", "last": "0312340000"})
    assert response.status_code == 200
    assert "末尾番号は先頭番号以降の番号を指定してください" in response.content.decode()
    assert StockNumber.objects.count() == 0


def test_operator_issues_a_reservation_code(client, operator, contract):
    services.stock_add_range(first="0312340000", last="0312340009")
    client.force_login(operator)
    expires = timezone.localtime(timezone.now() + dt.timedelta(days=10))
    response = client.post(admin_url(ReservationCode, "add"), {
        "contract": contract.pk, "code": "", "numbers": "0312340000~0312340002",
        "expires_at_0": expires.strftime("%Y-%m-%d"), "expires_at_1": "12:00:00",
        "numbers-TOTAL_FORMS": "0", "numbers-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    code = ReservationCode.objects.get()
    assert code.contract == contract and code.code.startswith("R")
    assert code.numbers.count() == 3
    assert StockNumber.objects.count() == 7


def test_a_code_for_numbers_not_in_stock_is_refused_on_the_form(client, operator, contract):
    client.force_login(operator)
    expires = timezone.localtime(timezone.now() + dt.timedelta(days=10))
    response = client.post(admin_url(ReservationCode, "add"), {
        "contract": contract.pk, "code": "", "numbers": "0312340000",
        "expires_at_0": expires.strftime("%Y-%m-%d"), "expires_at_1": "12:00:00",
        "numbers-TOTAL_FORMS": "0", "numbers-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "空き番号ではありません" in response.content.decode()
    assert not ReservationCode.objects.exists()


def test_operator_creates_an_organisation_with_its_users(client, operator):
    client.force_login(operator)
    response = client.post(admin_url(Organisation, "add"), {
        "code": "NEW001", "name": "新規株式会社",
        "users-TOTAL_FORMS": "1", "users-INITIAL_FORMS": "0",
        "users-0-username": "newuser", "users-0-password": "a-long-password-1",
        "users-0-last_name": "新", "users-0-first_name": "太郎", "users-0-email": "n@example.com",
        "users-0-is_active": "on",
        "voice_groups-TOTAL_FORMS": "1", "voice_groups-INITIAL_FORMS": "0",
        "voice_groups-0-group_id": "YZ9999999", "voice_groups-0-name": "本社",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="newuser")
    assert user.organisation.code == "NEW001"
    assert user.check_password("a-long-password-1")
    assert VoiceGroup.objects.get(group_id="YZ9999999").organisation == user.organisation


def test_every_field_has_a_japanese_label_in_admin():
    """No column or filter in the Japanese admin falls back to the field's English name."""
    from django.apps import apps

    unlabelled = [f"{model.__name__}.{field.name}" for model in apps.get_models()
                  if model._meta.app_label in ("portal", "numbering", "orders")
                  for field in model._meta.get_fields()
                  if field.concrete and field.name != "id" and str(field.verbose_name) == field.name.replace("_", " ")]
    assert unlabelled == []
