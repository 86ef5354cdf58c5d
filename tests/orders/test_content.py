"""Order content checks: every error on its box, row and field, in Japanese."""

import datetime as dt

import pytest

from numbering.models import BaseNumber, ReservationCode, StockNumber
from numbering.services import reservation_code_issue, stock_add_range
from orders.content import content_check
from orders.models import Status
from orders.placement import order_sales_create
from orders.state import BlueRow, RedRow
from portal import clock
from tests import factories


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350099")
    stock_add_range(first="05012350000", last="05012350099")
    return contract


def check(contract, red=(), blue=(), chosen=None):
    return content_check(organisation=contract.voice_group.organisation, voice_group=contract.voice_group,
                         red_rows=[RedRow(**r) for r in red], blue_rows=[BlueRow(**r) for r in blue], chosen=chosen)


def errors(result):
    return [(e.box, e.index, e.field) for e in result.errors]


def test_valid_rows_are_cleaned_and_full_width_input_is_normalised(stocked):
    result = check(stocked, red=[{"base": "０３－１２３４－５６７８", "kind": "050", "quantity": "１０"}])
    assert result.ok
    [line] = result.red
    assert (line.base.number, line.kind, line.quantity) == ("0312345678", "050", 10)


@pytest.mark.parametrize(("row", "field", "words"), [
    ({"base": "", "kind": "050", "quantity": "1"}, "base", "基本契約番号を選択"),
    ({"base": "0612345678", "kind": "050", "quantity": "1"}, "base", "お申し込みいただけません"),
    ({"base": "0312345678", "kind": "", "quantity": "1"}, "kind", "種類"),
    ({"base": "0312345678", "kind": "050", "quantity": "0"}, "quantity", "1～2000"),
    ({"base": "0312345678", "kind": "050", "quantity": "2001"}, "quantity", "1～2000"),
    ({"base": "0312345678", "kind": "050", "quantity": "abc"}, "quantity", "1～2000"),
    ({"base": "0312345678", "kind": "050", "quantity": "101"}, "quantity", "空き番号が不足"),
])
def test_a_bad_red_row_gets_its_message_on_its_field(stocked, outsider_contract, row, field, words):
    result = check(stocked, red=[{"base": "0312345678", "kind": "0AJ", "quantity": "1"}, row])
    assert errors(result) == [("red", 1, field)]
    assert words in result.errors[0].message


def test_duplicate_rows_are_refused(stocked):
    row = {"base": "0312345678", "kind": "050", "quantity": "1"}
    result = check(stocked, red=[row, dict(row)])
    assert errors(result) == [("red", 1, "base")]
    assert "No.1" in result.errors[0].message


def test_at_least_one_box_must_be_filled(stocked):
    result = check(stocked, red=[{"base": "", "kind": "", "quantity": ""}])
    assert result.non_field == ["①、②のどちらかのお申し込み内容を入力してください。"]


def test_only_chosen_base_numbers_may_be_used(alice, stocked):
    BaseNumber.objects.create(contract=stocked, number="0312340000", kind="0AJ")
    result = check(stocked, red=[{"base": "0312340000", "kind": "050", "quantity": "1"}], chosen=["0312345678"])
    assert errors(result) == [("red", 0, "base")]


def _code(contract, numbers, **kwargs):
    return reservation_code_issue(contract=contract, numbers=numbers,
                                  expires_at=kwargs.pop("expires_at", clock.now() + dt.timedelta(days=10)))


