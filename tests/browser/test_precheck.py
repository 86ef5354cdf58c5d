import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import look

pytestmark = [pytest.mark.browser]


def test_a_customer_finds_the_right_way_to_order(demo_page: Page):
    page = demo_page
    page.get_by_role("link", name="Arcstar IP Voice").first.click()
    page.get_by_role("link", name="追加/変更のお申し込み").click()
    page.get_by_role("link", name="フローチャートで申込方法を確認する").click()
    expect(page.get_by_role("heading", name="お申し込みの前にご確認ください")).to_be_visible()

    page.get_by_label("音声契約番号（N番）").select_option("N140000003")
    page.get_by_role("group", name="番号ポータビリティ").get_by_label("はい").check()
    decision = page.locator("#decision")
    expect(decision).to_contain_text("E3")  # htmx answered without a page load
    expect(decision).to_contain_text("「工事日を指定するお申し込み」でお申し込みください。")

    page.get_by_role("group", name="番号ポータビリティ").get_by_label("いいえ").check()
    page.get_by_label("音声契約番号（N番）").select_option("N140000008")
    expect(decision).to_contain_text("E7")
    expect(decision).to_contain_text("「お申し込み直後に開通するお申し込み」で、お申し込みください。")
    look(page, "precheck_e7.png")
