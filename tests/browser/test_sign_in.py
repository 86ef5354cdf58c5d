import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import look

pytestmark = [pytest.mark.browser]


def test_a_demo_user_signs_in_and_sees_only_its_voice_groups(live_server, page: Page,
                                                            transactional_db):
    from orders import demo

    demo.demo_load()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill("demo")
    page.get_by_label("パスワード").fill("demo-2026")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", name="ダッシュボード")).to_be_visible()
    groups = page.get_by_role("region", name="音声グループID一覧")
    expect(groups.get_by_role("link", name="YZ0000001")).to_be_visible()
    expect(groups.get_by_role("link", name="YZ0000002")).to_be_visible()
    expect(page.get_by_text("YZ0000101")).to_have_count(0)

    page.get_by_role("link", name="Arcstar IP Voice").first.click()
    page.get_by_role("link", name="ご契約・運用状況").click()
    page.get_by_role("link", name="N140000004").click()
    expect(page.locator("#related-info .type-cell")).to_have_text("クラウド")
    look(page, "contract_detail_cloud.png")
