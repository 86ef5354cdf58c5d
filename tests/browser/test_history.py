import pytest
from playwright.sync_api import Page, expect

from tests import factories

pytestmark = [pytest.mark.browser]


def test_a_customer_sees_the_b1_order_in_the_history(demo_page: Page):
    page = demo_page
    page.get_by_role("link", name="お申し込み履歴を見る").click()
    expect(page.get_by_role("heading", name="お申し込み履歴")).to_be_visible()
    row = page.locator("#history tbody tr").filter(has_text="N140000009")
    expect(row).to_contain_text("受付済")
    expect(row).to_contain_text("営業経由変更申込")
    page.screenshot(path=str(factories.screenshot_path("history.png")), full_page=True)
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="ステータス履歴")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("受付済")
