"""The scheduled flow through the API: dial-in and porting items with options, NW changes, AML with
an uploaded form, a desired time; cancel; the same order placed on screen and by a program reads
the same on the order page."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from numbering.models import VoiceContract
from orders.lead_times import earliest_date
from orders.models import Attachment, Order, SentMail, Status
from portal import clock
from tests.orders import test_scheduled_wizard as wizard

CONTACT = {"name": "山田 太郎", "department": "総務部", "phone": "03-1111-2222", "email": "yamada@example.com"}
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PORT = {"base": "0312345678", "number": "0311110001", "carrier1": "東日本電話", "line_type": "isdn", "dsu": "要",
        "holder": "other", "holder_name": "アリス商事 旧社名", "contractor_address": "東京都港区1-1",
        "address": "same", "options": {"nuisance_call_rejection": True}}


def _upload(api, name="aml.pdf", data=PDF, key=""):
    return api.post("/attachments", key=key, data={"file": SimpleUploadedFile(name, data, "application/pdf")})


def test_a_program_places_a_scheduled_order_with_every_part_and_cancels_it(api, stocked):
    VoiceContract.objects.filter(pk=stocked.pk).update(plan="cloud")  # new 0AJ on a cloud plan: AML applies
    uploaded = _upload(api, key="upload-1")
    assert uploaded.status_code == 201 and uploaded.json()["size"] == len(PDF)
    assert _upload(api, key="upload-1")["Idempotent-Replayed"] == "true"  # same file, same key: no second upload
    assert Attachment.objects.count() == 1
    bad = _upload(api, name="aml.exe", data=b"MZ")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"
    day = earliest_date(items={"dialin", "porting", "aml", "nw_address"})
    body = {
        "flow": "scheduled", "contract": stocked.number, "contact": CONTACT,
        "items": [
            {"type": "dialin", "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": 2,
                                         "options": {"message_box": True}}]},
            {"type": "porting", "ports": [PORT], "remaining": "無"},
        ],
        "network_changes": [{"action": "add", "network": "198.51.100.0", "prefix": 28}],
        "aml": {"changed": "変更なし", "person": "山田太郎", "dept": "総務部", "recipient": "山田太郎",
                "attachment": uploaded.json()["id"]},
        "construction": {"date": day.isoformat(), "time": "10:00"},
    }
    response = api.post("/orders", body)
    assert response.status_code == 201, response.json()
    got = response.json()["data"][0]
    assert (got["flow"], got["status"], got["scheduled_on"], got["desired_time"]) == (
        "scheduled", "accepted", day.isoformat(), "10:00")
    assert [(i["kind"], i["quantity"], i["options"]["message_box"], i["ported_number"]) for i in got["items"]] == [
        ("0AJ", 2, True, ""), ("0AJ", 1, False, "0311110001")]
    assert got["items"][1]["options"]["nuisance_call_rejection"] and got["items"][1]["port"]["carrier1"] == "東日本電話"
    assert got["network_changes"] == [{"action": "add", "network": "198.51.100.0", "prefix": 28}]
    assert got["details"]["aml"]["person"] == "山田太郎" and got["can_cancel"] is True
    order = Order.objects.get()
    assert Attachment.objects.get().order == order  # the uploaded form went with the order
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.ACCEPTED).exists()
    # The attachment is the order's now: a second order cannot take it.
    again = api.post("/orders", {**body, "network_changes": [{"action": "add", "network": "203.0.113.0",
                                                              "prefix": 28}]})
    assert again.status_code == 422
    assert any(e["field"] == "aml.attachment" for e in again.json()["errors"]), again.json()
    # Cancel, as the screen allows (before the construction date).
    cancelled = api.post(f"/orders/{order.request_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert [e["code"] for e in cancelled.json()["timeline"]][-1] == "cancelled"
    late = api.post(f"/orders/{order.request_id}/cancel")
    assert late.status_code == 409 and late["Content-Type"] == "application/problem+json"
    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_scheduled_problems_land_on_their_fields(api, stocked):
    response = api.post("/orders", {
        "flow": "scheduled", "contract": stocked.number, "contact": CONTACT,
        "items": [{"type": "dialin", "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": 1, "options": {
            "specific_number_notification": "0120111111", "forwarding_specific_number": "0311112222"}}]},
                  {"type": "porting", "ports": [{**PORT, "dsu": ""}], "remaining": "無"}],
        "network_changes": [{"action": "add", "network": "10.0.0.1", "prefix": 8}],
        "construction": {"date": clock.today().isoformat(), "time": "25:00"}})
    assert response.status_code == 422
    found = {(e.get("field"), e["code"]) for e in response.json()["errors"]}
    assert ("items[0].rows[0].options.forwarding_specific_number", "O1") in found, found
    assert ("items[1].ports[0].dsu", "invalid") in found
    assert ("network_changes[0]", "invalid") in found
    assert ("construction.date", "invalid") in found and ("construction.time", "invalid") in found
    assert not Order.objects.exists()
    missing = api.post("/orders", {"flow": "scheduled", "contract": "N999999999", "contact": CONTACT, "items": [],
                                   "construction": {"date": "2030-01-01"}})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "contract"


def _detail(client, user, order) -> str:
    """The order page's main content, with what must differ (request ID, times) taken out."""
    client.force_login(user)
    page = client.get(reverse("orders:order_detail", args=[order.request_id])).content.decode()
    main = page[page.index('<main'):page.index('</main>')]
    main = main.replace(order.request_id, "<ID>")
    main = re.sub(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?", "<TIME>", main)
    return re.sub(r"csrfmiddlewaretoken\" value=\"[^\"]+\"", "", main)


@pytest.mark.parametrize("flow", ["scheduled", "immediate"])
def test_the_same_order_placed_on_screen_and_by_a_program_reads_the_same(client, api, alice, stocked, flow):
    from tests.orders import test_immediate_wizard as immediate_wizard

    if flow == "scheduled":
        draft = wizard.start(client, alice, stocked)
        wizard.add_item(client, draft, [("0312345678", "0AJ", "3"), ("0312345678", "050", "2")],
                        {"red-0-message_box": "1", "red-1-anonymous_call_rejection": "1"})
        client.post(wizard.s_url(draft, 3), {"action": "next"})
        day = earliest_date(items={"dialin", "nw_address"})
        from tests import factories

        client.post(wizard.s_url(draft, 4), {**factories.nw(("add", "192.0.2.0", "24")), "date": day.isoformat(),
                                             "action": "next"})
        client.post(wizard.s_url(draft, 5), wizard.CONTACT)
        client.post(wizard.s_url(draft, 6))
        body = {"flow": "scheduled", "contract": stocked.number, "contact": CONTACT,
                "items": [{"type": "dialin", "rows": [
            {"base": "0312345678", "kind": "0AJ", "quantity": 3, "options": {"message_box": True}},
            {"base": "0312345678", "kind": "050", "quantity": 2, "options": {"anonymous_call_rejection": True}}]}],
            "network_changes": [{"action": "delete", "network": "192.0.2.0", "prefix": 24}],
            "construction": {"date": day.isoformat()}}
    else:
        draft = immediate_wizard.start(client, alice, stocked)
        immediate_wizard.to_step(client, draft, 4)
        from tests import factories

        client.post(immediate_wizard.step_url(draft, 4), factories.content(red=[("0312345678", "050", "2")],
                                                                          action="next"))
        client.post(immediate_wizard.step_url(draft, 5), immediate_wizard.CONTACT)
        client.post(immediate_wizard.step_url(draft, 6))
        body = {"flow": "immediate", "contact": CONTACT, "rows": [{"base": "0312345678", "kind": "050", "quantity": 2}]}
    on_screen = Order.objects.get()
    response = api.post("/orders", body)
    if flow == "scheduled":  # the same NW address cannot be added twice: the program's order deletes it
        assert response.status_code == 422 and "登録されていない" in str(response.json())
        body["network_changes"] = [{"action": "add", "network": "192.0.2.0", "prefix": 24}]
        response = api.post("/orders", body)
    assert response.status_code == 201, response.json()
    by_program = Order.objects.exclude(pk=on_screen.pk).get()
    assert _detail(client, alice, by_program) == _detail(client, alice, on_screen)
    def mail(order) -> str:  # the acceptance mail, its request ID and time of day taken out
        return re.sub(r"\d{1,2}:\d{2}(:\d{2})?", "<TIME>", order.mails.get().body_text.replace(order.request_id, ""))

    assert mail(by_program) == mail(on_screen)
    # The operator's admin shows it as any other order.
    from tests import factories as builders

    client.force_login(builders.operator("op"))
    changelist = client.get("/admin/orders/order/").content.decode()
    assert by_program.request_id in changelist and on_screen.request_id in changelist
    assert client.get(f"/admin/orders/order/{by_program.pk}/change/").status_code == 200


@pytest.mark.parametrize(("kind", "options", "field", "code"), [
    ("0AJ", {"specific_number_notification": "0120111111", "forwarding_specific_number": "0311112222"},
     "forwarding_specific_number", "O1"),
    ("050", {"forwarding_specific_number": "0311112222"}, "forwarding_specific_number", "O2"),
    ("0AJ", {"message_box": True, "forwarding_specific_number": "0311112222"}, "forwarding_specific_number", "O3"),
    ("0AJ", {"specific_number_notification": "0311112222"}, "specific_number_notification", "invalid"),
])
def test_option_rules_refuse_through_the_api_as_on_screen(api, stocked, kind, options, field, code):
    day = earliest_date(items={"dialin", "special_option", "nw_address"})
    response = api.post("/orders", {
        "flow": "scheduled", "contract": stocked.number, "contact": CONTACT,
        "items": [{"type": "dialin", "rows": [{"base": "0312345678", "kind": kind, "quantity": 1,
                                               "options": options}]}],
        "network_changes": [{"action": "add", "network": "192.0.2.0", "prefix": 24}],
        "construction": {"date": day.isoformat()}})
    assert response.status_code == 422
    assert (f"items[0].rows[0].options.{field}", code) in {(e.get("field"), e["code"])
                                                           for e in response.json()["errors"]}, response.json()


def test_aml_answers_and_form_are_required_where_they_apply(api, stocked):
    VoiceContract.objects.filter(pk=stocked.pk).update(plan="cloud")
    day = earliest_date(items={"dialin", "aml", "nw_address"})
    response = api.post("/orders", {
        "flow": "scheduled", "contract": stocked.number, "contact": CONTACT,
        "items": [{"type": "dialin", "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": 1}]}],
        "network_changes": [{"action": "add", "network": "192.0.2.0", "prefix": 24}],
        "aml": {"changed": "変更なし", "person": "", "attachment": "00000000-0000-0000-0000-000000000000"},
        "construction": {"date": day.isoformat()}})
    fields = {e.get("field") for e in response.json()["errors"]}
    assert {"aml.person", "aml.dept", "aml.recipient", "aml.attachment"} <= fields, fields


