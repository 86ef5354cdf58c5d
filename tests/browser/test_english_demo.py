"""A presenter who reads no Japanese: the portal switched to English, an immediate order placed on
screen, the accepted page and the dashboard following it without a reload, the timeline and the
e-mail in English."""

import re

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order, SentMail
from tests.browser.axe import look

pytestmark = [pytest.mark.browser, pytest.mark.worker]
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def test_an_english_order_moves_on_screen_without_a_reload(demo_page: Page, celery_session_app,
                                                          celery_session_worker):
    page = demo_page
    page.get_by_label("表示言語").select_option("en")
    page.get_by_role("button", name="切替").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    root = "/".join(page.url.split("/", 3)[:3])
    page.goto(root + "/ipvoice/orders/immediate/group/YZ0000001/")
    page.get_by_role("button", name="Order additional dial-in numbers").click()
    look(page, "english-step1.png")
    page.locator("input[name=agree]").check()
    page.get_by_role("button", name="Next").click()
    look(page, "english-step2.png")
    page.get_by_label("Order by entering details on screen").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_role("textbox", name="Phone number").fill("0312340008")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#chooser")).to_contain_text("Total: 1")
    page.locator("input[name=pick][value='0312340008']").check()
    page.locator("button[value=add]").click()
    expect(page.locator(".chooser__chosen")).to_contain_text("0312340008")
    look(page, "english-step3.png")
    page.get_by_role("button", name="Next").click()
    page.locator("select[name$=-kind]").first.select_option("050")
    page.locator("input[name$=-quantity]").first.fill("4")
    look(page, "english-step4.png")
    page.get_by_role("button", name="Next").click()
    page.locator("input[name=contact_phone]").fill("03-5555-0101")
    look(page, "english-step5.png")
    page.get_by_role("button", name="Next").click()
    look(page, "english-step6.png")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name="Your order has been accepted")).to_be_visible()
    status = page.locator(".progress-cell").first
    expect(status).to_contain_text("Activated", timeout=20_000)  # 工事了, by the worker, no reload
    expect(status.get_by_role("link", name="Issued number details")).to_be_visible()
    status.get_by_role("link", name="Issued number details").click()
    expect(page.locator("dialog[open]")).to_contain_text("0312340008")
    look(page, "english-pop-up.png")
    page.locator("dialog[open]").get_by_role("button", name="Close").click()
    assert not JAPANESE.search(page.locator("main").inner_text().replace("デモ商事株式会社", ""))
    look(page, "english-accepted.png")

    order = Order.objects.get(pk=Order.objects.filter(language="en").order_by("-submitted_at")[0].pk)
    page.goto(root + f"/ipvoice/orders/history/{order.request_id}/")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Activated, numbers issued: 4")
    assert not JAPANESE.search(timeline.inner_text())
    look(page, "english-order-detail.png")

    page.goto(root + "/")
    expect(page.get_by_role("heading", name="Recent orders")).to_be_visible()
    expect(page.locator("#activity")).to_contain_text(order.request_id)
    look(page, "english-dashboard.png")
    mail = SentMail.objects.get(order=order, kind=SentMail.Kind.COMPLETED)
    assert mail.subject.startswith("[Business Portal (Simulator)] Construction completed")
    # Entry ②: the e-mail's own link, followed from its HTML part in 送信メール.
    accepted = SentMail.objects.get(order=order, kind=SentMail.Kind.ACCEPTED)
    page.goto(root + f"/ipvoice/orders/mail/{accepted.pk}/")
    look(page, "english-mail.png")
    page.frame_locator("iframe.mail-frame").get_by_role("link", name="Order history").click()
    expect(page.get_by_role("heading", name="Order history")).to_be_visible()
    assert page.url == root + "/ipvoice/orders/history/"
