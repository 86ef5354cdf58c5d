import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Flow, Order, OrderEvent, Status
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


def orders_bulk(contract, count: int, same_second: int = 1) -> list[str]:
    """`count` orders, newest first, `same_second` of them at each submitted time (ties broken by
    request ID); their request IDs in the history's order."""
    start = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
    organisation = contract.voice_group.organisation
    orders = [Order(request_id=f"R{i:09d}", organisation=organisation, contract=contract, flow=Flow.IMMEDIATE,
                    submitted_at=start + dt.timedelta(seconds=i // same_second)) for i in range(count)]
    Order.objects.bulk_create(orders, batch_size=2000)
    return [o.request_id for o in sorted(orders, key=lambda o: (o.submitted_at, o.request_id), reverse=True)]


def request_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/ipvoice/orders/history/(R\d+)/">', html)


def link(html: str, label: str) -> str | None:
    found = re.search(r'<a href="(\?[^"]*)"[^>]*aria-label="' + label + '"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_history_pages_by_seek_forward_and_back_with_ties(client, alice, contract):
    expected = orders_bulk(contract, 130, same_second=3)  # three orders in each second
    client.force_login(alice)
    url, seen = reverse("orders:history"), []
    html = client.get(url).content.decode()
    while True:
        seen += request_ids(html)
        older = link(html, "次のページ")
        if not older:
            break
        html = client.get(url + older).content.decode()
    assert seen == expected and "130件" in html
    # From the last page (最古) back to the first, the same orders.
    html = client.get(url, {"last": "1"}).content.decode()
    assert request_ids(html) == expected[-50:] and not link(html, "次のページ")
    back = request_ids(html)
    while newer := link(html, "前のページ"):
        html = client.get(url + newer).content.decode()
        back = request_ids(html) + back
    assert back == expected
    # A cursor made up by hand is the first page, never an error.
    for junk in ("x", "9" * 5000, "1_R'--", "-5_R1"):
        assert request_ids(client.get(url, {"after": junk}).content.decode()) == expected[:50]


def test_every_history_page_costs_the_same_queries_and_the_count_is_capped(client, alice, contract):
    expected = orders_bulk(contract, 1200)
    client.force_login(alice)
    url = reverse("orders:history")
    counts = []
    client.get(url)  # steady state: the clock's offset is read at most once a second per process
    for params in ({}, {"after": f"{expected[600][1:]}"}, {"last": "1"}):
        if "after" in params:  # a real cursor, from the page before
            html = client.get(url).content.decode()
            params = {"after": link(html, "次のページ").split("after=")[1]}
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url, params).content.decode()
        counts.append(len(queries))
        assert "1,000件以上" in html and len(request_ids(html)) == 50
        assert not any(" OFFSET " in q["sql"] or "COUNT(*) AS" in q["sql"] and "LIMIT" not in q["sql"]
                       for q in queries.captured_queries)
    assert counts[0] == counts[1] == counts[2] <= 6


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
    response = client.post(url, {"action": "cancel", "_selected_action": [order.pk], "apply": "1",
                                 "reason": "試験"}, follow=True)
    assert "この操作を行えません" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED




def test_history_rows_escape_what_operators_typed(client, alice, contract):
    orders_bulk(contract, 1)
    Order.objects.update(kind_label='<script>alert("x")</script>')
    client.force_login(alice)
    html = client.get(reverse("orders:history")).content.decode()
    # Escaped (the rows' engine writes a double quote as &#34;, the same character as &quot;).
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
