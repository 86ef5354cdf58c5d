"""The immediate wizard as plain forms (no JavaScript), its htmx fragments, drafts and CSV."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from numbering.models import BaseNumber, DialInNumber
from numbering.services import reservation_code_issue, stock_add_range
from orders.activation import order_activate
from orders.models import Draft, Order, SentMail
from orders.state import BlueRow, RedRow
from portal import clock
from tests import factories

CONTACT = {"contact_name": "山田 太郎", "contact_department": "総務部", "contact_phone": "03-1111-2222",
           "contact_email": "yamada@example.com"}


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350199")
    stock_add_range(first="05012350000", last="05012350199")
    return contract


def step_url(draft, step):
    return reverse("orders:wizard_step", args=[draft.pk, step])


def start(client, user, contract) -> Draft:
    client.force_login(user)
    response = client.post(reverse("orders:immediate_menu", args=[contract.voice_group.group_id]))
    draft = Draft.objects.get(created_by=user)
    assert response.url == step_url(draft, 1)
    return draft


def to_step(client, draft, step, method="screen"):
    client.post(step_url(draft, 1), {"agree": "on"})
    client.post(step_url(draft, 2), {"method": method})
    if step > 3 and method == "screen":
        client.post(step_url(draft, 3), {"action": "add", "pick": ["0312345678"]})
        client.post(step_url(draft, 3), {"action": "next"})


def test_a_customer_walks_the_whole_wizard_on_plain_forms(client, alice, stocked):
    draft = start(client, alice, stocked)
    page = client.get(step_url(draft, 1)).content.decode()
    assert "お申し込みにあたってのご確認" in page and 'aria-current="step"' in page and "ご契約内容" in page
    assert client.post(step_url(draft, 1), {}).status_code == 422  # must agree
    assert client.post(step_url(draft, 1), {"agree": "on"}).url == step_url(draft, 2)
    assert client.post(step_url(draft, 2), {"method": "screen"}).url == step_url(draft, 3)
    page = client.get(step_url(draft, 3)).content.decode()
    assert "0312345678" in page and "合計 1 件" in page
    assert "表示件数" in page and '<option value="100" selected>' in page
    assert client.post(step_url(draft, 3), {"action": "next"}).status_code == 422  # nothing chosen
    client.post(step_url(draft, 3), {"action": "add", "pick": ["0312345678"]})
    assert client.post(step_url(draft, 3), {"action": "next"}).url == step_url(draft, 4)
    # Step 4: add a row without JavaScript, fill both boxes.
    data = factories.content(red=[("0312345678", "050", "2")], action="red:add:0")
    page = client.post(step_url(draft, 4), data).content.decode()
    assert page.count('-quantity"') == 2 and 'name="red-1-quantity"' in page
    response = client.post(step_url(draft, 4), factories.content(
        red=[("0312345678", "050", "2"), ("0312345678", "0AJ", "１")], action="next"))
    assert response.url == step_url(draft, 5)
    assert client.get(step_url(draft, 5)).content.decode().count('value="alice@example.com"') == 1
    assert client.post(step_url(draft, 5), CONTACT).url == step_url(draft, 6)
    page = client.get(step_url(draft, 6)).content.decode()
    assert "申し込む" in page and "山田 太郎" in page and "050番号" in page
    response = client.post(step_url(draft, 6))
    accepted = reverse("orders:wizard_accepted", args=[draft.pk])
    assert response.url == accepted
    page = client.get(accepted).content.decode()
    order = Order.objects.get()
    assert "お申し込みを受け付けました" in page and order.request_id in page and "お申し込み履歴一覧" in page
    assert order.contact_email == "yamada@example.com" and order.items.count() == 2
    # Reload, back button, second tab: still one order, and the steps lead to the accepted page.
    assert client.post(step_url(draft, 6)).url == accepted
    assert client.get(step_url(draft, 3)).url == accepted
    assert Order.objects.count() == 1
    assert SentMail.objects.get().kind == SentMail.Kind.ACCEPTED


def test_a_step_reached_out_of_order_redirects_to_the_first_unfinished_one(client, alice, stocked):
    draft = start(client, alice, stocked)
    assert client.get(step_url(draft, 5)).url == step_url(draft, 1)
    client.post(step_url(draft, 1), {"agree": "on"})
    assert client.get(step_url(draft, 4)).url == step_url(draft, 2)
    assert client.get(reverse("orders:draft_resume", args=[draft.pk])).url == step_url(draft, 2)


def test_two_drafts_never_clash(client, alice, stocked):
    first = start(client, alice, stocked)
    to_step(client, first, 4)
    client.post(reverse("orders:immediate_menu", args=[stocked.voice_group.group_id]))
    second = Draft.objects.exclude(pk=first.pk).get()
    client.post(step_url(second, 1), {"agree": "on"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.step_done, first.base_numbers) == (3, ["0312345678"])
    assert (second.step_done, second.base_numbers) == (1, [])


def test_invalid_content_shows_the_message_on_its_row_with_422(client, alice, stocked):
    draft = start(client, alice, stocked)
    to_step(client, draft, 4)
    response = client.post(step_url(draft, 4), factories.content(
        red=[("0312345678", "050", "2001")], action="next"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "追加番号数は1～2000までの数字で入力してください。" in page
    assert 'aria-invalid="true" aria-describedby="red-0-quantity-error"' in page
    assert 'value="2001"' in page  # what was typed stays


def test_htmx_fragments_come_from_their_own_urls(client, alice, stocked):
    for i in range(150):
        BaseNumber.objects.create(contract=stocked, number=f"0312346{i:03d}", kind="0AJ")
    draft = start(client, alice, stocked)
    to_step(client, draft, 3)
    bases = reverse("orders:wizard_bases", args=[draft.pk])
    page = client.get(bases, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="chooser"' in page and "<html" not in page and "2 / 2" in page
    # 表示件数: 20 a page gives 8 pages; without JavaScript the 表示 button keeps it in the URL.
    page = client.get(bases, {"size": "20"}, HTTP_HX_REQUEST="true").content.decode()
    assert "1 / 8" in page and '<option value="20" selected>' in page
    step3 = reverse("orders:wizard_step", args=[draft.pk, 3])
    assert client.post(step3, {"action": "list", "size": "50", "q": ""}).url == step3 + "?size=50"
    assert "1 / 4" in client.get(step3, {"size": "50"}).content.decode()
    page = client.get(bases, {"q": "03-1234-6149"}, HTTP_HX_REQUEST="true").content.decode()
    assert "0312346149" in page and "合計 1 件" in page
    page = client.post(bases, {"action": "add", "pick": ["0312346149"]}, HTTP_HX_REQUEST="true").content.decode()
    assert 'name="unpick" value="0312346149"' in page
    client.post(step_url(draft, 3), {"action": "next"})
    rows = reverse("orders:wizard_rows", args=[draft.pk])
    page = client.post(rows, factories.content(action="blue:add:0"),
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'id="content-boxes"' in page and "<html" not in page
    assert 'name="blue-1-code"' in page and 'name="blue-2-code"' not in page


def test_an_outsider_gets_404_on_a_draft(client, alice, charlie, stocked):
    draft = start(client, alice, stocked)
    client.force_login(charlie)
    assert client.get(step_url(draft, 1)).status_code == 404
    assert client.get(reverse("orders:draft_resume", args=[draft.pk])).status_code == 404
    assert client.post(reverse("orders:draft_discard", args=[draft.pk])).status_code == 404


def test_drafts_are_listed_resumed_discarded_and_expire(client, alice, bob, stocked):
    draft = start(client, alice, stocked)
    client.force_login(bob)  # same organisation: sees and may resume it
    page = client.get(reverse("orders:draft_list")).content.decode()
    assert "作成中のお申し込み" in page and stocked.voice_group.group_id in page
    Draft.objects.filter(pk=draft.pk).update(touched_at=timezone.now() - dt.timedelta(days=8))
    assert "作成中のお申し込みはありません" in client.get(reverse("orders:draft_list")).content.decode()
    response = client.get(step_url(draft, 1))
    assert response.url == reverse("orders:draft_list") and not Draft.objects.exists()
    draft = start(client, alice, stocked)
    client.post(reverse("orders:draft_discard", args=[draft.pk]))
    assert not Draft.objects.exists()


def test_b1_contracts_are_not_offered_and_say_why(client, alice, stocked, operator):
    from orders.placement import order_sales_create

    order_sales_create(contract=stocked, scheduled_on=clock.today() + dt.timedelta(days=10), operator=operator)
    client.force_login(alice)
    page = client.get(reverse("orders:immediate_menu", args=[stocked.voice_group.group_id])).content.decode()
    assert "B1" in page and "竣工予定日" in page
    assert "この音声グループには「お申し込み直後に開通するお申し込み」を行える音声契約番号がありません。" in page


# --- CSV ---

def upload(client, draft, data: bytes, name="order.csv", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(step_url(draft, 3), {"file": SimpleUploadedFile(name, data, "text/csv")}, **extra)


HEADER = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_any_of_the_encodings_excel_writes(client, alice, stocked, encoding):
    code = reservation_code_issue(contract=stocked, numbers=["0312350150"],
                                  expires_at=clock.now() + dt.timedelta(days=5))
    draft = start(client, alice, stocked)
    to_step(client, draft, 3, method="csv")
    text = (HEADER + "０３－１２３４－５６７８,050,3,\r\n0312345678,０ＡＪ,2,\r\n"
            + f"0312345678,0312350150,,{code.code}\r\n")
    response = upload(client, draft, text.encode(encoding))
    assert response.url == step_url(draft, 5)
    draft.refresh_from_db()
    assert draft.red_rows == [RedRow(base="0312345678", kind="050", quantity="3"),
                              RedRow(base="0312345678", kind="0AJ", quantity="2")]
    assert draft.blue_rows == [BlueRow(base="0312345678", number="0312350150", code=code.code)]
    assert client.get(step_url(draft, 4)).url == step_url(draft, 5)  # CSV replaces steps 3–4


def test_csv_reports_every_error_with_its_line_and_saves_nothing(client, alice, stocked):
    draft = start(client, alice, stocked)
    to_step(client, draft, 3, method="csv")
    text = HEADER + "0312345678,050,3,\r\n0312345678,050,3,\r\n0699999999,050,1,\r\n0312345678,090,0,\r\n"
    response = upload(client, draft, text.encode("utf-8"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "4件のエラー" in page
    for line in ("3行目", "4行目", "5行目"):
        assert line in page
    assert "No.1" in page  # the duplicate names the row it repeats
    draft.refresh_from_db()
    assert draft.red_rows == [] and draft.step_done == 2
    assert "見出し行が正しくありません" in upload(client, draft, b"a,b,c,d\r\n1,2,3,4\r\n").content.decode()
    assert "文字コード" in upload(client, draft, HEADER.encode() + b"\xff\xfe\xfa\r\n").content.decode()


def test_csv_of_10000_rows_is_checked_at_once(client, alice, stocked):
    group = stocked.voice_group
    contract = factories.contract(alice.organisation, "N100000050", base_numbers=[], group_id=group.group_id)
    BaseNumber.objects.bulk_create(
        BaseNumber(contract=contract, number=f"05019{i:06d}", kind="050") for i in range(10_000))
    draft = start(client, alice, stocked)
    to_step(client, draft, 3, method="csv")
    text = HEADER + "".join(f"05019{i:06d},050,1,\r\n" for i in range(10_000))
    response = upload(client, draft, text.encode("utf-8"))
    # 10,000 numbers wanted, 200 free: every row is reported, nothing saved.
    assert response.status_code == 422
    assert "10,000件のエラー" in response.content.decode() or "10000件のエラー" in response.content.decode()


def test_the_csv_template_has_the_screen_columns(client, alice, stocked):
    draft = start(client, alice, stocked)
    response = client.get(reverse("orders:wizard_csv_template", args=[draft.pk]))
    assert response.content.decode("utf-8-sig").strip() == "基本契約番号,追加する電話番号,追加番号数,番号予約コード"


# --- After submit: pop-up, CSV of issued numbers, mailbox ---

def test_issued_numbers_pop_up_page_and_csv(client, alice, charlie, stocked):
    draft = start(client, alice, stocked)
    to_step(client, draft, 4)
    client.post(step_url(draft, 4), factories.content(red=[("0312345678", "050", "150")], action="next"))
    client.post(step_url(draft, 5), CONTACT)
    client.post(step_url(draft, 6))
    order = Order.objects.get()
    order_activate(order_id=order.pk)
    url = reverse("orders:issued_numbers", args=[order.request_id])
    modal = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<dialog" in modal and "<html" not in modal and "150件" in modal and "1 / 2" in modal
    page = client.get(url, {"page": 2}).content.decode()
    assert "<html" in page and "05012350149" in page
    csv_text = b"".join(client.get(reverse("orders:issued_numbers_csv", args=[order.request_id])).streaming_content)
    lines = csv_text.decode("utf-8-sig").splitlines()
    assert len(lines) == 151 and lines[1].startswith(f"{order.request_id},05012350000,050,0312345678,")
    history = client.get(reverse("orders:history")).content.decode()
    assert "工事了" in history and "払い出し番号 詳細" in history
    mails = client.get(reverse("orders:mailbox")).content.decode()
    assert "申し込み完了通知メール" in mails and "工事完了通知メール" in mails
    mail = SentMail.objects.get(kind=SentMail.Kind.COMPLETED)
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert client.get(reverse("orders:mail_detail", args=[mail.pk])).status_code == 404
    assert DialInNumber.objects.filter(source=order.request_id).count() == 150


def test_content_rows_post_as_a_formset_and_a_tampered_one_is_refused_calmly(client, alice, stocked):
    draft = start(client, alice, stocked)
    to_step(client, draft, 4)
    # No management form (a hand-made POST): no rows, the step's own message, nothing kept.
    response = client.post(step_url(draft, 4), {"red-base": ["0312345678"], "red-kind": ["050"],
                                                "red-quantity": ["2"], "action": "next"})
    assert response.status_code == 422 and "どちらかの入力" in response.content.decode()
    data = factories.content(red=[("0312345678", "050", "1")] * 3, action="red:add:0")
    page = client.post(step_url(draft, 4), data).content.decode()
    assert 'name="red-3-quantity"' in page and 'name="red-TOTAL_FORMS" value="4"' in page
    # A million rows announced (more than the screen's 100): read as none, one empty row shown.
    data["red-TOTAL_FORMS"] = "1000000"
    response = client.post(step_url(draft, 4), {**data, "action": "next"})
    page = response.content.decode()
    assert response.status_code == 422 and 'name="red-TOTAL_FORMS" value="1"' in page
    assert 'name="red-0-quantity" value=""' in page and 'name="red-1-quantity"' not in page
    draft.refresh_from_db()
    assert len(draft.red_rows) == 0


def test_a_csv_over_5_mb_is_refused_before_it_is_read(client, alice, stocked):
    draft = start(client, alice, stocked)
    to_step(client, draft, 3, method="csv")
    for size in (6 * 1024 * 1024, 40 * 1024 * 1024):  # within the upload limit, and far beyond it
        response = upload(client, draft, b"a" * size)
        assert response.status_code == 422 and "ファイルが大きすぎます（5MBまで）" in response.content.decode()


def test_moving_the_demo_clock_never_expires_a_wizard_in_use(client, alice, stocked, settings):
    """Drafts live PORTAL_DRAFT_DAYS of real time: a presenter who moves the clock two weeks on keeps
    the wizard a customer is filling in; a draft untouched for 8 real days still expires."""
    from portal import services

    settings.PORTAL_DEMO_CLOCK = True
    from orders.drafts import draft_create

    draft = start(client, alice, stocked)
    stale = draft_create(user=alice, voice_group=stocked.voice_group)
    Draft.objects.filter(pk=stale.pk).update(touched_at=timezone.now() - dt.timedelta(days=8))
    services.demo_clock_advance(delta=dt.timedelta(days=14))
    assert client.get(step_url(draft, 1)).status_code == 200
    assert client.get(step_url(stale, 1)).url == reverse("orders:draft_list")
    assert list(Draft.objects.values_list("pk", flat=True)) == [draft.pk]
