"""The operator's back office: the order page shows everything ordered, formatted; codes show
their real state; the stock list shows each pool's free count; a stock range names its problem;
every admin page says when the demo clock runs ahead and can jump to the next due date."""

import datetime as dt

from django.urls import reverse

from numbering import services as numbering_services
from numbering.models import ReservationCode, StockNumber
from orders.models import Flow, Order, OrderEvent, OrderItem, Status
from orders.status import request_id_new
from portal import business_days, clock, services


def porting_order(contract) -> Order:
    order = Order.objects.create(
        request_id=request_id_new(), organisation=contract.voice_group.organisation, contract=contract,
        flow=Flow.SCHEDULED, submitted_at=clock.now(), scheduled_on=clock.today() + dt.timedelta(days=20),
        kind_label="ダイヤルイン番号の追加（番号ポータビリティ）", desired_time="10:00",
        network_changes=[{"action": "add", "network": "192.0.2.0", "prefix": 24}],
        details={"porting": [{"remaining": "有", "remaining_rows": [{"number": "0311110009", "usage": "FAX"}]}],
                 "aml": {"changed": "変更あり", "person": "取引 太郎", "dept": "総務部", "recipient": "受取 花子"}})
    base = contract.base_numbers.get()
    OrderItem.objects.create(order=order, position=1, base_number=base, kind="0AJ", quantity=1,
                             ported_number="0311110001", message_box=True,
                             port={"carrier1": "東日本電話", "carrier2": "", "line_type": "isdn", "holder": "other",
                                   "holder_name": "旧名義 株式会社", "address": "same", "address_text": "",
                                   "contractor_address": "東京都港区1-1", "dsu": "要",
                                   "line_type_label": "ISDN回線"})
    OrderEvent.objects.create(order=order, at=order.submitted_at, to_status=Status.ACCEPTED,
                              actor=OrderEvent.Actor.CUSTOMER, note_code="accepted_scheduled")
    return order


def test_the_order_page_shows_everything_ordered_formatted(client, operator, contract):
    order = porting_order(contract)
    client.force_login(operator)
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    for shown in ("0311110001", "東日本電話", "ISDN回線", "旧名義 株式会社", "東京都港区1-1", "0311110009", "FAX",
                  "192.0.2.0", "/24", "取引 太郎", "変更あり", "受取 花子", "メッセージボックス", "10:00",
                  "お申し込みを受け付けました（工事日指定）"):
        assert shown in page, shown
    assert '"carrier1"' not in page and "&quot;carrier1&quot;" not in page  # no raw JSON
    assert f"{order.pk} #" not in page  # rows are never labelled by the order's UUID


def test_codes_show_their_real_state_and_stock_shows_each_pool(client, operator, contract, settings):
    numbering_services.stock_add_range(first="0312350000", last="0312350009")
    numbering_services.stock_add_range(first="05012350000", last="05012350004")
    code = numbering_services.reservation_code_issue(
        contract=contract, numbers=["0312350000"], expires_at=clock.now() + dt.timedelta(days=1))
    client.force_login(operator)
    codes = reverse("admin:numbering_reservationcode_changelist")
    assert "利用可能" in client.get(codes).content.decode()
    ReservationCode.objects.filter(pk=code.pk).update(expires_at=clock.now() - dt.timedelta(minutes=1))
    page = client.get(codes).content.decode()
    assert "期限切れ" in page and "利用可能" not in page.split("<tbody")[1]
    stock = client.get(reverse("admin:numbering_stocknumber_changelist")).content.decode()
    assert "プール別の空き番号" in stock
    assert StockNumber.objects.count() == 14
    assert ">9<" in stock and ">5<" in stock  # 03: 10 less the reserved one; 050: 5


def test_a_stock_range_across_area_codes_is_named_as_such(client, operator):
    client.force_login(operator)
    response = client.post(reverse("admin:numbering_stocknumber_add_range"),
                           {"first": "0312340000", "last": "0612340004"})
    page = response.content.decode()
    assert "市外局番が異なります（03 と 06）" in page and "300,000,005" not in page


