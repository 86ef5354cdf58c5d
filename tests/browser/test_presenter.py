"""The demo as a presenter who reads no Japanese runs it: one-click sign-in, a scheduled order in
English, the operator's view of the same order, the demo clock jumping to its date while the
customer's page follows without a reload, and the demo reset — each screen looked at."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from orders.models import Order, Status
from tests.browser.axe import look

pytestmark = [pytest.mark.browser, pytest.mark.worker]
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
CUSTOMER_DATA = ("デモ商事株式会社", "山田 花子", "本社", "大阪支社", "情報システム部")


def english_only(text: str) -> bool:
    for value in CUSTOMER_DATA:
        text = text.replace(value, "")
    return not JAPANESE.search(text)


def next_step(page: Page) -> None:
    page.locator("button[name=action][value=next], button.btn--primary[type=submit]").last.click()


def test_a_presenter_runs_the_demo_in_english(live_server, page: Page, browser: Browser, transactional_db,
                                              settings, celery_session_app, celery_session_worker):
    from orders import demo

    settings.PORTAL_DEMO_CLOCK = settings.PORTAL_DEMO_MODE = True
    demo.demo_load()
    root = live_server.url
    page.goto(root + "/login/")
    page.get_by_label("表示言語").select_option("en")
    page.get_by_role("button", name="切替").click()
    expect(page.get_by_role("heading", name="Demo accounts")).to_be_visible()
    look(page, "presenter-sign-in.png")
    page.get_by_role("button", name="Sign in as demo", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # A scheduled order in English: N140000008, two 050 numbers, the earliest date offered.
    page.goto(root + "/ipvoice/orders/scheduled/")
    page.locator("form[action$='/scheduled/group/YZ0000001/new/'] button").click()
    page.locator("input[name=agree]").check()
    look(page, "presenter-scheduled-step1.png")
    page.get_by_role("button", name="Next", exact=True).click()
    look(page, "presenter-scheduled-step2.png")
    page.locator("input[name=contract][value=N140000008]").check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.locator("button[name=action][value=new]").first.click()
    look(page, "presenter-item-method.png")
    page.get_by_role("button", name="Next", exact=True).click()
    page.locator("input[name=pick][value='0312340008']").check()
    page.locator("button[value=add]").click()
    expect(page.locator(".chooser__chosen")).to_contain_text("0312340008")
    look(page, "presenter-item-bases.png")
    page.get_by_role("button", name="Next", exact=True).click()
    page.locator("select[name$=-kind]").first.select_option("050")
    page.locator("input[name$=-quantity]").first.fill("2")
    look(page, "presenter-item-content.png")
    page.get_by_role("button", name="Next", exact=True).click()
    look(page, "presenter-item-options.png")
    page.get_by_role("button", name="Next", exact=True).click()
    look(page, "presenter-item-confirm.png")
    page.get_by_role("button", name="Save").click()
    look(page, "presenter-scheduled-menu.png")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator(".calendar caption").first).not_to_contain_text("年")
    page.locator(".calendar td[data-date]").first.click()  # the calendar fills the date
    expect(page.locator("input[name=date]")).not_to_have_value("")
    look(page, "presenter-scheduled-date.png")
    page.get_by_role("button", name="Next", exact=True).click()
    page.locator("input[name=contact_phone]").fill("03-5555-0101")
    look(page, "presenter-scheduled-step5.png")
    page.get_by_role("button", name="Next", exact=True).click()
    look(page, "presenter-scheduled-confirm.png")
    assert english_only(page.locator("main").inner_text())
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Your order has been accepted")).to_be_visible()
    order = Order.objects.get(flow="scheduled", language="en")
    status = page.locator(".progress-cell").first
    expect(status).to_contain_text("Accepted")

    # The operator's view of the same order, then the clock jumps to its date.
    operator = browser.new_context(locale="en-GB", timezone_id="Asia/Tokyo").new_page()
    operator.goto(root + "/login/")
    operator.get_by_role("button", name="Sign in as operator").click()
    operator.goto(root + f"/admin/orders/order/{order.pk}/change/")
    expect(operator.locator(".order-contents")).to_contain_text("0312340008")
    look(operator, "presenter-operator-order.png")
    operator.goto(root + "/admin/portal/democlock/")
    operator.get_by_role("button", name="Jump to the next due date").click()
    expect(operator.locator(".messagelist")).to_contain_text("moved to the next due date")
    expect(operator.locator(".demo-clock-banner")).to_be_visible()  # on every admin page now
    look(operator, "presenter-operator-clock.png")
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED

    # The customer's page was left open: it follows the order by itself.
    expect(status).to_contain_text("Activated", timeout=20_000)
    expect(status.get_by_role("link", name="Issued number details")).to_be_visible()
    look(page, "presenter-scheduled-activated.png")
    page.goto(root + f"/ipvoice/orders/history/{order.request_id}/")
    look(page, "presenter-order-detail.png")
    page.goto(root + "/ipvoice/orders/history/")
    look(page, "presenter-history.png")

    # Reset the demo, after a confirmation.
    operator.goto(root + "/admin/orders/order/demo-reset/")
    look(operator, "presenter-reset-confirm.png")
    operator.get_by_role("button", name="Yes, reset the demo").click()
    expect(operator.locator(".messagelist")).to_contain_text("The demo was reset")
    assert not Order.objects.filter(pk=order.pk).exists()
    page.goto(root + "/")
    expect(page).to_have_url(re.compile(r"/login/"))  # the customer was signed out with the reset
