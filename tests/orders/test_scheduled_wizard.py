"""The scheduled wizard on plain forms: N番, the content menu with a saved dial-in item and its
options (O1–O3), NW addresses, the earliest date, contact, confirm, submit."""

import datetime as dt

import pytest
from django.urls import reverse

from numbering.models import NetworkAddress
from numbering.services import stock_add_range
from orders.lead_times import earliest_date
from orders.models import Draft, Flow, Order, SentMail, Status
from orders.state import RedRow
from portal import business_days, clock
from tests import factories

CONTACT = {"contact_name": "山田 太郎", "contact_department": "総務部", "contact_phone": "03-1111-2222",
           "contact_email": "yamada@example.com"}


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350099")
    stock_add_range(first="05012350000", last="05012350099")
    return contract


def s_url(draft, step):
    return reverse("orders:scheduled_step", args=[draft.pk, step])


def i_url(draft, sub):
    return reverse("orders:scheduled_item", args=[draft.pk, sub])


def start(client, user, contract) -> Draft:
    client.force_login(user)
    client.post(reverse("orders:scheduled_new", args=[contract.voice_group.group_id]))
    draft = Draft.objects.get(created_by=user, flow=Flow.SCHEDULED)
    client.post(s_url(draft, 1), {"agree": "on"})
    assert client.post(s_url(draft, 2), {"contract": contract.number}).url == s_url(draft, 3)
    return draft


def choose(client, draft, bases):
    """お申し込み方法 画面から入力, then 番号の選択: [→] 選択 and 次へ."""
    assert client.post(i_url(draft, 1), {"method": "screen"}).url == i_url(draft, 2)
    client.post(i_url(draft, 2), {"action": "add", "pick": bases})
    return client.post(i_url(draft, 2), {"action": "next"})


def add_item(client, draft, red, options=None):
    client.post(s_url(draft, 3), {"action": "new"})
    assert choose(client, draft, ["0312345678"]).url == i_url(draft, 3)
    data = factories.content(red=red, action="next")
    assert client.post(i_url(draft, 3), data).url == i_url(draft, 4)
    response = client.post(i_url(draft, 4), options or {})
    assert response.url == i_url(draft, 5), response.content.decode()[:0]
    assert client.post(i_url(draft, 5)).url == s_url(draft, 3)


