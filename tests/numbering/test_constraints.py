"""The database itself refuses what must never happen (numbers, codes, options)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from numbering.models import (
    BaseNumber,
    DialInNumber,
    ReservationCode,
    ReservedNumber,
    StockNumber,
    VoiceContract,
)


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


@pytest.fixture
def base(contract) -> BaseNumber:
    return contract.base_numbers.get()


def test_a_number_cannot_be_in_stock_twice(db):
    StockNumber.objects.create(number="0312340000", kind="0AJ", area_code="03")
    assert refused(lambda: StockNumber.objects.create(number="0312340000", kind="0AJ", area_code="03"))


def test_a_number_cannot_be_issued_twice(base):
    DialInNumber.objects.create(number="0312340001", kind="0AJ", base_number=base)
    assert refused(lambda: DialInNumber.objects.create(number="0312340001", kind="0AJ", base_number=base))


def test_an_issued_number_cannot_also_be_free(base):
    StockNumber.objects.create(number="0312340002", kind="0AJ", area_code="03")
    assert refused(lambda: DialInNumber.objects.create(number="0312340002", kind="0AJ", base_number=base))


def test_a_free_number_cannot_be_added_while_issued(base):
    DialInNumber.objects.create(number="0312340003", kind="0AJ", base_number=base)
    assert refused(lambda: StockNumber.objects.create(number="0312340003", kind="0AJ", area_code="03"))


def test_a_bulk_insert_with_one_clash_is_refused_whole(base):
    DialInNumber.objects.create(number="0312340005", kind="0AJ", base_number=base)
    rows = [StockNumber(number=f"031234000{i}", kind="0AJ", area_code="03") for i in range(4, 8)]
    assert refused(lambda: StockNumber.objects.bulk_create(rows))
    assert not StockNumber.objects.filter(number__startswith="03123400").exists()


def test_a_base_number_cannot_be_free_stock(base):
    assert refused(lambda: StockNumber.objects.create(number=base.number, kind="0AJ", area_code="03"))


def test_a_reserved_number_cannot_be_free(contract):
    code = ReservationCode.objects.create(
        code="RTEST00001", contract=contract, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    StockNumber.objects.create(number="0312340009", kind="0AJ", area_code="03")
    assert refused(lambda: ReservedNumber.objects.create(
        code=code, number="0312340009", kind="0AJ", area_code="03"))


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("031234567", "0AJ"),     # nine digits
        ("03123456789", "0AJ"),   # eleven digits
        ("0012345678", "0AJ"),    # 00 is no area code
        ("05001234567", "050"),   # 050 then zero
        ("0501234567", "050"),    # ten digits
        ("09012345678", "050"),   # mobile, not 050
        ("05012345678", "0AJ"),   # kind does not match the format
        ("03-12345678", "0AJ"),   # separators are never stored
    ],
)
def test_malformed_numbers_are_refused(db, number, kind):
    assert refused(lambda: StockNumber.objects.create(number=number, kind=kind, area_code="03"))


def test_a_used_reservation_code_cannot_be_used_again(contract):
    code = ReservationCode.objects.create(
        code="RTEST00002", contract=contract, expires_at=timezone.now() + dt.timedelta(days=1)
    )
    ReservationCode.objects.filter(pk=code.pk).update(
        status="used", used_at=timezone.now(), used_by="REQ-1"
    )
    assert refused(lambda: ReservationCode.objects.filter(pk=code.pk).update(used_by="REQ-2"))
    assert refused(lambda: ReservationCode.objects.filter(pk=code.pk).update(
        status="available", used_at=None, used_by=""))
    code.refresh_from_db()
    assert code.used_by == "REQ-1"


def test_a_code_cannot_be_marked_used_without_its_order(contract):
    assert refused(lambda: ReservationCode.objects.create(
        code="RTEST00003", contract=contract, expires_at=timezone.now(), status="used"))


def test_a_cloud_plan_needs_universal_one(alice):
    from tests import factories

    assert refused(lambda: factories.contract(
        alice.organisation, "N100000009", base_numbers=[], service_type="wireless", plan="cloud"))
    assert not VoiceContract.objects.filter(number="N100000009").exists()


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"specific_number_notification": "0120123456", "forwarding_specific_number": "0311112222"}, "O1"),
        ({"forwarding_specific_number": "0311112222", "message_box": True}, "O3"),
    ],
)
def test_option_rules_hold_in_the_database(base, fields, rule):
    assert refused(lambda: DialInNumber.objects.create(
        number="0312340010", kind="0AJ", base_number=base, **fields)), rule


def test_forwarding_is_refused_on_050_numbers(alice):
    from tests import factories

    c = factories.contract(alice.organisation, "N100000002", base_numbers=["05012345678"])
    base = c.base_numbers.get()
    assert refused(lambda: DialInNumber.objects.create(  # O2
        number="05012340010", kind="050", base_number=base, forwarding_specific_number="0311112222"))


def test_a_used_code_is_kept_and_takes_no_numbers(contract):
    code = ReservationCode.objects.create(code="RUSED00001", contract=contract,
                                          expires_at=timezone.now() + dt.timedelta(days=1))
    ReservationCode.objects.filter(pk=code.pk).update(status="used", used_at=timezone.now(), used_by="2000")
    assert refused(lambda: ReservationCode.objects.filter(pk=code.pk).delete())
    assert refused(lambda: ReservedNumber.objects.create(code=code, number="0312340099", kind="0AJ",
                                                         area_code="03"))
    assert ReservationCode.objects.filter(code="RUSED00001").exists()


def test_a_held_code_names_its_order(contract):
    code = ReservationCode.objects.create(code="RHELD00001", contract=contract,
                                          expires_at=timezone.now() + dt.timedelta(days=1))
    assert refused(lambda: ReservationCode.objects.filter(pk=code.pk).update(status="held", held_by=""))


def test_tenant_columns_agree_with_their_parents(contract, outsider_contract):
    from orders.models import Order, OrderItem, SentMail
    from portal import clock

    mine = contract.voice_group.organisation
    theirs = outsider_contract.voice_group.organisation
    assert refused(lambda: Order.objects.create(request_id="29999999991", organisation=theirs, contract=contract,
                                                flow="immediate", submitted_at=clock.now()))
    order = Order.objects.create(request_id="29999999992", organisation=mine, contract=contract, flow="immediate",
                                 submitted_at=clock.now())
    assert refused(lambda: OrderItem.objects.create(order=order, position=1, kind="0AJ", quantity=1,
                                                    base_number=outsider_contract.base_numbers.get()))
    assert refused(lambda: SentMail.objects.create(order=order, organisation=theirs, kind="accepted", to="a@b.jp",
                                                   subject="s", body_text="t", body_html="h",
                                                   created_at=clock.now()))
    assert refused(lambda: Order.objects.filter(pk=order.pk).update(organisation=theirs))


def test_a_dial_in_needs_its_base_number_and_keeps_it(base):
    """The reference the guard enforces (set-based, instead of a per-row foreign key)."""
    from django.db import connection

    def raw_insert():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO numbering_dialinnumber (number, kind, base_number_id, status, source, message_box, "
                "anonymous_call_rejection, nuisance_call_rejection, specific_number_notification, "
                "forwarding_specific_number) "
                "VALUES ('0312340077', '0AJ', %s, 'active', '', false, false, false, '', '')",
                [base.pk + 100_000])

    assert refused(raw_insert)
    DialInNumber.objects.create(number="0312340078", kind="0AJ", base_number=base)

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM numbering_basenumber WHERE id = %s", [base.pk])

    assert refused(raw_delete)
    assert BaseNumber.objects.filter(pk=base.pk).exists()
