from django.core.management import call_command

from numbering.models import (
    BaseNumber,
    DialInNumber,
    ReservationCode,
    ReservedNumber,
    StockNumber,
    VoiceContract,
)
from orders import demo
from orders.models import Order
from portal.models import User


def snapshot() -> dict:
    return {
        "users": sorted(User.objects.values_list("username", "organisation__code")),
        "contracts": sorted(VoiceContract.objects.values_list(
            "number", "service_type", "plan", "members_net", "oaj_used", "operator_note")),
        "bases": sorted(BaseNumber.objects.values_list("number", "representative_size")),
        "dial_ins": sorted(DialInNumber.objects.values_list("number", "base_number__number")),
        "codes": sorted(ReservationCode.objects.values_list("code", "status", "expires_at")),
        "reserved": sorted(ReservedNumber.objects.values_list("number", "code__code")),
        "stock": StockNumber.objects.count(),
        "orders": sorted(Order.objects.values_list("request_id", "contract__number", "status", "scheduled_on")),
    }


def test_load_demo_twice_gives_the_same_data(transactional_db, capsys):
    call_command("load_demo")
    first = snapshot()
    out = capsys.readouterr().out
    call_command("load_demo")
    assert snapshot() == first
    assert first["stock"] >= 100_000
    assert "demo-2026" in out and "N140000001" in out


def test_the_demo_shows_every_rule_of_the_flowchart(db):
    demo.demo_load()
    rules = {c.rule for o in demo.ORGANISATIONS for c in o.contracts}
    assert {"E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"} <= rules
    for spec in (c for o in demo.ORGANISATIONS for c in o.contracts):
        contract = VoiceContract.objects.get(number=spec.number)
        assert contract.operator_note.startswith(spec.rule)
    assert VoiceContract.objects.get(number="N140000001").members_net
    assert VoiceContract.objects.get(number="N140000004").is_cloud
    assert BaseNumber.objects.get(number="0312340007").representative_size == 999
    assert set(StockNumber.objects.values_list("area_code", flat=True).distinct()) == {
        "03", "06", "050"}


def test_demo_reservation_codes_are_valid_expired_and_used(db):
    demo.demo_load()
    from portal import clock

    now = clock.now()
    valid = ReservationCode.objects.get(code="RDEMOVALID1")
    assert valid.status == "available" and valid.expires_at > now and valid.numbers.count() == 3
    assert ReservationCode.objects.get(code="RDEMOEXPIRED").expires_at < now
    used = ReservationCode.objects.get(code="RDEMOUSED01")
    assert used.status == "used" and not used.numbers.exists()
    assert DialInNumber.objects.filter(source="RDEMOUSED01").count() == 2


def test_reset_starts_afresh(db):
    demo.demo_load()
    DialInNumber.objects.filter(number="05011112222").delete()
    call_command("load_demo", "--reset")
    assert DialInNumber.objects.filter(number="05011112222").exists()
    assert User.objects.filter(username="operator", is_staff=True).exists()
