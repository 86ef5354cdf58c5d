"""In a real browser: a scheduled order with a dial-in item, options and a reservation code; an
operator advances the demo clock in admin; the customer sees activation, the numbers, the
e-mails, 竣工 two business days later, and an immediate order refused in between (B1)."""

import pytest
from playwright.sync_api import Browser, Page, expect

from orders.models import Order
from tests import factories

pytestmark = [pytest.mark.browser]


def _operator_moves_clock_to(browser: Browser, base_url: str, day: str) -> None:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(base_url + "/admin/portal/democlock/")
    page.get_by_label("ユーザー名").fill("operator")
    page.get_by_label("パスワード").fill("operator-2026")
    page.get_by_role("button", name="ログイン").click()
    page.get_by_label("この日付まで進める（JST）").fill(day)
    page.get_by_role("button", name="進める", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("デモ時計を進めました")
    page.screenshot(path=str(factories.screenshot_path(f"demo-clock-{day}.png")), full_page=True)
    context.close()


def test_scheduled_order_through_the_demo_clock_to_completion(demo_page: Page, browser: Browser, settings):
    settings.PORTAL_DEMO_CLOCK = True
    page = demo_page
    base_url = "/".join(page.url.split("/", 3)[:3])
    page.goto(base_url + "/ipvoice/orders/change/")
    page.get_by_role("link", name="新たな申込").click()
    page.get_by_role("button", name="YZ0000001 で新たな申込").click()
    page.get_by_label("お申し込みにあたってのご確認内容（プライバシーポリシー、重要事項説明）に同意する").check()
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("N140000008").check()
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", name="3. お申し込み内容選択メニュー")).to_be_visible()

    # Sub-order A: base number found from a dial-in number in use, content, options, 保存.
    page.get_by_role("button", name="ダイヤルイン番号追加").first.click()
    page.get_by_label("電話番号").fill("05011112222")
    page.get_by_role("button", name="検索").click()
    page.get_by_label("05012340008").check()
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("No.1 追加する電話番号").first.select_option("050")
    page.locator("input[name=red-quantity]").fill("2")
    page.locator("input[name=blue-number]").fill("05012350000")
    page.locator("input[name=blue-code]").fill("RDEMOVALID2")
    page.locator(".box--blue").get_by_role("button", name="[+] 行追加").click()
    page.locator("input[name=blue-number]").nth(1).fill("05012350001")
    page.locator("input[name=blue-code]").nth(1).fill("RDEMOVALID2")
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", name="3. お申し込み内容選択メニュー — 付加機能")).to_be_visible()
    blocks = page.locator(".options-block")
    expect(blocks).to_have_count(3)
    expect(blocks.nth(0)).to_contain_text("番号払出待ち")
    blocks.nth(0).get_by_label("メッセージボックス").check()
    blocks.nth(1).get_by_role("tab", name="特定番号通知").click()
    blocks.nth(1).get_by_label("特定番号通知を契約する").check()
    blocks.nth(1).get_by_label("通知する番号（フリーダイヤル・ナビダイヤル）").fill("0120999999")
    blocks.nth(1).get_by_role("tab", name="転送先特定番号").click()
    expect(blocks.nth(1)).to_contain_text("050番号には転送先特定番号をお申し込みいただけません（O2）。")
    page.screenshot(path=str(factories.screenshot_path("scheduled-options.png")), full_page=True)
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("main table").last).to_contain_text("05012340008")
    page.get_by_role("button", name="次へ").click()

    # Other confirmations and date: the earliest date shown is the one to pick.
    earliest = page.locator("#earliest").inner_text()
    page.locator("#id_date").fill(earliest)
    page.screenshot(path=str(factories.screenshot_path("scheduled-date.png")), full_page=True)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("電話番号").fill("03-5555-0101")
    page.get_by_role("button", name="次へ").click()
    expect(page.locator(".note")).to_contain_text("O4")
    page.screenshot(path=str(factories.screenshot_path("scheduled-confirm.png")), full_page=True)
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", name="お申し込みを受け付けました")).to_be_visible()
    order = Order.objects.get(flow="scheduled")

    # The operator moves the clock to the construction date: activated, numbers issued.
    _operator_moves_clock_to(browser, base_url, earliest)
    page.get_by_role("link", name="お申し込み履歴一覧").click()
    row = page.locator("#history tbody tr").filter(has_text=order.request_id)
    expect(row).to_contain_text("工事了")
    row.get_by_role("link", name="払い出し番号 詳細").click()
    expect(page.locator("dialog[open]")).to_contain_text("4件")
    page.locator("dialog[open]").get_by_role("button", name="閉じる").click()

    # In between, an immediate order on that N番 is refused with the date it unblocks.
    order.refresh_from_db()
    page.goto(base_url + "/ipvoice/orders/precheck/")
    page.get_by_label("音声契約番号（N番）").select_option("N140000008")
    page.get_by_label("050番号", exact=True).check()
    page.get_by_role("button", name="申込方法を確認する").click()
    expect(page.locator("#decision")).to_contain_text("B1")
    expect(page.locator("#decision")).to_contain_text(order.completion_due_on.strftime("%Y年%m月%d日"))

    page.goto(base_url + "/ipvoice/orders/mail/")
    expect(page.locator("#mails")).to_contain_text("工事完了通知メール")
    expect(page.locator("#mails")).to_contain_text("特定番号通知キャンセルのお知らせ")

    # Two business days later: 竣工, and immediate orders are allowed again.
    _operator_moves_clock_to(browser, base_url, order.completion_due_on.isoformat())
    page.goto(base_url + "/ipvoice/orders/history/")
    expect(page.locator("#history tbody tr").filter(has_text=order.request_id)).to_contain_text("竣工")
    page.screenshot(path=str(factories.screenshot_path("scheduled-history.png")), full_page=True)
