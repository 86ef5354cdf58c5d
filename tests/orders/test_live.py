"""Orders that move on screen (the accepted page, the history, the order page and the dashboard ask
for their progress until the order is final), timelines and e-mails in the reader's language, and
rule codes shown only in trainer mode."""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from numbering.services import stock_add_range
from orders.activation import order_activate
from orders.models import EventNote, Order, OrderEvent, SentMail, Status
from orders.status import order_cancel
from tests import factories
from tests.orders.test_immediate_wizard import CONTACT, start, step_url, to_step

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")


@pytest.fixture
def stocked(contract):
    stock_add_range(first="05012350000", last="05012350199")
    return contract


def place(client, user, contract, *, language="ja", quantity="3") -> Order:
    """Walk the immediate wizard in `language` and submit; the order, not yet activated."""
    draft = start(client, user, contract)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    to_step(client, draft, 4)
    client.post(step_url(draft, 4), factories.content(red=[("0312345678", "050", quantity)], action="next"))
    client.post(step_url(draft, 5), CONTACT)
    client.post(step_url(draft, 6), HTTP_HOST="localhost:8123")
    return Order.objects.get(draft_id=draft.pk)


def progress(client, order, shape):
    return client.get(reverse("orders:order_progress", args=[order.request_id]), {"as": shape},
                      HTTP_HX_REQUEST="true").content.decode()


def test_the_accepted_page_polls_until_the_order_is_activated(client, alice, stocked):
    order = place(client, alice, stocked)
    page = client.get(reverse("orders:wizard_accepted", args=[order.draft_id])).content.decode()
    cell = progress(client, order, "cell")
    assert 'hx-trigger="every 2s"' in page and "受付済" in cell and 'hx-trigger="every 2s"' in cell
    assert "払い出し番号 詳細" not in cell
    order_activate(order_id=order.pk)
    cell = progress(client, order, "cell")
    assert "工事了" in cell and "払い出し番号 詳細" in cell
    assert "hx-trigger" not in cell  # final: the polling stops


def test_history_rows_and_the_order_page_refresh_themselves_while_the_order_moves(client, alice, stocked):
    order = place(client, alice, stocked)
    history = client.get(reverse("orders:history")).content.decode()
    assert f'hx-get="/ipvoice/orders/history/{order.request_id}/progress/?as=row"' in history
    row = progress(client, order, "row")
    assert row.startswith("<tr") and "hx-trigger" in row and order.request_id in row
    detail = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    assert 'id="order-summary" hx-get=' in detail and 'id="order-progress"' in detail
    order_activate(order_id=order.pk)
    row = progress(client, order, "row")
    assert "hx-trigger" not in row and "工事了" in row and "払い出し番号 詳細" in row
    live = progress(client, order, "detail")
    assert 'id="order-summary"' in live and "hx-trigger" not in live
    assert 'id="order-progress" aria-live="polite" hx-swap-oob="true"' in live
    assert "3件の番号が払い出されました" in live and "3件の番号を払い出し、開通しました" in live


def test_progress_belongs_to_its_organisation_only(client, alice, charlie, stocked):
    order = place(client, alice, stocked)
    client.force_login(charlie)
    for shape in ("row", "cell", "detail"):
        response = client.get(reverse("orders:order_progress", args=[order.request_id]), {"as": shape})
        assert response.status_code == 404


