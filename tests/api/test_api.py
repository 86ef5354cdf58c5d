"""The sandbox API as a program sees it: keys, reads, placing an immediate order, problem details
for every error, idempotency, and no view into another organisation."""

import datetime as dt
import json

import pytest
from django.test import override_settings

from numbering.models import DialInNumber
from numbering.services import reservation_code_issue
from orders.activation import order_activate
from orders.models import Order, OrderEvent
from portal import clock
from portal.apikeys import api_key_revoke
from portal.models import ApiKey, IdempotencyRecord
from tests import factories
from tests.apiclient import Api

CONTACT = {"name": "山田 太郎", "department": "総務部", "phone": "03-1111-2222", "email": "yamada@example.com"}
PROBLEM = "application/problem+json"


def immediate(quantity=2, **extra):
    return {"flow": "immediate", "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": quantity}],
            "contact": CONTACT, **extra}


# --- Keys ---------------------------------------------------------------------------------------------

def test_a_key_is_stored_as_a_digest_and_acts_for_its_user(api, alice, stocked):
    row = ApiKey.objects.get()
    assert api.key.startswith("ipv_") and len(api.key) > 40
    assert api.key not in (row.digest, row.prefix) and api.key.startswith(row.prefix)
    assert row.last_used_at is None
    response = api.get("/contracts")
    assert response.status_code == 200 and response.json()["data"][0]["number"] == "N100000001"
    row.refresh_from_db()
    assert row.last_used_at is not None
    placed = api.post("/orders", immediate())
    assert Order.objects.get(request_id=placed.json()["data"][0]["request_id"]).created_by == alice


def test_a_wrong_or_revoked_key_gets_401_problem_details_at_once(client, api, stocked):
    assert api.get("/contracts").status_code == 200
    api_key_revoke(key=ApiKey.objects.get())
    response = api.get("/contracts")
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] and "API キー" in body["detail"]
    assert Api(client, "ipv_" + "x" * 43).get("/contracts").status_code == 401
    assert client.get("/api/v1/contracts").status_code == 401  # no key at all


def test_an_inactive_user_s_key_authenticates_nothing(api, alice, stocked):
    alice.is_active = False
    alice.save()
    assert api.get("/contracts").status_code == 401


@override_settings(PORTAL_API_AUTH_FAILURES=5)
def test_repeated_failures_from_one_address_are_throttled(client, api, stocked):
    wrong = Api(client, "ipv_wrong")
    assert [wrong.get("/contracts").status_code for _ in range(5)] == [401] * 5
    response = wrong.get("/contracts")
    assert response.status_code == 429 and response["Content-Type"] == PROBLEM
    assert int(response["Retry-After"]) > 0
    assert wrong.get("/voice-groups").status_code == 429  # every guess from there, on any path
    assert api.get("/contracts").status_code == 200  # a valid key behind the same address is served


@override_settings(PORTAL_API_RATE_PER_MINUTE=3)
def test_a_key_over_its_rate_gets_429_with_retry_after(api, stocked):
    assert [api.get("/voice-groups").status_code for _ in range(3)] == [200] * 3
    response = api.get("/voice-groups")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60


def test_api_key_create_command_prints_a_working_key(client, alice, stocked):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api_key_create", "--username", "alice", "--name", "ci", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert Api(client, key).get("/contracts").status_code == 200
    assert ApiKey.objects.get().name == "ci"


# --- Reads ----------------------------------------------------------------------------------------------

