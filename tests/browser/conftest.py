import pytest
from playwright.sync_api import Page


@pytest.fixture
def demo_page(live_server, page: Page, transactional_db) -> Page:
    """A browser signed in as the demo customer, on the dashboard."""
    from orders import demo

    demo.demo_load()
    page.goto(live_server.url + "/login/")
    page.get_by_label("ユーザー名").fill("demo")
    page.get_by_label("パスワード").fill("demo-2026")
    page.get_by_role("button", name="ログイン", exact=True).click()
    return page