def test_a_customer_places_a_scheduled_order_with_options(client, alice, stocked):
    draft = start(client, alice, stocked)
    page = client.get(s_url(draft, 3)).content.decode()
    assert "お申し込み内容選択メニュー" in page and "ダイヤルイン番号追加" in page
    assert client.post(s_url(draft, 3), {"action": "next"}).status_code == 422  # no item yet
    add_item(client, draft, [("0312345678", "0AJ", "3"), ("0312345678", "050", "2")],
             {"red-0-message_box": "1", "red-1-anonymous_call_rejection": "1"})
    page = client.get(s_url(draft, 3)).content.decode()
    assert "0312345678" in page and ">5<" in page
    client.post(s_url(draft, 3), {"action": "next"})
    # Other confirmations: 0AJ is involved and no NW address is registered → required.
    page = client.get(s_url(draft, 4)).content.decode()
    earliest = earliest_date(items={"dialin"})
    assert "0AJ利用拠点NWアドレス情報" in page and earliest.isoformat() in page
    too_early = business_days.add_business_days(clock.today(), 1).isoformat()
    response = client.post(s_url(draft, 4), {**factories.nw(("add", "", "")),
                                             "date": too_early, "action": "next"})
    page = response.content.decode()
    assert response.status_code == 422 and "最短納期日" in page and "1件以上" in page
    response = client.post(s_url(draft, 4), {**factories.nw(("add", "192.0.2.0", "24")),
                                             "date": earliest.isoformat(), "action": "next"})
    assert response.url == s_url(draft, 5)
    assert client.post(s_url(draft, 5), CONTACT).url == s_url(draft, 6)
    page = client.get(s_url(draft, 6)).content.decode()
    assert "メッセージボックス" in page and "192.0.2.0/24" in page and "申し込む" in page
    assert client.post(s_url(draft, 6)).url == reverse("orders:wizard_accepted", args=[draft.pk])
    order = Order.objects.get()
    assert (order.flow, order.status, order.scheduled_on) == (Flow.SCHEDULED, Status.ACCEPTED, earliest)
    assert order.completion_due_on == business_days.add_business_days(earliest, 2)
    items = list(order.items.order_by("position"))
    assert [(i.kind, i.quantity, i.message_box, i.anonymous_call_rejection) for i in items] == [
        ("0AJ", 3, True, False), ("050", 2, False, True)]
    assert order.network_changes == [{"action": "add", "network": "192.0.2.0", "prefix": 24}]
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.ACCEPTED).exists()
    history = client.get(reverse("orders:history")).content.decode()
    assert order.request_id in history and earliest.strftime("%Y年%m月%d日") in history
    # On the date: numbers issued with their options, NW address registered; 竣工 2 business days on.
    from orders.activation import orders_run_due
    from portal import services as portal_services

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.conf.settings.PORTAL_DEMO_CLOCK", True)
        portal_services.demo_clock_set_date(day=earliest)
        order.refresh_from_db()
        assert order.status == Status.ACTIVATED and order.activated_on == earliest
        assert NetworkAddress.objects.filter(contract=stocked, network="192.0.2.0", prefix_length=24).exists()
        portal_services.demo_clock_set_date(day=order.completion_due_on)
        order.refresh_from_db()
        assert order.status == Status.COMPLETED
        assert orders_run_due() == {"activated": 0, "completed": 0}


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("0AJ", {"red-0-notification_on": "1", "red-0-specific_number_notification": "0120111111",
             "red-0-forwarding_on": "1", "red-0-forwarding_specific_number": "0311112222"}, "O1"),
    ("050", {"red-0-forwarding_on": "1", "red-0-forwarding_specific_number": "0311112222"}, "O2"),
    ("0AJ", {"red-0-message_box": "1", "red-0-forwarding_on": "1",
             "red-0-forwarding_specific_number": "0311112222"}, "O3"),
    ("0AJ", {"red-0-notification_on": "1", "red-0-specific_number_notification": "0311112222"}, "フリーダイヤル"),
])
def test_option_rules_are_enforced_as_the_customer_chooses(client, alice, stocked, kind, options, message):
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    choose(client, draft, ["0312345678"])
    client.post(i_url(draft, 3), factories.content(red=[("0312345678", kind, "1")], action="next"))
    response = client.post(i_url(draft, 4), options)
    assert response.status_code == 422 and message in response.content.decode()


def test_quantity_is_limited_to_999_on_the_scheduled_flow(client, alice, stocked):
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    choose(client, draft, ["0312345678"])
    response = client.post(i_url(draft, 3), factories.content(red=[("0312345678", "050", "1000")], action="next"))
    assert response.status_code == 422 and "1～999" in response.content.decode()


def test_a_saved_item_can_be_changed_and_removed(client, alice, stocked):
    draft = start(client, alice, stocked)
    add_item(client, draft, [("0312345678", "050", "2")])
    client.post(s_url(draft, 3), {"action": "edit:0"})
    assert client.get(s_url(draft, 4)).url == i_url(draft, 1)  # finish or discard the edit first
    choose(client, draft, ["0312345678"])
    client.post(i_url(draft, 3), factories.content(red=[("0312345678", "050", "7")], action="next"))
    client.post(i_url(draft, 4), {})
    client.post(i_url(draft, 5))
    draft.refresh_from_db()
    assert len(draft.items) == 1 and draft.items[0].red[0].quantity == "7"
    client.post(s_url(draft, 3), {"action": "delete:0"})
    draft.refresh_from_db()
    assert draft.items == []


