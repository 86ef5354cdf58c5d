import datetime as dt

import pytest
from django.urls import reverse

from orders.models import Order, OrderEvent, Status
from orders.placement import order_sales_create
from orders.status import order_set_status


@pytest.fixture
def order(contract, operator) -> Order:
    return order_sales_create(contract=contract, scheduled_on=dt.date(2026, 12, 25), operator=operator)


def test_history_lists_the_organisations_orders_in_the_guides_columns(client, alice, order):
    client.force_login(alice)
    html = client.get(reverse("orders:history")).content.decode()
    for column in ("申し込み日時", "リクエストID", "契約番号", "開通予定日", "サービス名", "オプション",
                   "申し込みコード名", "ステータス", "アクション"):
        assert column in html
    assert order.request_id in html and "2026年12月25日" in html and "受付済" in html
    assert "1件" in html and " JST" in html


def test_history_hides_other_organisations_orders(client, charlie, order):
    client.force_login(charlie)
    assert order.request_id not in client.get(reverse("orders:history")).content.decode()
    assert client.get(reverse("orders:order_detail", args=[order.request_id])).status_code == 404


def test_order_detail_shows_the_timeline(client, alice, order, operator):
    order_set_status(order=order, to=Status.IN_CONSTRUCTION, actor=OrderEvent.Actor.OPERATOR, user=operator)
    client.force_login(alice)
    html = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    assert "工事中" in html and "オペレーター" in html
    assert "2027年01月04日" in html  # 竣工予定日: 2 business days after 12/25 over the year end


def test_history_query_count_does_not_grow(client, alice, contract, operator, django_assert_max_num_queries):
    for day in range(1, 31):
        order_sales_create(contract=contract, scheduled_on=dt.date(2026, 12, day % 28 + 1), operator=operator)
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("orders:history")).content.decode()
    assert "30件" in html


def test_the_dashboard_links_to_the_history(client, alice):
    client.force_login(alice)
    assert reverse("orders:history") in client.get(reverse("portal:dashboard")).content.decode()


def test_an_operator_enters_a_sales_channel_order_in_admin(client, operator, contract):
    client.force_login(operator)
    response = client.post(reverse("admin:orders_order_add"), {
        "contract": contract.pk, "kind_label": "ダイヤルイン番号の追加", "scheduled_on": "2026-12-25",
        "contact_name": "営業 太郎", "contact_department": "", "contact_phone": "", "contact_email": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert (order.channel, order.flow, order.status) == ("sales", "sales", "accepted")
    assert order.completion_due_on == dt.date(2027, 1, 4) and order.contact_name == "営業 太郎"
    assert order.events.get().actor == "operator"


def test_an_operator_activates_a_sales_order_and_cannot_cancel_it_afterwards(client, operator, order):
    client.force_login(operator)
    url = reverse("admin:orders_order_changelist")
    client.post(url, {"action": "activate", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED and order.activated_on is not None
    assert order.events.filter(to_status=Status.ACTIVATED, actor="operator").exists()
    response = client.post(url, {"action": "cancel", "_selected_action": [order.pk]}, follow=True)
    assert "この操作を行えません" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED


