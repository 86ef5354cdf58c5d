"""In a real browser (headless Chromium), in Japanese: from the pre-order check through the
immediate wizard, on screen and by CSV, to the accepted page, the history and the pop-up."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import look

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def _agree_and_choose(page: Page, method: str) -> None:
    expect(page.get_by_role("heading", name="1. お申し込みにあたってのご確認")).to_be_visible()
    look(page, "wizard-step1.png")
    page.get_by_label("お申し込みにあたってのご確認内容（プライバシーポリシー）に同意する").check()
    page.get_by_role("button", name="次へ").click()
    look(page, "wizard-step2.png")
    page.get_by_label(method).check()
    page.get_by_role("button", name="次へ").click()


def _start_by_csv(page: Page) -> None:
    """From the dashboard to step 3 of the immediate wizard for YZ0000001, by CSV file."""
    page.get_by_role("link", name="Arcstar IP Voice").first.click()
    page.get_by_role("link", name="追加/変更のお申し込み").first.click()
    page.get_by_role("link", name="お申し込み直後に開通するお申し込み").click()
    page.get_by_role("link", name="YZ0000001").click()
    page.get_by_role("button", name="ダイヤルイン番号の追加申込").click()
    _agree_and_choose(page, "CSVファイルを使用してお申し込み")


def _contact_confirm_submit(page: Page, shot: str) -> None:
    expect(page.get_by_role("heading", name="5. お申し込みご担当者情報")).to_be_visible()
    look(page, f"{shot}-step5.png")
    page.get_by_label("電話番号").fill("03-5555-0101")
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", name="6. お申し込み内容の確認")).to_be_visible()
    look(page, f"{shot}-confirm.png")
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", name="お申し込みを受け付けました")).to_be_visible()
    # The page follows the order by itself: 受付済 → 工事了 and the issued-number link, no reload.
    status = page.locator(".progress-cell").first
    expect(status).to_contain_text("工事了", timeout=20_000)
    expect(status.get_by_role("link", name="払い出し番号 詳細")).to_be_visible()
    look(page, f"{shot}-accepted.png")


def _history_and_pop_up(page: Page, count: int, shot: str) -> None:
    page.get_by_role("link", name="お申し込み履歴一覧").click()
    expect(page.get_by_role("heading", name="お申し込み履歴")).to_be_visible()
    row = page.locator("#history tbody tr").first
    expect(row).to_contain_text("工事了")
    row.get_by_role("link", name="払い出し番号 詳細").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"{count}件")
    look(page, f"{shot}-pop-up.png")
    dialog.get_by_role("button", name="閉じる").click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def test_screen_entry_from_the_pre_order_check_to_the_pop_up(demo_page: Page, celery_session_app,
                                                             celery_session_worker):
    page = demo_page
    base_url = page.url.split("/", 3)[:3]
    page.goto("/".join(base_url) + "/ipvoice/orders/precheck/")
    page.get_by_label("音声契約番号（N番）").select_option("N140000008")
    page.get_by_label("050番号", exact=True).check()
    page.get_by_role("button", name="申込方法を確認する").click()
    page.get_by_role("link", name="お申し込み直後に開通するお申し込みへ").click()
    expect(page.get_by_role("heading", name="お申し込みメニュー")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("N140000008")
    page.get_by_role("button", name="ダイヤルイン番号の追加申込").click()
    _agree_and_choose(page, "画面から入力してお申し込み")

    # Step 3: search by phone number (htmx), tick, [→] 選択.
    page.get_by_label("電話番号").fill("050-1234-0008")
    page.get_by_role("button", name="検索").click()
    expect(page.locator("#chooser")).to_contain_text("合計 1 件")
    page.get_by_label("05012340008 を選択").check()
    page.get_by_role("button", name="[→] 選択").click()
    expect(page.locator(".chooser__chosen")).to_contain_text("05012340008")
    look(page, "wizard-step3.png")
    page.get_by_role("button", name="次へ").click()

    # Step 4: red box with a row added and removed; blue box with a reservation code.
    expect(page.get_by_role("heading", name="4. お申し込み内容")).to_be_visible()
    expect(page.locator(".box--red")).to_contain_text("緊急通報")
    page.get_by_label("No.1 追加する電話番号").first.select_option("050")
    page.locator("input[name$=-quantity]").first.fill("3")
    page.locator(".box--red").get_by_role("button", name="[+] 追加").click()
    expect(page.locator("input[name$=-quantity]")).to_have_count(2)
    page.locator(".box--red").get_by_role("button", name="[-] 削除").nth(1).click()
    expect(page.locator("input[name$=-quantity]")).to_have_count(1)
    expect(page.locator("input[name$=-quantity]")).to_have_value("3")
    page.locator("input[name^=blue-][name$=-number]").fill("05012350000")
    page.locator("input[name^=blue-][name$=-code]").fill("RDEMOVALID2")
    page.locator(".box--blue").get_by_role("button", name="[+] 追加").click()
    page.locator("input[name^=blue-][name$=-number]").nth(1).fill("０５０－１２３５－０００１")
    page.locator("input[name^=blue-][name$=-code]").nth(1).fill("rdemovalid2")
    look(page, "wizard-step4.png")
    page.get_by_role("button", name="次へ").click()
    _contact_confirm_submit(page, "wizard")
    _history_and_pop_up(page, 5, "wizard")


def test_csv_entry_to_the_pop_up(demo_page: Page, celery_session_app, celery_session_worker):
    page = demo_page
    _start_by_csv(page)
    expect(page.get_by_role("heading", name="3. CSVファイルを使用してお申し込み")).to_be_visible()
    header = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n"
    bad = header + "0312340008,050,0,\r\n"
    page.get_by_label("CSVファイル").set_input_files(
        files=[{"name": "order.csv", "mimeType": "text/csv", "buffer": bad.encode("cp932")}])
    page.get_by_role("button", name="アップロードして次へ").click()
    expect(page.locator(".csv-errors")).to_contain_text("2行目")
    good = header + "0312340008,050,4,\r\n０３１２３４０００８,0AJ,2,\r\n"
    page.get_by_label("CSVファイル").set_input_files(
        files=[{"name": "order.csv", "mimeType": "text/csv", "buffer": good.encode("cp932")}])
    page.get_by_role("button", name="アップロードして次へ").click()
    _contact_confirm_submit(page, "wizard-csv")
    _history_and_pop_up(page, 6, "wizard-csv")


@pytest.mark.slow
def test_a_ten_thousand_row_csv_order_reaches_activation_in_seconds(demo_page: Page, celery_session_app,
                                                                    celery_session_worker):
    """The scale the CSV method exists for: 10,000 rows (one number each) in the browser, checked,
    accepted and activated by the real worker; the pop-up lists all 10,000 numbers."""
    from numbering.models import BaseNumber, VoiceContract, VoiceGroup
    from numbering.services import stock_add_range

    group = VoiceGroup.objects.get(group_id="YZ0000001")
    contract = VoiceContract.objects.create(voice_group=group, number="N140000077", holder_name="デモ商事株式会社",
                                            installation_address="東京都千代田区大手町一丁目1番1号")
    bases = [f"050880{i:05d}" for i in range(10_000)]
    BaseNumber.objects.bulk_create(BaseNumber(contract=contract, number=n, kind="050") for n in bases)
    stock_add_range(first="05077000000", last="05077009999")
    page = demo_page
    _start_by_csv(page)
    csv = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n" + "".join(f"{n},050,1,\r\n" for n in bases)
    page.get_by_label("CSVファイル").set_input_files(
        files=[{"name": "order-10000.csv", "mimeType": "text/csv", "buffer": csv.encode("cp932")}])
    page.get_by_role("button", name="アップロードして次へ").click()
    _contact_confirm_submit(page, "wizard-csv-10000")
    _history_and_pop_up(page, 10000, "wizard-csv-10000")