def test_e2_refuses_0aj_content_not_the_contract(client, alice, stocked):
    """Smart PBX that never used 0AJ: the N番 can be chosen (050 numbers, 特定番号通知 … are
    orderable here); 0AJ rows and ported (0AJ) numbers are refused with E2's reason."""
    factories.contract(alice.organisation, "N100000002", base_numbers=["05012345678"], service_type="smart_pbx",
                       group_id=stocked.voice_group.group_id)
    client.force_login(alice)
    client.post(reverse("orders:scheduled_new", args=[stocked.voice_group.group_id]))
    draft = Draft.objects.get()
    client.post(s_url(draft, 1), {"agree": "on"})
    page = client.get(s_url(draft, 2)).content.decode()
    assert 'value="N100000002"' in page and "営業担当経由" in page and "E2" in page
    assert client.post(s_url(draft, 2), {"contract": "N100000002"}).url == s_url(draft, 3)
    client.post(s_url(draft, 3), {"action": "new"})
    assert choose(client, draft, ["05012345678"]).url == i_url(draft, 3)
    rows = factories.content(red=[("05012345678", "0AJ", "1"), ("05012345678", "050", "1")], action="next")
    response = client.post(i_url(draft, 3), rows)
    assert response.status_code == 422 and "[E2]" in response.content.decode()
    rows = factories.content(red=[("05012345678", "050", "1")], action="next")
    assert client.post(i_url(draft, 3), rows).url == i_url(draft, 4)
    client.post(i_url(draft, 4), {})
    assert client.post(i_url(draft, 5)).url == s_url(draft, 3)
    # Porting brings 0AJ numbers: refused the same way.
    client.post(s_url(draft, 3), {"action": "new_porting"})
    choose(client, draft, ["05012345678"])
    response = client.post(i_url(draft, 3), {**PORT_ROW, "port-0-base": "05012345678"})
    assert response.status_code == 422 and "[E2]" in response.content.decode()


def test_a_weekend_date_needs_a_full_width_reason(client, alice, stocked):
    draft = start(client, alice, stocked)
    add_item(client, draft, [("0312345678", "050", "1")])
    client.post(s_url(draft, 3), {"action": "next"})
    day = earliest_date(items={"dialin"}) + dt.timedelta(days=7)
    while business_days.is_business_day(day):
        day += dt.timedelta(days=1)
    response = client.post(s_url(draft, 4), {"date": day.isoformat(), "action": "next"})
    assert response.status_code == 422 and "理由を入力してください" in response.content.decode()
    response = client.post(s_url(draft, 4), {"date": day.isoformat(), "reason": "abc", "action": "next"})
    assert "全角175文字以内" in response.content.decode()
    response = client.post(s_url(draft, 4), {"date": day.isoformat(), "reason": "店舗休業日のため", "action": "next"})
    assert response.url == s_url(draft, 5)


PORT_ROW = {**factories.table("port", {
    "base": "0312345678", "number": "03-1111-0001", "carrier1": "東日本電話", "carrier2": "", "line_type": "isdn",
    "holder": "other", "holder_name": "アリス商事 旧社名", "address": "same", "address_text": "",
    "contractor_address": "東京都港区1-1", "dsu": "要"}), **factories.table("rem", {"number": "", "usage": ""}),
    "remaining": "無", "action": "next"}


