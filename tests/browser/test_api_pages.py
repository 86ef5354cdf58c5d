"""API キー in a real browser (create, copy once, revoke) and the API reference page, which runs
its own scripts under the portal's strict CSP (no CDN, no inline script)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import look

pytestmark = [pytest.mark.browser]


def test_a_customer_makes_a_key_and_reads_the_api_reference(demo_page: Page, live_server):
    page = demo_page
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", name="API キー", exact=True)).to_be_visible()
    page.get_by_label("キーの名前").fill("在庫連携")
    page.get_by_role("button", name="作成する").click()
    key = page.get_by_role("textbox", name="新しい API キー").input_value()
    assert key.startswith("ipv_")
    expect(page.get_by_role("cell", name="在庫連携", exact=True)).to_be_visible()
    look(page, "api_keys.png")
    # The key works at once, from a program.
    response = page.request.get(live_server.url + "/api/v1/voice-groups", headers={"Authorization": f"Bearer {key}"})
    assert response.status == 200 and response.json()["data"]
    page.get_by_role("button", name="在庫連携 を無効にする").click()
    expect(page.get_by_text("無効（")).to_be_visible()
    revoked = page.request.get(live_server.url + "/api/v1/voice-groups", headers={"Authorization": f"Bearer {key}"})
    assert revoked.status == 401 and revoked.headers["content-type"] == "application/problem+json"
    # The reference: Swagger UI from the portal's own static files, the operations listed.
    page.goto(live_server.url + "/api/v1/docs")
    expect(page.get_by_text("IP Voice portal simulator API").first).to_be_visible()
    expect(page.get_by_text("/api/v1/orders/{request_id}", exact=True).first).to_be_visible()
    page.screenshot(path=str(__import__("tests.factories", fromlist=["x"]).screenshot_path("api_docs.png")),
                    full_page=False)
    assert not violations, violations


def test_a_presenter_shows_signed_events_in_the_built_in_inbox(demo_page: Page, live_server):
    """The inbox made an endpoint with one click; an order placed on screen's API twin arrives
    verified on the inbox page, which refreshes itself."""
    from portal.apikeys import api_key_create
    from portal.models import User
    from portal.webhooks import deliveries_send_due

    page = demo_page
    page.goto(live_server.url + "/webhooks/inbox/")
    expect(page.get_by_role("heading", name="Webhook 受信箱")).to_be_visible()
    page.get_by_role("button", name="受信箱をエンドポイントとして追加する").click()
    expect(page.get_by_text("この受信箱はエンドポイントとして登録済みです。")).to_be_visible()
    key = api_key_create(user=User.objects.get(username="demo"), name="presenter")[1]
    placed = page.request.post(live_server.url + "/api/v1/orders", headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": "presenter-1"}, data={
        "flow": "immediate", "rows": [{"base": "05012340008", "kind": "050", "quantity": 1}],
        "contact": {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"}})
    assert placed.status == 201
    deliveries_send_due()
    rows = page.locator("#inbox-rows")
    expect(rows.get_by_role("cell", name="order.accepted")).to_be_visible(timeout=10_000)  # htmx brought it
    expect(rows.get_by_text("OK（署名が一致）").first).to_be_visible()
    look(page, "webhook_inbox.png")
    page.goto(live_server.url + "/webhooks/")
    page.get_by_role("link", name="/webhooks/inbox/", exact=False).click()
    expect(page.get_by_role("heading", name="署名シークレット")).to_be_visible()
    expect(page.get_by_text("order.accepted").first).to_be_visible()
    look(page, "webhook_detail.png")