def test_every_admin_page_shows_the_clock_ahead_and_jumps_to_the_next_due_date(client, operator, contract,
                                                                               settings):
    settings.PORTAL_DEMO_CLOCK = True
    stock = numbering_services.stock_add_range(first="05012350000", last="05012350009")
    assert stock == 10
    on = business_days.add_business_days(clock.today(), 5)
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.SCHEDULED, submitted_at=clock.now(), scheduled_on=on)
    OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="050",
                             quantity=2)
    client.force_login(operator)
    index = client.get(reverse("admin:index")).content.decode()
    assert "デモ時計は実時刻より進んでいます" not in index
    services.demo_clock_advance(delta=dt.timedelta(hours=1))
    page = client.get(reverse("admin:orders_order_changelist")).content.decode()
    assert "デモ時計は実時刻より進んでいます" in page and "次の予定日まで進める" in page
    response = client.post(reverse("admin:portal_democlock_changelist"),
                           {"jump": "1", "next": reverse("admin:orders_order_changelist")})
    assert response.url == reverse("admin:orders_order_changelist")
    assert clock.today() == on
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED
    assert services.demo_clock_next_due().date() == order.completion_due_on
    client.post(reverse("admin:portal_democlock_changelist"), {"reset": "1"})
    assert clock.offset() == dt.timedelta(0)
    order.refresh_from_db()
    assert order.activated_on == clock.today()


def test_operators_read_a_mails_html_part_sandboxed(client, operator, contract):
    from orders.mail import mail_compose
    from orders.models import SentMail

    order = porting_order(contract)
    Order.objects.filter(pk=order.pk).update(contact_email="c@example.com", contact_name="担当 一郎")
    order.refresh_from_db()
    mail = mail_compose(order=order, kind=SentMail.Kind.ACCEPTED)
    client.force_login(operator)
    page = client.get(reverse("admin:orders_sentmail_change", args=[mail.pk])).content.decode()
    html_url = reverse("admin:orders_sentmail_html", args=[mail.pk])
    assert f'src="{html_url}"' in page and "srcdoc" not in page
    response = client.get(html_url)
    assert "default-src 'none'" in response["Content-Security-Policy"] and "担当 一郎 様" in response.content.decode()


def test_jumping_to_the_next_due_date_waits_for_a_desired_time(contract, settings):
    """A porting order wanted at 10:00 (工事希望時間) on its date: the jump lands on that date no
    earlier than 10:00 JST, whatever the time of day, so the presenter sees it activated."""
    settings.PORTAL_DEMO_CLOCK = True
    numbering_services.stock_add_range(first="05012350000", last="05012350009")
    on = business_days.add_business_days(clock.today(), 3)
    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow=Flow.SCHEDULED, submitted_at=clock.now(), scheduled_on=on,
                                 desired_time="23:59")
    OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="050",
                             quantity=1)
    done = services.demo_clock_jump()
    now = clock.now().astimezone(clock.JST)
    assert done["day"] == on and now.date() == on and now.strftime("%H:%M") >= "23:59"
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED


def test_our_admin_pages_need_no_inline_style(client, operator, contract, settings):
    """The admin's content security policy allows no inline style: what we add is styled from
    admin.css (an inline style would simply not apply, as the demo-clock banner once showed)."""
    from orders.mail import mail_compose
    from orders.models import SentMail

    settings.PORTAL_DEMO_CLOCK = True
    order = porting_order(contract)
    Order.objects.filter(pk=order.pk).update(contact_email="c@example.com")
    order.refresh_from_db()
    mail = mail_compose(order=order, kind=SentMail.Kind.ACCEPTED)
    services.demo_clock_advance(delta=dt.timedelta(hours=1))
    client.force_login(operator)
    for url in (reverse("admin:portal_democlock_changelist"), reverse("admin:numbering_stocknumber_changelist"),
                reverse("admin:orders_order_change", args=[order.pk]),
                reverse("admin:orders_sentmail_change", args=[mail.pk]), reverse("admin:orders_demo_reset")):
        html = client.get(url).content.decode()
        assert ' style="' not in html, (url, html[html.index(' style="') - 200:][:300])
        assert "portal/admin.css" in html