def test_reservation_code_rules(stocked, outsider_contract):
    good = _code(stocked, ["0312350050", "0312350051"])
    expired = _code(stocked, ["0312350060"], expires_at=clock.now() - dt.timedelta(days=1))
    used = _code(stocked, ["0312350070"])
    ReservationCode.objects.filter(pk=used.pk).update(status="used", used_at=clock.now(), used_by="2000")
    held = _code(stocked, ["0312350080"])
    ReservationCode.objects.filter(pk=held.pk).update(status="held", held_by="2001")
    base = "0312345678"
    result = check(stocked, blue=[
        {"base": base, "number": "0312350050", "code": good.code},           # 0 fine, but 051 missing
        {"base": base, "number": "0312350060", "code": expired.code},        # 1 expired
        {"base": base, "number": "0312350070", "code": used.code},           # 2 used
        {"base": base, "number": "0312350080", "code": held.code},           # 3 held elsewhere
        {"base": base, "number": "0312350099", "code": good.code},           # 4 not the code's number
        {"base": base, "number": "0312350090", "code": "RNOSUCHCODE"},       # 5 unknown code
        {"base": base, "number": "0120123456", "code": good.code},           # 6 not a 0AJ/050 number
        {"base": base, "number": "0312350050", "code": good.code},           # 7 duplicate number
    ])
    messages = {(e.index, e.field): e.message for e in result.errors}
    assert "未入力: 0312350051" in messages[(0, "code")]
    assert "有効期限" in messages[(1, "code")]
    assert "使用済み" in messages[(2, "code")]
    assert "他のお申し込みで使用中" in messages[(3, "code")]
    assert "予約された番号ではありません" in messages[(4, "number")]
    assert "使用できません" in messages[(5, "code")]
    assert (6, "number") in messages
    assert "No.1" in messages[(7, "number")]


def test_the_wizard_rechecks_eligibility_with_kinds_and_quantities(alice, stocked):
    cloud = factories.contract(alice.organisation, "N100000002", base_numbers=["0312349999"], plan="cloud",
                               group_id=stocked.voice_group.group_id)
    BaseNumber.objects.filter(number="0312345678").update(representative_size=995)
    result = check(stocked, red=[
        {"base": "0312345678", "kind": "050", "quantity": "6"},   # E8: 995 + 6 > 1,000
        {"base": "0312349999", "kind": "0AJ", "quantity": "1"},   # E4: cloud plan adding 0AJ
        {"base": "0312349999", "kind": "050", "quantity": "1"},   # fine on its own, but the N番 is E4
    ])
    messages = {(e.index, e.field): e.message for e in result.errors}
    assert messages[(0, "quantity")].startswith("[E8]")
    assert messages[(1, "kind")].startswith("[E4]")
    assert (2, "kind") not in messages
    assert cloud.plan == "cloud"


def test_b1_blocks_rows_of_a_contract_with_an_open_sales_order(stocked, operator):
    order_sales_create(contract=stocked, scheduled_on=clock.today() + dt.timedelta(days=7), operator=operator)
    result = check(stocked, red=[{"base": "0312345678", "kind": "050", "quantity": "1"}])
    [error] = result.errors
    assert error.field == "base" and error.message.startswith("[B1]") and "竣工予定日" in error.message
    assert stocked.orders.get().status == Status.ACCEPTED


def test_nothing_is_said_of_another_organisations_code(stocked, outsider_contract):
    stock_add_range(first="0612350000", last="0612350009")
    foreign = _code(outsider_contract, ["0612350001"], expires_at=clock.now() - dt.timedelta(days=1))
    result = check(stocked, blue=[{"base": "", "number": "0612350001", "code": foreign.code},
                                  {"base": "0312345678", "number": "0612350001", "code": foreign.code}])
    messages = " ".join(e.message for e in result.errors)
    assert "有効期限" not in messages and "予約された番号ではありません" not in messages
    assert "使用できません" in messages


@pytest.mark.parametrize("rows", [10, 10_000])
def test_the_check_costs_the_same_queries_for_ten_rows_and_ten_thousand(alice, rows, django_assert_max_num_queries):
    """A CSV order of 10,000 rows is checked set-based: one query for the base numbers, stock counted
    only up to what is needed, eligibility per N番 — never per row."""
    contract = factories.contract(alice.organisation, "N100000003", base_numbers=[])
    BaseNumber.objects.bulk_create(BaseNumber(contract=contract, number=f"0509{i:07d}", kind="050")
                                   for i in range(rows))
    stock_add_range(first="05012350000", last=f"050123{50000 + rows - 1}")
    red = [{"base": f"0509{i:07d}", "kind": "050", "quantity": "1"} for i in range(rows)]
    with django_assert_max_num_queries(12):
        result = check(contract, red=red)
    assert result.ok and len(result.red) == rows
    # One number short: the shortfall is exact, on the rows of that pool.
    StockNumber.objects.filter(number=f"050123{50000 + rows - 1}").delete()
    result = check(contract, red=red)
    assert f"空き {rows - 1:,}件、お申し込み {rows:,}件" in result.errors[0].message