def test_a_porting_item_with_conditional_fields_and_a_desired_time(client, alice, stocked):
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new_porting"})
    choose(client, draft, ["0312345678"])
    # Conditional fields are required only where they apply.
    response = client.post(i_url(draft, 3), {**PORT_ROW, "port-0-contractor_address": "", "port-0-dsu": "",
                                             "remaining": "有"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "契約者住所を入力してください" in page and "DSU/配線等の撤去" in page
    assert "残回線構成表を入力してください" in page
    response = client.post(i_url(draft, 3), {**PORT_ROW, "port-0-number": "0612345678"})
    assert "市外局番" in response.content.decode()
    assert client.post(i_url(draft, 3), PORT_ROW).url == i_url(draft, 4)
    client.post(i_url(draft, 4), {"port-0-nuisance_call_rejection": "1"})
    page = client.get(i_url(draft, 5)).content.decode()
    assert "東日本電話" in page and "ISDN回線" in page and "東京都港区1-1" in page
    # As the guide draws it: the address the customer left as is, in words, not resolved.
    assert "IPVoice申込設置場所住所と同じ" in page and "アリス商事 旧社名" in page
    client.post(i_url(draft, 5))
    client.post(s_url(draft, 3), {"action": "next"})
    earliest = earliest_date(items={"dialin", "porting"})
    page = client.get(s_url(draft, 4)).content.decode()
    assert "工事希望時間" in page and earliest.isoformat() in page
    response = client.post(s_url(draft, 4), {"date": earliest.isoformat(), "time": "19:00", "action": "next"})
    assert response.status_code == 422 and "理由を入力してください" in response.content.decode()
    # The time may be given (指定することができます): without one the step passes.
    response = client.post(s_url(draft, 4), {"date": earliest.isoformat(), "time": "", "action": "next",
                                             **factories.nw(("add", "198.51.100.0", "28"))})
    assert response.url == s_url(draft, 5)
    response = client.post(s_url(draft, 4), {"date": earliest.isoformat(), "time": "10:00", "action": "next",
                                             **factories.nw(("add", "198.51.100.0", "28"))})
    assert response.url == s_url(draft, 5)
    client.post(s_url(draft, 5), CONTACT)
    client.post(s_url(draft, 6))
    order = Order.objects.get()
    assert order.kind_label == "ダイヤルイン番号の追加（番号ポータビリティ）" and order.desired_time == "10:00"
    item = order.items.get()
    assert (item.ported_number, item.port["carrier1"], item.nuisance_call_rejection) == (
        "0311110001", "東日本電話", True)
    # The customer sees everything ordered from the request ID, read-only.
    page = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    for shown in ("0311110001", "東日本電話", "ISDN回線", "アリス商事 旧社名", "IPVoice申込設置場所住所と同じ",
                  "東京都港区1-1", "迷惑電話お断り", "198.51.100.0/28", "10:00", "残置番号", "yamada@example.com"):
        assert shown in page, shown
    from numbering.models import DialInNumber
    from orders.activation import order_activate

    Order.objects.filter(pk=order.pk).update(scheduled_on=clock.today())
    order_activate(order_id=order.pk)
    number = DialInNumber.objects.get(number="0311110001")
    assert number.source == order.request_id and number.nuisance_call_rejection


def test_the_dial_in_item_takes_a_csv_file_too(client, alice, stocked):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    header = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n"
    bad = SimpleUploadedFile("a.csv", (header + "0312345678,050,1000,\r\n").encode("cp932"))
    assert client.post(i_url(draft, 1), {"method": "csv"}).url == i_url(draft, 2)
    page = client.get(i_url(draft, 2)).content.decode()
    assert "CSVファイルの指定" in page and "基本契約番号,追加する電話番号,追加番号数,番号予約コード" in page
    assert client.get(i_url(draft, 3)).url == i_url(draft, 2)  # the file replaces 番号の選択 and 内容
    response = client.post(i_url(draft, 2), {"file": bad})
    page = response.content.decode()
    assert response.status_code == 422 and "2行目" in page and "1～999" in page
    good = SimpleUploadedFile("a.csv", (header + "0312345678,050,3,\r\n0312345678,0AJ,2,\r\n").encode("cp932"))
    assert client.post(i_url(draft, 2), {"file": good}).url == i_url(draft, 4)
    draft.refresh_from_db()
    assert draft.editing.item.bases == ["0312345678"] and len(draft.editing.item.red) == 2


def test_an_outsider_gets_404_on_every_scheduled_url(client, alice, charlie, stocked, outsider_contract):
    draft = start(client, alice, stocked)
    add_item(client, draft, [("0312345678", "050", "1")])
    client.force_login(charlie)
    for url in (s_url(draft, 3), i_url(draft, 1), reverse("orders:scheduled_item_rows", args=[draft.pk]),
                reverse("orders:draft_resume", args=[draft.pk])):
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {"action": "new"}).status_code in (404, 405)
    # Nor can a customer start a draft on another organisation's voice group or pick its N番.
    assert client.post(reverse("orders:scheduled_new", args=[stocked.voice_group.group_id])).status_code == 404
    client.force_login(alice)
    other = Draft.objects.create(organisation=alice.organisation, created_by=alice, voice_group=stocked.voice_group,
                                 flow=Flow.SCHEDULED, created_at=clock.now(), updated_at=clock.now(),
                                 agreed=True, step_done=1)
    assert client.post(s_url(other, 2), {"contract": outsider_contract.number}).status_code == 422


def test_bad_input_gets_messages_not_errors(client, alice, stocked):
    """Input that once crashed a step: odd digits, far dates, lower-case kinds."""
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    choose(client, draft, ["0312345678"])
    response = client.post(i_url(draft, 3), factories.content(red=[("0312345678", "0aj", "፩")], action="next"))
    assert response.status_code == 422 and "1～999" in response.content.decode()
    client.post(i_url(draft, 3), factories.content(red=[("0312345678", "0aj", "2")], action="next"))
    draft.refresh_from_db()
    assert draft.editing.item.red == [RedRow(base="0312345678", kind="0AJ", quantity="2")]
    # An unchecked change sends the customer back through the content before the options.
    client.post(i_url(draft, 3), factories.content(red=[("0312345678", "050", "2")], action="red:add:0"))
    assert client.get(i_url(draft, 4)).url == i_url(draft, 3)
    client.post(i_url(draft, 3), factories.content(red=[("0312345678", "0AJ", "2")], action="next"))
    client.post(i_url(draft, 4), {})
    client.post(i_url(draft, 5))
    client.post(s_url(draft, 3), {"action": "next"})
    response = client.post(s_url(draft, 4), {"date": "9999-12-27", "action": "next"})
    assert response.status_code == 422 and "までの日付を指定してください" in response.content.decode()
    assert client.get(s_url(draft, 4)).status_code == 200


def test_a_submitted_draft_is_not_revived_by_a_late_step_save(alice, stocked):
    from orders.drafts import draft_create, draft_save

    draft = draft_create(user=alice, voice_group=stocked.voice_group)
    stale = Draft.objects.get(pk=draft.pk)
    Draft.objects.filter(pk=draft.pk).update(submitted_at=clock.now())
    draft_save(draft=stale, finished=2, method="screen")
    draft.refresh_from_db()
    assert draft.submitted_at is not None and draft.method == ""


def test_the_screens_use_the_guides_words(client, alice, stocked):
    """ご契約内容 shows the service type as the guide does; the content note names the buttons the
    rows really have (行追加 here)."""
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    choose(client, draft, ["0312345678"])
    page = client.get(i_url(draft, 3)).content.decode()
    assert "Arcstar IP Voice (Universal One)" in page
    assert f'action="{i_url(draft, 3)}"' in page  # the content posts to its own sub-step
    assert "[[+] 行追加]ボタン" in page and "[[+] 追加]ボタン" not in page
    assert "[+] 行追加" in page


def test_the_pre_order_check_carries_its_contract_into_the_flow(client, alice, stocked):
    """お申し込みの前のご確認 → 工事日を指定するお申し込みへ: only that N番's group is offered, and
    after the agreement the menu comes straight away; the N番 is not asked again."""
    client.force_login(alice)
    page = client.get(reverse("orders:scheduled_start"), {"contract": stocked.number}).content.decode()
    assert f'name="contract" value="{stocked.number}"' in page and "音声契約番号の選択は不要" in page
    client.post(reverse("orders:scheduled_new", args=[stocked.voice_group.group_id]), {"contract": stocked.number})
    draft = Draft.objects.get(created_by=alice, flow=Flow.SCHEDULED)
    assert client.post(s_url(draft, 1), {"agree": "on"}).url == s_url(draft, 3)
    assert stocked.number in client.get(s_url(draft, 3)).content.decode()
    # Another organisation's N番 is not carried (and not shown).
    other = factories.contract(factories.organisation("OTHER1", "他社"), "N900000001", base_numbers=["0698765432"])
    page = client.get(reverse("orders:scheduled_start"), {"contract": other.number}).content.decode()
    assert "音声契約番号の選択は不要" not in page and 'name="contract"' not in page


def test_one_item_may_name_a_base_and_kind_twice_with_different_options(client, alice, stocked):
    draft = start(client, alice, stocked)
    add_item(client, draft, [("0312345678", "050", "2"), ("0312345678", "050", "1")],
             options={"red-0-message_box": "1", "red-1-anonymous_call_rejection": "1"})
    client.post(s_url(draft, 3), {"action": "next"})
    day = earliest_date(items={"dialin"})
    client.post(s_url(draft, 4), {"date": day.isoformat(), "action": "next"})
    client.post(s_url(draft, 5), CONTACT)
    assert client.post(s_url(draft, 6)).url == reverse("orders:wizard_accepted", args=[draft.pk])
    items = list(Order.objects.get().items.order_by("position"))
    assert [(i.quantity, i.message_box, i.anonymous_call_rejection) for i in items] == [(2, True, False),
                                                                                        (1, False, True)]


PORT_HEADER = ("基本契約番号,追加する電話番号,電話事業者名1,電話事業者名2,回線種別,回線名義,回線名義（その他の場合）,"
               "設置場所住所,設置場所住所（その他の場合）,契約者住所,DSU/配線等の撤去\r\n")


def test_the_porting_item_takes_a_csv_file_with_errors_by_line_and_nothing_kept_half(client, alice, stocked):
    from django.core.files.uploadedfile import SimpleUploadedFile

    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new_porting"})
    assert client.post(i_url(draft, 1), {"method": "csv"}).url == i_url(draft, 2)
    template = client.get(reverse("orders:scheduled_csv_template", args=[draft.pk]))
    assert template.content.decode("utf-8-sig") == PORT_HEADER
    lines = ["0312345678,03-1111-0001,東日本電話,,ひかり電話,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,",
             "0312345678,03-1111-0002,東日本電話,,ISDN回線,その他,旧社名,IPVoice申込設置場所住所と同じ,,,",
             "0312345678,06-1111-0003,東日本電話,,FAX,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,"]
    bad = SimpleUploadedFile("p.csv", (PORT_HEADER + "\r\n".join(lines) + "\r\n").encode("cp932"))
    response = client.post(i_url(draft, 2), {"file": bad, "remaining": "無"})
    page = response.content.decode()
    assert response.status_code == 422
    # Line 3: another name needs the contractor's address, ISDN the DSU answer; line 4: area code, line type.
    assert "3行目" in page and "契約者住所を入力してください" in page and "DSU/配線等の撤去" in page
    assert "4行目" in page and "市外局番" in page and "回線種別を選択してください" in page
    draft.refresh_from_db()
    assert draft.editing.item.ports == [] and draft.editing.done == 1  # nothing kept from a file with errors
    good = SimpleUploadedFile("p.csv", (PORT_HEADER + lines[0] + "\r\n"
                                        + lines[1].rsplit(",", 2)[0] + ",東京都港区1-1,要\r\n").encode("utf-8"))
    response = client.post(i_url(draft, 2), {"file": good, "remaining": ""})
    assert response.status_code == 422 and "残置番号の有無を選択してください" in response.content.decode()
    good.seek(0)
    assert client.post(i_url(draft, 2), {"file": good, "remaining": "無"}).url == i_url(draft, 4)
    draft.refresh_from_db()
    ports = draft.editing.item.ports
    assert [(p.number, p.line_type, p.holder, p.dsu) for p in ports] == [
        ("0311110001", "hikari", "same", ""), ("0311110002", "isdn", "other", "要")]
    client.post(i_url(draft, 4), {})
    page = client.get(i_url(draft, 5)).content.decode()
    assert "IPVoice名義と同じ" in page and "旧社名" in page
    assert client.post(i_url(draft, 5)).url == s_url(draft, 3)


def test_the_scheduled_chooser_pages_and_moves_base_numbers_to_the_chosen_pane(client, alice, stocked):
    from numbering.models import BaseNumber

    for i in range(150):
        BaseNumber.objects.create(contract=stocked, number=f"0312346{i:03d}", kind="0AJ")
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    client.post(i_url(draft, 1), {"method": "screen"})
    page = client.get(i_url(draft, 2)).content.decode()
    assert "合計 151 件" in page and "1 / 2" in page and "[→] 選択" in page
    fragment = reverse("orders:scheduled_item_bases", args=[draft.pk])
    page = client.get(fragment, {"size": "20", "page": "8"}, HTTP_HX_REQUEST="true").content.decode()
    assert "8 / 8" in page and "<html" not in page
    assert client.post(i_url(draft, 2), {"action": "next"}).status_code == 422  # nothing chosen yet
    page = client.post(fragment, {"action": "add", "pick": ["0312346149", "0312346000"]},
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'name="unpick" value="0312346149"' in page and "選択した基本契約番号（2件）" in page
    client.post(fragment, {"action": "remove", "unpick": ["0312346000"]}, HTTP_HX_REQUEST="true")
    assert client.post(i_url(draft, 2), {"action": "next"}).url == i_url(draft, 3)
    draft.refresh_from_db()
    assert draft.editing.item.bases == ["0312346149"]


def test_nw_rows_entered_once_are_ordered_even_after_the_step_is_visited_again(client, alice, stocked):
    draft = start(client, alice, stocked)
    add_item(client, draft, [("0312345678", "0AJ", "1")])
    client.post(s_url(draft, 3), {"action": "next"})
    day = earliest_date(items={"dialin", "nw_address"}).isoformat()
    nw = {**factories.nw(("add", "203.0.113.0", "24"))}
    assert client.post(s_url(draft, 4), {"date": day, "action": "next", **nw}).url == s_url(draft, 5)
    # Back on the step, a row is added and removed again without 次へ: nothing of the first is lost.
    client.post(s_url(draft, 4), {"date": day, "action": "nw:add", **nw})
    client.post(s_url(draft, 4), {"date": day, "action": "nw:del:1",
                                  **factories.nw(("add", "203.0.113.0", "24"), ("add", "", ""))})
    client.post(s_url(draft, 5), CONTACT)
    page = client.get(s_url(draft, 6)).content.decode()
    assert "203.0.113.0/24" in page
    assert client.post(s_url(draft, 6)).url == reverse("orders:wizard_accepted", args=[draft.pk])
    assert Order.objects.get().network_changes == [{"action": "add", "network": "203.0.113.0", "prefix": 24}]


def test_bad_input_gets_a_message_on_its_field_never_a_500(client, alice, stocked):
    """What a fuzzer sends: a minus sign, 5,000 digits, digits of another script, an unknown NW
    action, a NUL character. Each gets a Japanese message where it belongs; nothing is saved half."""
    draft = start(client, alice, stocked)
    client.post(s_url(draft, 3), {"action": "new"})
    choose(client, draft, ["0312345678"])
    for quantity in ("-5", "9" * 5000):
        response = client.post(i_url(draft, 3), factories.content(
            red=[("0312345678", "050", quantity)], action="next"))
        assert response.status_code == 422 and "追加番号数は1～999までの数字" in response.content.decode()
    response = client.post(i_url(draft, 3), factories.content(
        red=[("0312345678", "050", "1")], action="red:del:" + "9" * 5000))
    assert response.status_code == 200
    # NUL: refused before any view, in a field, in the query and in the path.
    response = client.post(i_url(draft, 3), factories.content(
        red=[("0312345678", "050\x00", "1")], action="next"))
    assert response.status_code == 400 and "使用できない文字" in response.content.decode()
    assert client.get(i_url(draft, 2), {"q": "03\x00"}).status_code == 400
    assert client.get("/ipvoice/orders/drafts/%00/").status_code == 400
    draft.refresh_from_db()
    assert all("\x00" not in r.kind for r in draft.editing.item.red)
    client.post(i_url(draft, 3), {"action": "discard"})
    # Porting: a number in Bengali digits is not a phone number here.
    client.post(s_url(draft, 3), {"action": "new_porting"})
    choose(client, draft, ["0312345678"])
    response = client.post(i_url(draft, 3), {**PORT_ROW, "port-0-number": "03১2348803"})
    assert response.status_code == 422 and "形式が正しくありません" in response.content.decode()
    client.post(i_url(draft, 3), {"action": "discard"})
    # NW rows: only 追加 and 削除 exist.
    add_item(client, draft, [("0312345678", "0AJ", "1")])
    client.post(s_url(draft, 3), {"action": "next"})
    day = earliest_date(items={"dialin", "nw_address"}).isoformat()
    response = client.post(s_url(draft, 4), {"date": day, "action": "next",
                                             **factories.nw(("bogus", "203.0.113.0", "24"))})
    assert response.status_code == 422 and "申込種別（追加・削除）を選択してください" in response.content.decode()