def test_reads_show_the_organisation_s_numbering_as_the_screens_do(api, alice, stocked):
    factories.contract(alice.organisation, "N100000002", base_numbers=["0312345679", "05012345670"])
    groups = api.get("/voice-groups").json()
    assert groups == {"data": [{"group_id": "GORG-A", "name": "", "contract_count": 2}], "next_cursor": None}
    first = api.get("/contracts", {"limit": 1}).json()
    assert [c["number"] for c in first["data"]] == ["N100000001"] and first["next_cursor"]
    second = api.get("/contracts", {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [c["number"] for c in second["data"]] == ["N100000002"] and second["next_cursor"] is None
    detail = api.get("/contracts/N100000002").json()
    assert detail["plan"] == "standard" and detail["cloud"] is False and detail["base_number_count"] == 2
    bases = api.get("/contracts/N100000002/base-numbers", {"q": "050-1234"}).json()
    assert [b["number"] for b in bases["data"]] == ["05012345670"]
    order_activate(order_id=_place(api)[0].pk)
    numbers = api.get("/base-numbers/0312345678/dial-in-numbers").json()["data"]
    assert len(numbers) == 2 and all(n["status"] and n["source"] for n in numbers)


def test_a_cursor_this_api_did_not_make_is_a_400_on_the_cursor(api, stocked):
    response = api.get("/contracts", {"cursor": "not-a-cursor"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "cursor"
    response = api.get("/contracts", {"limit": 201})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "limit"


def _place(api, body=None) -> list[Order]:
    response = api.post("/orders", body or immediate())
    assert response.status_code == 201, response.json()
    return [Order.objects.get(request_id=o["request_id"]) for o in response.json()["data"]]


# --- Placing an immediate order ------------------------------------------------------------------------------

def test_an_immediate_order_is_placed_activated_and_its_numbers_listed(client, api, alice, stocked):
    code = reservation_code_issue(contract=stocked, numbers=["0312350150"],
                                  expires_at=clock.now() + dt.timedelta(days=3))
    response = api.post("/orders", immediate(reserved=[{"base": "0312345678", "number": "0312350150",
                                                        "code": code.code}]))
    assert response.status_code == 201
    order = response.json()["data"][0]
    assert response["Location"] == f"/api/v1/orders/{order['request_id']}"
    assert order["status"] == "accepted" and order["flow"] == "immediate" and order["contract"] == "N100000001"
    assert order["submitted_at"].endswith("+09:00")
    assert [(i["kind"], i["quantity"], i["reserved_number"]) for i in order["items"]] == [
        ("0AJ", 2, ""), ("0AJ", 1, "0312350150")]
    assert order["timeline"][0]["code"] == "accepted"
    placed = Order.objects.get(request_id=order["request_id"])
    assert placed.events.get().actor == OrderEvent.Actor.CUSTOMER and placed.mails.count() == 1
    order_activate(order_id=placed.pk)
    got = api.get(f"/orders/{placed.request_id}").json()
    assert got["status"] == "completed" and got["status_label"] == "工事了" and got["issued_count"] == 3
    numbers = api.get(f"/orders/{placed.request_id}/numbers", {"limit": 2}).json()
    assert len(numbers["data"]) == 2 and numbers["next_cursor"]
    rest = api.get(f"/orders/{placed.request_id}/numbers", {"cursor": numbers["next_cursor"]}).json()
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None
    issued = set(DialInNumber.objects.filter(source=placed.request_id).values_list("number", flat=True))
    assert {n["number"] for n in numbers["data"] + rest["data"]} == issued and "0312350150" in issued
    csv = api.get(f"/orders/{placed.request_id}/numbers", headers={"Accept": "text/csv"})
    assert csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0] == "request_id,number,kind,base,activated_on" and len(lines) == 4
    # The history screen shows it as it shows a screen order.
    client.force_login(alice)
    assert placed.request_id in client.get("/ipvoice/orders/history/").content.decode()
    listed = api.get("/orders", {"status": "completed"}).json()["data"]
    assert [o["request_id"] for o in listed] == [placed.request_id]
    assert api.get("/orders", {"status": "accepted"}).json()["data"] == []


def test_the_history_pages_by_cursor_newest_first(api, stocked):
    placed = [_place(api, immediate(quantity=1))[0].request_id for _ in range(5)]
    seen, cursor = [], None
    while True:
        page = api.get("/orders", {"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [o["request_id"] for o in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == placed[::-1]


def test_a_refused_order_places_nothing_and_says_every_problem_on_its_field(api, stocked):
    response = api.post("/orders", {"flow": "immediate", "contact": {"name": "", "phone": "12", "email": "x"},
                                    "rows": [{"base": "0312345678", "kind": "0AJ", "quantity": 0},
                                             {"base": "0312345678", "kind": "0120", "quantity": 1}]})
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert {("contact.name", "required"), ("contact.phone", "invalid"), ("contact.email", "invalid"),
            ("rows[0].quantity", "invalid"), ("rows[1].kind", "invalid")} <= fields
    assert not Order.objects.exists()


def test_messages_follow_accept_language(api, stocked):
    response = api.post("/orders", immediate(quantity=0), headers={"Accept-Language": "en"})
    body = response.json()
    assert body["title"] == "There are errors in the request" or body["title"].isascii()
    assert any(e["field"] == "rows[0].quantity" and e["message"].isascii() for e in body["errors"]), body


# --- Problem details for every error --------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b'{"flow": "immediate", "contact": {"name": "a\\u0000b"}}', "application/json", 400),
    (b"flow=immediate", "application/x-www-form-urlencoded", 415),
    (b'{"flow": "immediate", "contact": {}, "surprise": 1}', "application/json", 422),
    (b'{"flow": "immediate", "contact": {}, "rows": "many"}', "application/json", 422),
    (b'{"flow": "weekly", "contact": {}}', "application/json", 422),
    (b'{"flow": "immediate", "contact": {}, "rows": [{"base": 1, "kind": NaN, "quantity": 1}]}',
     "application/json", 400),
])
def test_bad_bodies_answer_4xx_problem_details(api, stocked, body, content_type, status):
    response = api.client.post("/api/v1/orders", body, content_type=content_type,
                               HTTP_AUTHORIZATION=f"Bearer {api.key}", HTTP_IDEMPOTENCY_KEY="k-" + str(hash(body)))
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM and response.json()["status"] == status
    assert not Order.objects.exists()


def test_an_unknown_field_is_named(api, stocked):
    response = api.post("/orders", {**immediate(), "surprise": 1})
    assert {"field": "surprise", "code": "unknown_field"}.items() <= response.json()["errors"][0].items()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_413(api, stocked):
    response = api.post("/orders", immediate(padding="x" * 2000))
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM


def test_unknown_paths_methods_and_nul_in_the_query_are_problem_details(api, stocked):
    for response, status in [(api.get("/nothing-here"), 404), (api.client.delete("/api/v1/orders",
                             HTTP_AUTHORIZATION=f"Bearer {api.key}"), 405),
                             (api.get("/contracts", {"q": "a\x00b"}), 400), (api.get("/orders/nope"), 404)]:
        assert response.status_code == status
        assert response["Content-Type"] == PROBLEM and response.json()["status"] == status


# --- Idempotency --------------------------------------------------------------------------------------------------

def test_the_same_key_and_body_replays_the_first_response(api, stocked):
    first = api.post("/orders", immediate(), key="order-1")
    again = api.post("/orders", immediate(), key="order-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_json_key_order_and_spacing_do_not_make_another_body(api, stocked):
    body = immediate()
    api.post("/orders", body, key="same")
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2, ensure_ascii=False)
    response = api.client.post("/api/v1/orders", reordered, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Bearer {api.key}", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201 and response["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_422_and_no_key_is_400(api, stocked):
    api.post("/orders", immediate(), key="order-1")
    other = api.post("/orders", immediate(quantity=3), key="order-1")
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key_reused"
    missing = api.post("/orders", immediate(), key=None)
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Order.objects.count() == 1


def test_a_refusal_is_replayed_too_and_keys_are_per_organisation(api, outsider_api, stocked, outsider_contract):
    refused = api.post("/orders", immediate(quantity=0), key="k")
    assert refused.status_code == 422
    assert api.post("/orders", immediate(quantity=0), key="k")["Idempotent-Replayed"] == "true"
    other = outsider_api.post("/orders", {"flow": "immediate", "contact": CONTACT,
                                          "rows": [{"base": "0612345678", "kind": "0AJ", "quantity": 1}]}, key="k")
    assert "Idempotent-Replayed" not in other and other.status_code in (201, 422)
    assert IdempotencyRecord.objects.filter(key="k").count() == 2


def test_a_key_still_running_is_409_and_one_abandoned_or_expired_is_forgotten(api, alice, stocked):
    from portal.api import idempotency_sweep, request_fingerprint  # noqa: F401

    now = dt.datetime.now(dt.UTC)
    IdempotencyRecord.objects.create(organisation=alice.organisation, key="busy", fingerprint="x", method="POST",
                                     path="/api/v1/orders", created_at=now, expires_at=now + dt.timedelta(days=1))
    response = api.post("/orders", immediate(), key="busy")
    assert response.status_code == 409 and response["Retry-After"]
    IdempotencyRecord.objects.filter(key="busy").update(created_at=now - dt.timedelta(minutes=10))
    assert api.post("/orders", immediate(), key="busy").status_code == 201  # the first died: taken over
    IdempotencyRecord.objects.update(expires_at=now - dt.timedelta(seconds=1))
    assert idempotency_sweep() == 1 and not IdempotencyRecord.objects.exists()


def test_eligibility_needs_no_key_and_says_the_flowchart_s_answer(api, stocked, operator):
    from orders.placement import order_sales_create

    response = api.post("/eligibility", {"contract": "N100000001", "kinds": ["0AJ"]}, key=None)
    assert response.status_code == 200 and response.json()["flow"] == "immediate"
    assert api.post("/eligibility", {"contract": "N100000001", "kinds": ["0AJ"], "porting": True},
                    key=None).json()["flow"] == "scheduled"
    order_sales_create(contract=stocked, scheduled_on=clock.today() + dt.timedelta(days=10), operator=operator)
    blocked = api.post("/eligibility", {"contract": "N100000001", "kinds": ["050"]}, key=None).json()
    assert blocked["rule"] == "B1" and blocked["blocked_by"]


# --- Organisations --------------------------------------------------------------------------------------------------

def test_another_organisation_s_key_gets_404_on_every_object_url(api, outsider_api, stocked):
    order = _place(api)[0]
    order_activate(order_id=order.pk)
    for path in [f"/contracts/{stocked.number}", f"/contracts/{stocked.number}/base-numbers",
                 "/base-numbers/0312345678/dial-in-numbers", f"/orders/{order.request_id}",
                 f"/orders/{order.request_id}/numbers"]:
        assert api.get(path).status_code == 200, path
        response = outsider_api.get(path)
        assert response.status_code == 404 and response["Content-Type"] == PROBLEM, path
    assert outsider_api.post(f"/orders/{order.request_id}/cancel").status_code == 404
    assert outsider_api.post(f"/test-helpers/orders/{order.request_id}/retry").status_code == 404
    assert outsider_api.post("/eligibility", {"contract": stocked.number}, key=None).status_code == 404
    assert outsider_api.get("/orders").json()["data"] == []
    assert outsider_api.get("/contracts").json()["data"] == []


def test_a_finished_order_is_served_kept_and_forgotten_when_it_changes(api, stocked, settings):
    from orders.api import orders_cache_bump

    order = _place(api)[0]
    order_activate(order_id=order.pk)
    first = api.get(f"/orders/{order.request_id}").json()
    assert first["status"] == "completed"
    Order.objects.filter(pk=order.pk).update(contact_name="変更後")  # a bulk change: not seen at once
    assert api.get(f"/orders/{order.request_id}").json() == first
    orders_cache_bump()  # what a bulk change (the demo clock going back) does
    assert api.get(f"/orders/{order.request_id}").json()["contact"]["name"] == "変更後"
    order.refresh_from_db()
    order.contact_name = "管理画面で変更"
    order.save()  # an operator's change in admin
    got = api.get(f"/orders/{order.request_id}")
    assert got.json()["contact"]["name"] == "管理画面で変更" and got["Content-Type"].startswith("application/json")
    english = api.get(f"/orders/{order.request_id}", headers={"Accept-Language": "en"}).json()
    assert english["status_label"] != got.json()["status_label"]  # kept per language


def test_the_schema_is_openapi_3_1_with_no_duplicate_keys(client):
    def no_duplicates(pairs):
        keys = [k for k, _v in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    schema = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=no_duplicates)
    assert schema["openapi"].startswith("3.1")
    create = schema["paths"]["/api/v1/orders"]["post"]
    assert {"201", "409", "422"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in create["parameters"])
    assert "Idempotency-Key" not in str(schema["paths"]["/api/v1/eligibility"]["post"].get("parameters", []))
