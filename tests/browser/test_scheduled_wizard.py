"""In a real browser: a scheduled order with a dial-in item, options and a reservation code; an
operator advances the demo clock in admin; the customer sees activation, the numbers, the
e-mails, 竣工 two business days later, and an immediate order refused in between (B1)."""

import pytest
from playwright.sync_api import Browser, Page, expect

from orders.models import Order
from tests.browser.axe import look

pytestmark = [pytest.mark.browser]


def _operator_moves_clock_to(browser: Browser, base_url: str, day: str, *, at: str = "") -> None:
    """The operator moves the clock to `day` (same time of day); when the order waits for a desired
    time `at` (工事希望時間) still ahead on that day, "jump to the next due date" takes it there."""
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(base_url + "/admin/portal/democlock/")
    page.get_by_label("ユーザー名").fill("operator")
    page.get_by_label("パスワード").fill("operator-2026")
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_label("この日付まで進める（JST）").fill(day)
    page.get_by_role("button", name="進める", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("デモ時計を進めました")
    from portal import clock

    clock.forget()
    if at and clock.now().astimezone(clock.JST).strftime("%H:%M") < at:
        page.get_by_role("button", name="次の予定日まで進める").first.click()
        expect(page.locator(".messagelist")).to_contain_text("次の予定日")
    look(page, f"demo-clock-{day}.png")
    context.close()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_scheduled_order_through_the_demo_clock_to_completion(demo_page: Page, browser: Browser, settings):
    """Done when of the scheduled flow: a dial-in item and a porting item with options and an
    uploaded document; the demo clock brings activation and 竣工; B1 refuses an immediate order."""
    settings.PORTAL_DEMO_CLOCK = True
    page = demo_page
    base_url = "/".join(page.url.split("/", 3)[:3])
    page.goto(base_url + "/ipvoice/orders/change/")
    page.get_by_role("link", name="新たな申込").click()
    page.get_by_role("button", name="YZ0000002 で新たな申込").click()
    look(page, "scheduled-step1.png")
    page.get_by_label("お申し込みにあたってのご確認内容（プライバシーポリシー、重要事項説明）に同意する").check()
    page.get_by_role("button", name="次へ", exact=True).click()
    look(page, "scheduled-step2.png")
    page.get_by_label("N140000004").check()  # cloud plan: 0AJ only by construction date (E4)
    page.get_by_role("button", name="次へ", exact=True).click()
    expect(page.get_by_role("heading", name="3. お申し込み内容選択メニュー")).to_be_visible()
    look(page, "scheduled-step3.png")

    # Item 1: dial-in addition, two new 0AJ numbers with メッセージボックス.
    page.get_by_role("button", name="ダイヤルイン番号追加").first.click()
    expect(page.get_by_label("画面から入力してお申し込み")).to_be_checked()  # お申し込み方法
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_label("0612340004 を選択").check()  # 番号の選択: the two panes
    page.get_by_role("button", name="[→] 選択").click()
    expect(page.locator(".chooser__chosen")).to_contain_text("0612340004")
    look(page, "scheduled-chooser.png")
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_label("No.1 追加する電話番号").first.select_option("0AJ")
    page.locator("input[name$=-quantity]").fill("2")
    page.get_by_role("button", name="次へ", exact=True).click()
    block = page.locator(".options-block").first
    expect(block.get_by_role("heading")).to_have_text("①付加機能（番号予約コードをお持ちでない場合）")
    expect(block.get_by_role("tab", name="メッセージボックス／非通知着信拒否／迷惑電話お断り")).to_be_visible()
    expect(block.locator("tbody tr").first).to_contain_text("番号払出待ち")
    expect(block.get_by_label("No.1 迷惑電話お断り")).to_have_value("")  # 契約しない until chosen
    block.get_by_label("No.1 メッセージボックス").select_option(label="契約する")
    block.get_by_role("tab", name="転送先特定番号").click()
    expect(block.get_by_label("No.1 転送先特定番号")).to_be_disabled()  # O3, as the customer chooses
    look(page, "scheduled-options.png")
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_role("button", name="保存").click()

    # Item 2: porting one number, 特定番号通知 on it (its freephone link is not complete: O4).
    page.get_by_role("button", name="ダイヤルイン番号追加（番号ポータビリティ）").click()
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_label("0612340004 を選択").check()
    page.get_by_role("button", name="[→] 選択").click()
    expect(page.locator(".chooser__chosen")).to_contain_text("0612340004")
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_label("追加する電話番号（他社でご利用中の番号）").fill("06-6111-0001")
    page.get_by_label("電話事業者名1").fill("西日本電話")
    page.get_by_label("回線種別").select_option("isdn")
    expect(page.get_by_text("DSU/配線等の撤去（ISDN回線の場合）")).to_be_visible()
    page.get_by_label("回線種別").select_option("hikari")
    page.locator("select[name$=-holder]").select_option("other")
    expect(page.get_by_text("回線名義（その他の場合）")).to_be_visible()
    page.locator("select[name$=-holder]").select_option("same")
    page.locator("select[name$=-address]").select_option("same")
    page.get_by_label("無").check()
    # Conditional fields show only where they apply: DSU removal for ISDN, the table for 残置番号 有.
    expect(page.get_by_text("DSU/配線等の撤去（ISDN回線の場合）")).to_be_hidden()
    expect(page.get_by_text("残回線構成表（残置番号が「有」の場合）")).to_be_hidden()
    look(page, "scheduled-porting.png")
    page.get_by_role("button", name="次へ", exact=True).click()
    block = page.locator(".options-block").first
    block.get_by_role("tab", name="特定番号通知").click()
    block.get_by_label("No.1 通知する番号").fill("0120999999")
    expect(block.get_by_label("No.1 特定番号通知")).to_have_value("1")  # a number typed in: 契約する
    page.get_by_role("button", name="次へ", exact=True).click()
    expect(page.locator("main")).to_contain_text("西日本電話")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main table").last).to_contain_text("ダイヤルイン番号追加（番号ポータビリティ）")
    page.get_by_role("button", name="次へ", exact=True).click()

    # Other confirmations: AML (cloud plan adding 0ABJ) with an upload, the date and time.
    page.get_by_label("変更なし").check()
    page.get_by_label("取引担当者名（確認用）").fill("山田花子")
    page.locator("#id_aml_file").set_input_files(
        files=[{"name": "取引時確認記録.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_label("送付先部署名").fill("情報システム部")
    page.get_by_label("送付先ご担当者名").fill("山田花子")
    earliest = page.locator("#earliest").inner_text()
    # Porting (10 business days) is the longest lead time of this order.
    from orders.lead_times import earliest_date

    assert earliest == earliest_date(items={"dialin", "porting", "aml", "special_option"}).isoformat()
    page.locator("#id_date").fill(earliest)
    page.locator("#id_time").fill("10:00")
    look(page, "scheduled-date.png")
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_label("電話番号").fill("03-5555-0101")
    look(page, "scheduled-step5.png")
    page.get_by_role("button", name="次へ", exact=True).click()
    expect(page.locator(".note")).to_contain_text("O4")
    # The confirmation draws the options as the options screen does, in tabs.
    block = page.locator(".options-block").last
    expect(block.get_by_role("cell", name="契約する（0120999999）")).to_be_hidden()
    block.get_by_role("tab", name="特定番号通知").click()
    expect(block.get_by_role("cell", name="契約する（0120999999）")).to_be_visible()
    expect(page.locator("main")).to_contain_text("IPVoice申込設置場所住所と同じ")
    look(page, "scheduled-confirm.png")
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", name="お申し込みを受け付けました")).to_be_visible()
    order = Order.objects.get(flow="scheduled")
    assert order.attachments.get().original_name == "取引時確認記録.pdf"

    # The operator moves the clock to the construction date: activated, numbers issued.
    _operator_moves_clock_to(browser, base_url, earliest, at="10:00")
    page.get_by_role("link", name="お申し込み履歴一覧").click()
    row = page.locator("#history tbody tr").filter(has_text=order.request_id)
    expect(row).to_contain_text("工事了")
    row.get_by_role("link", name="払い出し番号 詳細").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("3件")
    expect(dialog).to_contain_text("0661110001")
    dialog.get_by_role("button", name="閉じる").click()

    # In between, an immediate order on that N番 is refused with the date it unblocks.
    order.refresh_from_db()
    page.goto(base_url + "/ipvoice/orders/precheck/")
    page.get_by_label("音声契約番号（N番）").select_option("N140000004")
    page.get_by_label("050番号", exact=True).check()
    page.get_by_role("button", name="申込方法を確認する").click()
    expect(page.locator("#decision")).to_contain_text("B1")
    expect(page.locator("#decision")).to_contain_text(order.completion_due_on.strftime("%Y年%m月%d日"))

    page.goto(base_url + "/ipvoice/orders/mail/")
    expect(page.locator("#mails")).to_contain_text("申し込み完了通知メール")
    expect(page.locator("#mails")).to_contain_text("工事完了通知メール")
    expect(page.locator("#mails")).to_contain_text("特定番号通知キャンセルのお知らせ")

    # Two business days later: 竣工.
    _operator_moves_clock_to(browser, base_url, order.completion_due_on.isoformat())
    page.goto(base_url + "/ipvoice/orders/history/")
    expect(page.locator("#history tbody tr").filter(has_text=order.request_id)).to_contain_text("竣工")
    look(page, "scheduled-history.png")


def test_a_porting_item_by_csv_file(demo_page: Page):
    """お申し込み方法 CSVファイル for porting: the template, a file with an error by line, then a good
    file; the numbers arrive at the options table and the confirmation in the guide's words."""
    page = demo_page
    base_url = "/".join(page.url.split("/", 3)[:3])
    page.goto(base_url + "/ipvoice/orders/scheduled/")
    page.get_by_role("button", name="YZ0000002 で新たな申込").click()
    look(page, "scheduled-step1.png")
    page.get_by_label("お申し込みにあたってのご確認内容（プライバシーポリシー、重要事項説明）に同意する").check()
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_label("N140000004").check()
    page.get_by_role("button", name="次へ", exact=True).click()
    page.get_by_role("button", name="ダイヤルイン番号追加（番号ポータビリティ）").click()
    page.get_by_label("CSVファイルを使用してお申し込み").check()
    look(page, "scheduled-item-method.png")
    page.get_by_role("button", name="次へ", exact=True).click()
    expect(page.get_by_role("link", name="CSVテンプレートをダウンロード")).to_be_visible()
    header = ("基本契約番号,追加する電話番号,電話事業者名1,電話事業者名2,回線種別,回線名義,回線名義（その他の場合）,"
              "設置場所住所,設置場所住所（その他の場合）,契約者住所,DSU/配線等の撤去\r\n")
    good = "0612340004,06-6111-0002,西日本電話,,ひかり電話,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,\r\n"
    bad = "0612340004,03-1111-0002,西日本電話,,ひかり電話,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,\r\n"
    page.get_by_label("無").check()
    page.locator("#id_file").set_input_files(
        files=[{"name": "porting.csv", "mimeType": "text/csv", "buffer": (header + good + bad).encode("cp932")}])
    page.get_by_role("button", name="アップロードして次へ").click()
    expect(page.locator(".csv-errors")).to_contain_text("3行目")
    expect(page.locator(".csv-errors")).to_contain_text("市外局番")
    look(page, "scheduled-porting-csv-errors.png")
    page.get_by_label("無").check()
    page.locator("#id_file").set_input_files(
        files=[{"name": "porting.csv", "mimeType": "text/csv", "buffer": (header + good).encode("utf-8")}])
    page.get_by_role("button", name="アップロードして次へ").click()
    block = page.locator(".options-block").first
    expect(block.locator("tbody tr").first).to_contain_text("0661110002")
    page.get_by_role("button", name="次へ", exact=True).click()
    expect(page.locator("main")).to_contain_text("IPVoice名義と同じ")
    expect(page.locator("main")).to_contain_text("西日本電話")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main")).to_contain_text("ダイヤルイン番号追加（番号ポータビリティ）")