def test_a_program_tests_reserved_numbers_end_to_end_with_a_demo_code(api, stocked, settings):
    from orders.activation import order_activate

    settings.PORTAL_DEMO_MODE = True
    made = api.post("/test-helpers/reservation-codes", {"contract": stocked.number, "kind": "050", "count": 2})
    assert made.status_code == 201, made.json()
    code = made.json()
    assert len(code["numbers"]) == 2 and all(n.startswith("050") for n in code["numbers"])
    response = api.post("/orders", {"flow": "immediate", "contact": CONTACT, "reserved": [
        {"base": "0312345678", "number": n, "code": code["code"]} for n in code["numbers"]]})
    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    order_activate(order_id=order.pk)
    assert {n["number"] for n in api.get(f"/orders/{order.request_id}/numbers").json()["data"]} == \
        set(code["numbers"])
    # B2: an immediate order completes at activation, so the next one is not blocked.
    again = api.post("/orders", {"flow": "immediate", "contact": CONTACT,
                                 "rows": [{"base": "0312345678", "kind": "050", "quantity": 1}]})
    assert again.status_code == 201
    settings.PORTAL_DEMO_MODE = False
    refused = api.post("/test-helpers/reservation-codes", {"contract": stocked.number})
    assert refused.status_code == 403 and refused["Content-Type"] == "application/problem+json"