def test_polling_after_sign_out_sends_the_page_to_sign_in(client, alice, stocked):
    order = place(client, alice, stocked)
    client.logout()
    response = client.get(reverse("orders:order_progress", args=[order.request_id]), {"as": "row"},
                          HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/ipvoice/orders/history/")
    assert response["HX-Redirect"] == "/login/?next=/ipvoice/orders/history/"
    assert "<form" not in response.content.decode()


def test_the_dashboard_lists_recent_orders_and_what_the_network_did(client, alice, charlie, stocked):
    order = place(client, alice, stocked)
    order_activate(order_id=order.pk)
    SentMail.objects.filter(order=order).update(delivered_at=order.submitted_at)
    other = factories.contract(charlie.organisation, "N300000001", base_numbers=["0612345678"])
    Order.objects.create(request_id="29999999999", organisation=charlie.organisation, contract=other,
                         flow="immediate", submitted_at=order.submitted_at)
    client.force_login(alice)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "最近のお申し込み" in page and f'href="/ipvoice/orders/history/{order.request_id}/"' in page
    assert "29999999999" not in page  # another organisation's order
    activity = client.get(reverse("portal:dashboard"), {"part": "activity"}, HTTP_HX_REQUEST="true")
    html = activity.content.decode()
    assert html.lstrip().startswith('<section id="activity"') and 'hx-trigger="every 5s"' in html
    assert "3件の番号を払い出し、開通しました" in html and "申し込み完了通知メール" in html


def test_the_timeline_is_stored_as_codes_and_read_in_either_language(client, alice, stocked):
    order = place(client, alice, stocked)
    order_activate(order_id=order.pk)
    assert not OrderEvent.objects.exclude(note="").exists()  # no sentence stored
    assert list(order.events.values_list("note_code", flat=True)) == [
        EventNote.ACCEPTED, EventNote.CONSTRUCTION_STARTED, EventNote.ISSUED, EventNote.COMPLETED_AT_ACTIVATION]
    url = reverse("orders:order_detail", args=[order.request_id])
    client.post(reverse("set_language"), {"language": "ja", "next": "/"})
    assert "3件の番号を払い出し、開通しました" in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    timeline = client.get(url).content.decode().split('class="timeline"')[1].split("</ol>")[0]
    assert "Activated, numbers issued: 3" in timeline and "Completed at activation" in timeline
    assert not JAPANESE.search(timeline), timeline


def test_mails_are_written_in_the_language_the_customer_ordered_in(client, alice, stocked, settings):
    settings.PORTAL_BASE_URL = ""
    order = place(client, alice, stocked, language="en")
    order_activate(order_id=order.pk)
    assert order.language == "en"
    for mail in SentMail.objects.filter(order=order):
        text = mail.body_text.replace(CONTACT["contact_name"], "")
        assert mail.subject.startswith("[Business Portal (Simulator)] ")
        assert not JAPANESE.search(text), text
        assert not JAPANESE.search(mail.body_html.replace(CONTACT["contact_name"], "")), mail.body_html
        # Links point at the site the order was placed on (PORTAL_BASE_URL unset).
        assert "http://localhost:8123/ipvoice/orders/history/" in mail.body_text
    completed = SentMail.objects.get(order=order, kind=SentMail.Kind.COMPLETED)
    assert "Dear 山田 太郎," in completed.body_text and "3 numbers" in completed.body_text


def test_japanese_orders_keep_japanese_mails_and_the_configured_base_url(client, alice, stocked, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    order = place(client, alice, stocked)
    mail = SentMail.objects.get(order=order)
    assert mail.subject.startswith("【ビジネスポータル（シミュレーター）】申し込み完了通知メール")
    assert "山田 太郎 様" in mail.body_text and "申し込み日時：" in mail.body_text
    assert "https://portal.example.com/ipvoice/orders/history/" in mail.body_text


def test_rule_codes_are_shown_to_customers_only_in_trainer_mode(client, alice, stocked, settings):
    order = place(client, alice, stocked)
    order_activate(order_id=order.pk)
    url = reverse("orders:order_detail", args=[order.request_id])
    client.post(reverse("set_language"), {"language": "ja", "next": "/"})
    settings.PORTAL_TRAINER_MODE = True
    assert 'badge--rule' in client.get(url).content.decode()
    settings.PORTAL_TRAINER_MODE = False
    page = client.get(url).content.decode()
    assert "badge--rule" not in page and ">B2<" not in page  # (a random token may hold "B2")


def test_a_cancelled_order_reads_cancelled_in_both_languages(client, alice, stocked):
    order = place(client, alice, stocked)
    order_cancel(order=order, actor=OrderEvent.Actor.OPERATOR, code=EventNote.CANCELLED_BY_OPERATOR)
    assert progress(client, order, "cell").count("hx-trigger") == 0
    assert Order.objects.get(pk=order.pk).status == Status.CANCELLED
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    assert "Cancelled by an operator" in page


def test_sentences_stored_by_earlier_versions_become_codes(alice, contract):
    migration = importlib.import_module("orders.migrations.0014_event_note_codes_order_language")
    order = Order.objects.create(request_id="20000000001", organisation=alice.organisation, contract=contract,
                                 flow="immediate", submitted_at="2026-12-01T10:00:00+09:00")
    sentences = ["お申し込みを受け付けました", "1,234件の番号を払い出し、開通しました",
                 "開通と同時に竣工しました（B2）",
                 "O4: フリーダイヤル・ナビダイヤル紐付が未完了のため特定番号通知をキャンセルしました"
                 "（0120111111、0120222222）", "お客様の言葉"]
    for note in sentences:
        OrderEvent.objects.create(order=order, at=order.submitted_at, to_status="accepted", actor="system", note=note)
    migration.notes_to_codes(apps, None)
    events = list(order.events.order_by("id"))
    assert [(e.note_code, e.note_params, e.note) for e in events] == [
        ("accepted", {}, ""), ("issued", {"count": 1234}, ""), ("completed_at_activation", {}, ""),
        ("option_dropped", {"numbers": ["0120111111", "0120222222"]}, ""), ("", {}, "お客様の言葉")]
    with translation.override("ja"):
        assert events[1].text == "1,234件の番号を払い出し、開通しました"
    with translation.override("en"):
        assert events[3].text == ("Specific number notification cancelled because the Free Dial / Navi Dial link was "
                                  "not complete (0120111111, 0120222222)")


def test_sent_mail_shows_its_html_part_sandboxed_with_working_links(client, alice, charlie, stocked, settings):
    settings.PORTAL_BASE_URL = ""
    order = place(client, alice, stocked)
    mail = SentMail.objects.get(order=order)
    page = client.get(reverse("orders:mail_detail", args=[mail.pk])).content.decode()
    html_url = reverse("orders:mail_html", args=[mail.pk])
    assert f'src="{html_url}"' in page and 'sandbox="allow-popups' in page
    response = client.get(html_url)
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy and "sandbox " in policy
    assert "frame-ancestors 'self'" in policy and response["X-Frame-Options"] == "SAMEORIGIN"
    body = response.content.decode()
    assert '<base target="_top">' in body and 'href="http://localhost:8123/ipvoice/orders/history/"' in body
    client.force_login(charlie)
    assert client.get(html_url).status_code == 404
