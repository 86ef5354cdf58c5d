import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from numbering import phone, services
from numbering.models import DialInNumber, ReservationCode, ReservedNumber, StockNumber


def test_it_adds_ten_thousand_numbers_in_one_call(db):
    added = services.stock_add_range(first="0312340000", last="0312349999")
    assert added == 10_000
    assert StockNumber.objects.filter(kind="0AJ", area_code="03").count() == 10_000
    assert StockNumber.objects.order_by("number").first().number == "0312340000"
    assert StockNumber.objects.order_by("number").last().number == "0312349999"


def test_050_ranges_get_the_050_area(db):
    services.stock_add_range(first="05012340000", last="05012340099")
    assert set(StockNumber.objects.values_list("kind", "area_code").distinct()) == {("050", "050")}


def test_full_width_input_is_normalised(db):
    assert services.stock_add_range(first="０６－１２３４－００００", last="0612340009") == 10
    assert StockNumber.objects.filter(number="0612340000", area_code="06").exists()


def test_an_overlapping_range_is_refused_with_the_clashing_numbers(contract):
    services.stock_add_range(first="0312340000", last="0312340009")
    with pytest.raises(ValidationError) as exc:
        services.stock_add_range(first="0312340005", last="0312340019")
    assert "5件" in str(exc.value) and "0312340005" in str(exc.value)
    assert StockNumber.objects.count() == 10


def test_the_demo_loader_can_skip_known_numbers(contract):
    services.stock_add_range(first="0312340000", last="0312340009")
    assert services.stock_add_range(first="0312340000", last="0312340019", skip_existing=True) == 10


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("0312340000", "05012340000", "番号種別が異なります"),
        ("0312340010", "0312340000", "先頭番号以降"),
        ("0120000000", "0120000009", "利用できない番号"),
        ("0312", "0312340000", "形式が正しくありません"),
        ("0312000000", "0312999999", "100,000件まで"),
    ],
)
def test_bad_ranges_get_a_japanese_message(db, first, last, message):
    with pytest.raises(ValidationError) as exc:
        services.stock_add_range(first=first, last=last)
    assert message in str(exc.value)
    assert StockNumber.objects.count() == 0


def test_a_range_across_area_codes_is_refused(db):
    with pytest.raises(ValidationError, match="市外局番が異なります"):
        services.stock_add_range(first="0459999990", last="0460000009")


def test_reservation_moves_free_numbers_out_of_stock(contract):
    services.stock_add_range(first="0312340000", last="0312340009")
    code = services.reservation_code_issue(
        contract=contract, numbers=["0312340001", "0312340002"],
        expires_at=timezone.now() + dt.timedelta(days=30),
    )
    assert code.status == ReservationCode.Status.AVAILABLE
    assert sorted(code.numbers.values_list("number", flat=True)) == ["0312340001", "0312340002"]
    assert StockNumber.objects.count() == 8


def test_reservation_of_a_number_in_use_is_refused(contract):
    base = contract.base_numbers.get()
    DialInNumber.objects.create(number="0312340003", kind="0AJ", base_number=base)
    with pytest.raises(ValidationError, match="空き番号ではありません: 0312340003"):
        services.reservation_code_issue(
            contract=contract, numbers=["0312340003"], expires_at=timezone.now()
        )
    assert not ReservedNumber.objects.exists()


def test_reservation_outside_the_contract_area_is_refused(contract):
    services.stock_add_range(first="0612340000", last="0612340000")
    with pytest.raises(ValidationError, match="市外局番"):
        services.reservation_code_issue(
            contract=contract, numbers=["0612340000"], expires_at=timezone.now()
        )


def test_number_list_accepts_ranges_and_full_width(db):
    assert services.parse_number_list("０３１２３４００００\n0312340001~0312340003") == [
        "0312340000", "0312340001", "0312340002", "0312340003"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("03-1234-5678", "0312345678"), ("０５０－１１１１－２２２２", "05011112222")],
)
def test_phone_validation_normalises(raw, expected):
    assert phone.validate(raw) == expected


@pytest.mark.parametrize("raw", ["0120123456", "09012345678", "0570123456"])
def test_phone_validation_checks_the_number_type(raw):
    with pytest.raises(ValidationError):
        phone.validate(raw)
