"""The trainer's demo in front of people, with no shell: the trainer switches the network in admin
(the next activation fails for good), the customer orders by CSV and sees エラー with its reason
live, the operator reads the reason and what to do, retries, and the customer's page shows 工事了
without a reload. Each screen looked at."""

import pytest
from playwright.sync_api import Browser, Page, expect

from orders.models import NetworkScenario, Order, Status
from portal.models import Organisation
from tests.browser.axe import look
from tests.browser.test_immediate_wizard import _start_by_csv

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_a_trainer_shows_a_failed_activation_and_the_operator_s_way_out(
        demo_page: Page, browser: Browser, live_server, celery_session_app, celery_session_worker):
    root = live_server.url
    trainer = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo").new_page()
    trainer.goto(root + "/admin/login/")
    trainer.get_by_label("ユーザー名").fill("operator")
    trainer.get_by_label("パスワード").fill("operator-2026")
    trainer.get_by_role("button", name="ログイン").click()
    trainer.goto(root + "/admin/orders/networkscenario/add/")
    demo_org = Organisation.objects.get(code="DEMO001")
    trainer.get_by_label("お客様").select_option(value=str(demo_org.pk))
    trainer.get_by_label("シナリオ").select_option("activation_permanent")
    look(trainer, "trainer-scenario-add.png")
    trainer.get_by_role("button", name="保存", exact=True).click()
    expect(trainer.locator(".messagelist")).to_contain_text("追加しました")
    look(trainer, "trainer-scenarios.png")

    # The customer orders two 050 numbers by CSV, as any day.
    page = demo_page
    _start_by_csv(page)
    csv = "基本契約番号,追加する電話番号,追加番号数,番号予約コード\r\n0312340008,050,2,\r\n"
    page.get_by_label("CSVファイル").set_input_files(
        files=[{"name": "order.csv", "mimeType": "text/csv", "buffer": csv.encode("cp932")}])
    page.get_by_role("button", name="アップロードして次へ").click()
    page.get_by_label("電話番号").fill("03-5555-0101")
    page.get_by_role("button", name="次へ").click()
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", name="お申し込みを受け付けました")).to_be_visible()
    status = page.locator(".progress-cell").first
    expect(status).to_contain_text("エラー", timeout=20_000)  # live: the page asked by itself
    expect(status).to_contain_text("ネットワークの障害のため開通できませんでした")
    look(page, "trainer-customer-accepted-error.png")
    order = Order.objects.filter(organisation__code="DEMO001").order_by("-submitted_at").first()
    assert order.status == Status.ERROR and NetworkScenario.objects.get().used_by_id == order.pk
    page.goto(root + f"/ipvoice/orders/history/{order.request_id}/")
    expect(page.get_by_role("alert")).to_contain_text("恒久的な障害")
    expect(page.locator(".timeline")).to_contain_text("トレーナーのシナリオ: 開通処理の恒久的な障害")
    look(page, "trainer-customer-order-error.png")

    # The operator reads why and what to do, then retries.
    trainer.goto(root + f"/admin/orders/order/{order.pk}/change/")
    expect(trainer.locator("body")).to_contain_text("ネットワークの復旧を確認してから")
    look(trainer, "trainer-operator-order.png")
    trainer.goto(root + "/admin/orders/order/?status__exact=error")
    trainer.locator(f"input[name=_selected_action][value='{order.pk}']").check()
    trainer.locator("select[name=action]").select_option("retry")
    trainer.get_by_role("button", name="実行").click()
    expect(trainer.locator(".messagelist")).to_contain_text("1件のお申し込みを処理しました")
    look(trainer, "trainer-operator-retried.png")

    # The customer's page, untouched, follows: 工事了 with its numbers.
    expect(page.locator("#order-summary")).to_contain_text("工事了", timeout=20_000)
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("#order-progress")).to_contain_text("2件の番号が払い出されました")
    look(page, "trainer-customer-order-activated.png")
