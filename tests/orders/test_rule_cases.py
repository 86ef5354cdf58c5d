"""Each rule's cases from one table, through every entry: the service check of the order
specification, the screen and a CSV file — for an immediate order's content (お申し込み内容: E1, E2,
E4, E6, E8, B1, quantities, kinds, stock, codes) and for a porting item (番号ポータビリティの内容). A
case names the rows entered and where the refusal must land (box, row, field, rule or words); every
entry must say the same thing in the same place: the API too (POST /orders), with the field as a path
of its body and the rule as the error's code."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from numbering.models import BaseNumber, VoiceContract
from numbering.services import reservation_code_issue, stock_add_range
from orders import csv_input, drafts
from orders.content import rule_of
from orders.models import Draft, Order
from orders.placement import order_sales_create
from orders.spec import ImmediateSpec, immediate_check
from orders.state import BlueRow, RedRow
from portal import clock
from portal.apikeys import api_key_create
from tests.apiclient import Api

BASE = "0312345678"
API_CONTACT = {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"}


def _members_net(contract, operator):
    VoiceContract.objects.filter(pk=contract.pk).update(members_net=True)


def _smart_pbx_without_0aj(contract, operator):
    BaseNumber.objects.filter(contract=contract).update(kind="050", number="05012345678")
    VoiceContract.objects.filter(pk=contract.pk).update(service_type="smart_pbx", oaj_used=False)


def _cloud(contract, operator):
    VoiceContract.objects.filter(pk=contract.pk).update(plan="cloud")


def _first_0aj(contract, operator):
    BaseNumber.objects.filter(contract=contract).update(kind="050", number="05012345678")
    VoiceContract.objects.filter(pk=contract.pk).update(oaj_used=False)


def _group_of_999(contract, operator):
    BaseNumber.objects.filter(contract=contract).update(representative_size=999)


def _sales_order_open(contract, operator):
    order_sales_create(contract=contract, scheduled_on=clock.today() + dt.timedelta(days=10), operator=operator)


def _expired_code(contract, operator):
    reservation_code_issue(contract=contract, numbers=["0312350090"], expires_at=clock.now() - dt.timedelta(days=1))


def _nothing(contract, operator):
    pass


# (id, setup, base number, red row (kind, quantity) or blue row (number, code), box, field, rule, words)
CASES = [
    ("E1-members-net", _members_net, BASE, ("050", "1"), "red", "base", "E1", "メンバーズネット"),
    ("E2-smart-pbx-first-0aj", _smart_pbx_without_0aj, "05012345678", ("0AJ", "1"), "red", "kind", "E2",
     "Smart PBX"),
    ("E4-cloud-0aj", _cloud, BASE, ("0AJ", "1"), "red", "kind", "E4", "クラウドプラン"),
    ("E6-first-0aj", _first_0aj, "05012345678", ("0AJ", "1"), "red", "kind", "E6", "0AJ番号を使うのは初めて"),
    ("E8-group-over-1000", _group_of_999, BASE, ("050", "2"), "red", "quantity", "E8", "1,000番号を越える"),
    ("B1-sales-order-open", _sales_order_open, BASE, ("050", "1"), "red", "base", "B1", "営業経由変更申込"),
    ("quantity-zero", _nothing, BASE, ("050", "0"), "red", "quantity", "", "追加番号数は1～"),
    ("kind-unknown", _nothing, BASE, ("0120", "1"), "red", "kind", "", "種類"),
    ("stock-short", _nothing, BASE, ("050", "500"), "red", "quantity", "", "空き番号が不足"),
    ("code-expired", _expired_code, BASE, ("0312350090", "EXPIRED"), "blue", "code", "", "有効期限"),
]


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350099")
    stock_add_range(first="05012350000", last="05012350099")
    return contract


def _rows(case, contract) -> tuple[list[RedRow], list[BlueRow]]:
    _id, _setup, base, values, box, *_rest = case
    if box == "red":
        return [RedRow(base=base, kind=values[0], quantity=values[1])], []
    code = contract.reservation_codes.order_by("-pk").values_list("code", flat=True).first() or values[1]
    return [], [BlueRow(base=base, number=values[0], code=code)]


def _draft(alice, contract, base: str, method: str) -> Draft:
    draft = drafts.draft_create(user=alice, voice_group=contract.voice_group)
    drafts.draft_save(draft=draft, agreed=True, method=method, step_done=2 if method == "csv" else 3,
                      base_numbers=[base] if method == "screen" else [])
    return draft


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_entry_refuses_the_same_way(client, alice, operator, stocked, case):
    _id, setup, base, _values, box, field, rule, words = case
    setup(stocked, operator)
    red, blue = _rows(case, stocked)
    client.force_login(alice)

    # The service: the specification's check, as the placement runs it.
    content = immediate_check(ImmediateSpec(organisation=alice.organisation, voice_group=stocked.voice_group,
                                            red=red, blue=blue))
    found = [(e.box, e.index, e.field, e.rule) for e in content.errors]
    assert (box, 0, field, rule) in found, found
    service_message = next(e.message for e in content.errors if (e.box, e.index, e.field) == (box, 0, field))
    assert words in service_message

    # The screen: お申し込み内容, the message on the row's field.
    draft = _draft(alice, stocked, base, "screen")
    rows = [{"base": r.base, "kind": r.kind, "quantity": r.quantity} for r in red] or [{}]
    posted = {"red-TOTAL_FORMS": str(len(rows)), "red-INITIAL_FORMS": "0",
              **{f"red-{i}-{k}": v for i, row in enumerate(rows) for k, v in row.items()},
              "blue-TOTAL_FORMS": "1", "blue-INITIAL_FORMS": "0", "action": "next"}
    for b in blue:
        posted.update({"blue-0-base": b.base, "blue-0-number": b.number, "blue-0-code": b.code})
    response = client.post(reverse("orders:wizard_step", args=[draft.pk, 4]), posted)
    assert response.status_code == 422
    shown = response.context[f"{box}_rows"][0]["errors"][field]
    assert shown == service_message

    # A CSV file: the same message on its line (2: after the header) and column.
    draft = _draft(alice, stocked, base, "csv")
    lines = [",".join(csv_input.COLUMNS)] + [f"{r.base},{r.kind},{r.quantity}," for r in red] + \
        [f"{b.base},{b.number},,{b.code}" for b in blue]
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()
    response = client.post(reverse("orders:wizard_step", args=[draft.pk, 3]),
                           {"file": SimpleUploadedFile("order.csv", data, "text/csv")})
    assert response.status_code == 422
    assert (2, csv_input.FIELD_LABELS[field], service_message) in response.context["errors"]
    assert not Draft.objects.get(pk=draft.pk).red_rows  # nothing kept from a file with errors

    # The API: the same message on the same row's field, the rule as its code; no order placed.
    api = Api(client, api_key_create(user=alice, name="rules")[1])
    response = api.post("/orders", {
        "flow": "immediate", "rows": [{"base": r.base, "kind": r.kind, "quantity": r.quantity} for r in red],
        "reserved": [{"base": b.base, "number": b.number, "code": b.code} for b in blue], "contact": API_CONTACT})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    where = {"red": "rows", "blue": "reserved"}[box]
    assert {"field": f"{where}[0].{field}", "code": rule or "invalid", "message": service_message} in \
        response.json()["errors"], response.json()
    assert not Order.objects.filter(channel="portal").exists()


# --- Porting (番号ポータビリティの内容): the screen's rows and the porting CSV file -------------------

GOOD_PORT = {"base": BASE, "number": "0312359999", "carrier1": "西日本電話", "carrier2": "", "line_type": "hikari",
             "holder": "same", "holder_name": "", "address": "same", "address_text": "", "contractor_address": "",
             "dsu": ""}

# (id, setup, changes to a good row, field, words)
PORT_CASES = [
    ("E2-smart-pbx-first-0aj", _smart_pbx_without_0aj, {"base": "05012345678"}, "number", "[E2]"),
    ("number-in-use", _nothing, {"number": BASE}, "number", "すでにご利用中"),
    ("number-other-area", _nothing, {"number": "0612340000"}, "number", "市外局番"),
    ("number-050", _nothing, {"number": "05012340000"}, "number", "0AJ番号です"),
    ("carrier-missing", _nothing, {"carrier1": ""}, "carrier1", "電話事業者名1を入力"),
    ("isdn-without-dsu", _nothing, {"line_type": "isdn"}, "dsu", "DSU"),
    ("other-holder-without-address", _nothing, {"holder": "other", "holder_name": "山田商店"},
     "contractor_address", "契約者住所"),
    ("other-address-without-text", _nothing, {"address": "other"}, "address_text", "設置場所住所を入力"),
]


def _porting_draft(alice, contract, row: dict, method: str) -> Draft:
    from orders.state import Editing, PortingItem

    draft = drafts.draft_create(user=alice, voice_group=contract.voice_group, flow="scheduled")
    item = PortingItem(method=method, bases=[row["base"]])
    drafts.draft_save(draft=draft, agreed=True, contract=contract, step_done=2,
                      editing=Editing(item=item, done=2 if method == "screen" else 1))
    return draft


@pytest.mark.parametrize("case", PORT_CASES, ids=[c[0] for c in PORT_CASES])
def test_every_porting_entry_refuses_the_same_way(client, alice, stocked, operator, case):
    from orders.scheduled_checks import porting_rows_check
    from orders.state import PortRow

    _id, setup, changes, field, words = case
    setup(stocked, operator)
    row = {**GOOD_PORT, **changes}
    client.force_login(alice)

    # The service: the porting rows' check.
    stocked.refresh_from_db()
    _clean, errors = porting_rows_check(contract=stocked, bases=[row["base"]], rows=[PortRow(**row)], remaining="無",
                                        remaining_rows=[])
    assert words in errors[0][field], errors
    message = errors[0][field]

    # The screen: 番号ポータビリティの内容, the message on the row's field.
    draft = _porting_draft(alice, stocked, row, "screen")
    posted = {"port-TOTAL_FORMS": "1", "port-INITIAL_FORMS": "0", **{f"port-0-{k}": v for k, v in row.items()},
              "rem-TOTAL_FORMS": "0", "rem-INITIAL_FORMS": "0", "remaining": "無", "action": "next"}
    response = client.post(reverse("orders:scheduled_item", args=[draft.pk, 3]), posted)
    assert response.status_code == 422
    assert response.context["rows"][0]["errors"][field] == message

    # The porting CSV file: the same message on its line and column.
    draft = _porting_draft(alice, stocked, row, "csv")
    line = ",".join(row[f] for f in PortRow.FIELDS)
    data = ("\ufeff" + ",".join(csv_input.PORT_COLUMNS) + "\r\n" + line + "\r\n").encode()
    response = client.post(reverse("orders:scheduled_item", args=[draft.pk, 2]),
                           {"file": SimpleUploadedFile("porting.csv", data, "text/csv"), "remaining": "無",
                            "rem-TOTAL_FORMS": "0", "rem-INITIAL_FORMS": "0"})
    assert response.status_code == 422
    assert (2, csv_input.PORT_FIELD_LABELS[field], message) in response.context["errors"]

    # The API: a scheduled order with that porting item, the message on the row's field.
    api = Api(client, api_key_create(user=alice, name="rules")[1])
    response = api.post("/orders", {
        "flow": "scheduled", "contract": stocked.number, "contact": API_CONTACT,
        "items": [{"type": "porting", "ports": [row], "remaining": "無"}],
        "construction": {"date": (clock.today() + dt.timedelta(days=40)).isoformat()}})
    assert response.status_code == 422
    found = {e.get("field"): e for e in response.json()["errors"]}
    assert message in found[f"items[0].ports[0].{field}"]["message"], found
    assert found[f"items[0].ports[0].{field}"]["code"] == (rule_of(message) or "invalid")
    assert not Order.objects.filter(channel="portal").exists()


def test_the_scheduled_check_says_each_problem_as_data(alice, stocked):
    """Item, row, field and rule of each problem (the confirm step shows the messages; the API will
    answer with the data)."""
    from orders.spec import ScheduledSpec, scheduled_check
    from orders.state import DialInItem, Options, PortingItem, PortRow

    both = Options(notification_on=True, specific_number_notification="0120123456", forwarding_on=True,
                   forwarding_specific_number="0311112222")
    dialin = DialInItem(method="screen", bases=[BASE], red=[RedRow(base=BASE, kind="050", quantity="1"),
                                                           RedRow(base=BASE, kind="0AJ", quantity="2")],
                        red_options=[Options(), both])
    porting = PortingItem(method="screen", bases=[BASE], remaining="無",
                          ports=[PortRow(**{**GOOD_PORT, "line_type": "isdn"})])
    found = scheduled_check(ScheduledSpec(organisation=alice.organisation, voice_group=stocked.voice_group,
                                          contract=stocked, items=[dialin, porting]))
    where = {(p.item, p.row, p.field, p.rule) for p in found.problems}
    assert (1, 1, "red.options.forwarding_specific_number", "O1") in where  # 特定番号通知 with 転送先特定番号
    assert (2, 0, "dsu", "") in where  # ISDN without DSU: an input error, no domain rule
    assert any(p.field == "date" and p.item is None for p in found.problems)  # no date yet
    o1 = next(p for p in found.problems if p.rule == "O1")
    assert str(o1).startswith("お申し込み内容1 No.2: ") and "同時にお申し込みいただけません" in str(o1)
