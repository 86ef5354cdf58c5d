import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import look

pytestmark = [pytest.mark.browser]


def test_a_customer_sees_the_b1_order_in_the_history(demo_page: Page):
    page = demo_page
    page.get_by_role("link", name="お申し込み履歴を見る").click()
    expect(page.get_by_role("heading", name="お申し込み履歴")).to_be_visible()
    row = page.locator("#history tbody tr").filter(has_text="N140000009")
    expect(row).to_contain_text("受付済")
    expect(row).to_contain_text("営業経由変更申込")
    look(page, "history.png")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="ステータス履歴")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("受付済")
    look(page, "order-detail.png")
    # The dashboard: recent orders (with their request IDs) and the network's recent work.
    page.get_by_role("link", name="ダッシュボード").first.click()
    expect(page.get_by_role("heading", name="最近のお申し込み")).to_be_visible()
    look(page, "dashboard.png")
