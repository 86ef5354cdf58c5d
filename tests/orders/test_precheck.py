import datetime as dt

import pytest
from django.urls import reverse

from orders import demo
from orders.models import Flow, Order
from orders.status import request_id_new
from portal import clock
from portal.models import User


@pytest.fixture
def demo_client(client, db):
    demo.demo_load()
    client.force_login(User.objects.get(username="demo"))
    return client


def ask(client, contract: str, *, kinds="0AJ", porting="no", special="no", fragment=False):
    name = "orders:precheck_decision" if fragment else "orders:precheck"
    return client.get(reverse(name), {"contract": contract, "kinds": kinds, "porting": porting,
                                      "special_options": special})


@pytest.mark.parametrize(
    ("contract", "answers", "rule", "says"),
    [
        ("N140000001", {}, "E1", "「工事日を指定するお申し込み」でお申し込みください。"),
        ("N140000002", {}, "E2", "弊社営業担当経由でお申し込みください。"),
        ("N140000003", {"porting": "yes"}, "E3", "番号ポータビリティ"),
        ("N140000004", {}, "E4", "クラウドプラン"),
        ("N140000005", {"special": "yes"}, "E5", "特定番号通知"),
        ("N140000006", {}, "E6", "0AJ番号を使うのは初めて"),
        ("N140000008", {"kinds": "both"}, "E7", "「お申し込み直後に開通するお申し込み」で、お申し込みください。"),
    ],
)
def test_the_precheck_tells_the_rule_and_why(demo_client, contract, answers, rule, says):
    html = ask(demo_client, contract, **answers).content.decode()
    assert f"<strong>{rule}</strong>" in html
    assert says in html


def test_e2_shows_the_sales_contact(demo_client):
    html = ask(demo_client, "N140000002").content.decode()
    assert "ビジネスポータルではお申し込みできません" in html and "ipv-web-change-order@example.com" in html


def test_b1_says_until_when(demo_client):
    from numbering.models import VoiceContract

    contract = VoiceContract.objects.get(number="N140000008")
    Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                         contract=contract, flow=Flow.SCHEDULED, submitted_at=clock.now(),
                         scheduled_on=dt.date(2026, 12, 25))
    html = ask(demo_client, "N140000008", kinds="050").content.decode()
    assert "<strong>B1</strong>" in html and "2027年01月04日（竣工予定日）まで" in html


def test_the_fragment_url_serves_only_the_decision(demo_client):
    response = ask(demo_client, "N140000001", fragment=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="decision"') and "<html" not in html


def test_an_invalid_answer_gets_422_on_the_fragment(demo_client):
    response = ask(demo_client, "", fragment=True)
    assert response.status_code == 422


def test_an_outsiders_contract_is_not_offered(demo_client):
    html = ask(demo_client, "N240000101").content.decode()
    assert "N240000101" not in html.split('id="decision"')[0].split("<select")[1].split("</select>")[0]
    assert "<strong>E7</strong>" not in html
    assert "正しく選択してください" in html


def test_change_menu_links_to_the_precheck(demo_client):
    html = demo_client.get(reverse("orders:change_menu")).content.decode()
    assert reverse("orders:precheck") in html and "変更お申し込み" in html
