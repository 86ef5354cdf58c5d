"""The flowchart (E1–E8) in the domain's order, and the blocking rule B1/B2."""

import datetime as dt

import pytest

from numbering.models import DialInNumber
from orders.eligibility import Wish, eligibility_check
from orders.models import Channel, Flow, Order, Status
from orders.status import request_id_new
from portal import clock
from tests import factories

OAJ = frozenset({"0AJ"})
IP050 = frozenset({"050"})
BOTH = frozenset({"0AJ", "050"})

# (contract fields, base numbers, wish, expected flow, expected rule)
CASES = {
    "E1 members net": ({"members_net": True}, ["0312345678"], Wish(kinds=IP050), Flow.SCHEDULED, "E1"),
    "E1 beats E2": ({"members_net": True, "service_type": "smart_pbx"}, ["05012345678"],
                    Wish(kinds=OAJ), Flow.SCHEDULED, "E1"),
    "E2 smart pbx first 0AJ": ({"service_type": "smart_pbx"}, ["05012345678"], Wish(kinds=OAJ),
                               Flow.SALES, "E2"),
    "E2 beats E3 and E5": ({"service_type": "smart_pbx"}, ["05012345678"],
                           Wish(kinds=BOTH, porting=True, special_options=True), Flow.SALES, "E2"),
    "E2 not when 050 only": ({"service_type": "smart_pbx"}, ["05012345678"], Wish(kinds=IP050),
                             Flow.IMMEDIATE, "E7"),
    "E2 not when 0AJ used before": ({"service_type": "smart_pbx", "oaj_used": True}, ["05012345678"],
                                    Wish(kinds=OAJ), Flow.SCHEDULED, "E4"),
    "E3 porting": ({"oaj_used": True}, ["0312345678"], Wish(kinds=OAJ, porting=True), Flow.SCHEDULED, "E3"),
    "E4 cloud plan 0AJ": ({"plan": "cloud"}, ["0312345678"], Wish(kinds=OAJ), Flow.SCHEDULED, "E4"),
    "E4 wireless 0AJ": ({"service_type": "wireless"}, ["0312345678"], Wish(kinds=OAJ), Flow.SCHEDULED, "E4"),
    "E4 cloud plan 050 is fine": ({"plan": "cloud"}, ["0312345678"], Wish(kinds=IP050), Flow.IMMEDIATE, "E7"),
    "E5 special options": ({}, ["0312345678"], Wish(kinds=IP050, special_options=True), Flow.SCHEDULED, "E5"),
    "E6 first 0AJ": ({"area_code": "03"}, ["05012345678"], Wish(kinds=OAJ), Flow.SCHEDULED, "E6"),
    "E6 beats E8": ({"area_code": "03"}, ["05012345678"],
                    Wish(kinds=OAJ, additions={"05012345678": 5000}), Flow.SCHEDULED, "E6"),
    "E7 050 on a 050 contract": ({}, ["05012345678"], Wish(kinds=IP050), Flow.IMMEDIATE, "E7"),
    "E7 0AJ on a 0AJ contract": ({}, ["0312345678"], Wish(kinds=OAJ), Flow.IMMEDIATE, "E7"),
    "E8 over 1,000": ({"_size": 1}, ["0312345678"], Wish(kinds=OAJ, additions={"0312345678": 1000}),
                      Flow.SCHEDULED, "E8"),
    "E8 exactly 1,000 is fine": ({"_size": 1}, ["0312345678"], Wish(kinds=OAJ, additions={"0312345678": 999}),
                                 Flow.IMMEDIATE, "E7"),
    # Correction to domain.md: a base number in no representative group is not limited by E8.
    "E8 not for a base number in no group": ({}, ["0312345678"], Wish(kinds=OAJ, additions={"0312345678": 2000}),
                                             Flow.IMMEDIATE, "E7"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_flowchart(alice, case):
    fields, bases, wish, flow, rule = case
    fields = dict(fields)
    size = fields.pop("_size", None)
    contract = factories.contract(alice.organisation, "N100000001", base_numbers=bases, **fields)
    contract.base_numbers.update(representative_size=size)
    decision = eligibility_check(contract=contract, wish=wish)
    assert (decision.flow, decision.rule) == (flow, rule)
    assert decision.reason  # a Japanese sentence for the customer


def test_a_0aj_dial_in_counts_as_0aj_used_before(alice):
    contract = factories.contract(alice.organisation, "N100000001", base_numbers=["05012345678"],
                                  area_code="03")
    assert eligibility_check(contract=contract, wish=Wish(kinds=OAJ)).rule == "E6"
    DialInNumber.objects.create(number="0312340000", kind="0AJ", base_number=contract.base_numbers.get())
    assert eligibility_check(contract=contract, wish=Wish(kinds=OAJ)).rule == "E7"


def test_the_e8_reason_names_the_base_number(alice):
    contract = factories.contract(alice.organisation, "N100000001", base_numbers=["0312345678"])
    contract.base_numbers.update(representative_size=999)
    decision = eligibility_check(contract=contract, wish=Wish(kinds=OAJ, additions={"0312345678": 2}))
    assert decision.rule == "E8" and "0312345678" in decision.reason and "1,000" in decision.reason


def open_order(contract, **fields) -> Order:
    defaults = {"flow": Flow.SCHEDULED, "submitted_at": clock.now(), "status": Status.ACCEPTED}
    return Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                contract=contract, **(defaults | fields))


def test_b1_a_scheduled_order_blocks_immediate_orders_until_completion(contract):
    open_order(contract, scheduled_on=dt.date(2026, 12, 25))
    decision = eligibility_check(contract=contract, wish=Wish(kinds=OAJ))
    assert decision.flow == Flow.IMMEDIATE and not decision.immediate_allowed
    assert decision.block.rule == "B1"
    assert decision.block.until == dt.date(2027, 1, 4)  # 2 business days over the year end
    assert "2027年01月04日" in decision.block.reason


def test_b1_a_sales_channel_order_blocks_too(contract):
    open_order(contract, channel=Channel.SALES, flow=Flow.SALES)
    decision = eligibility_check(contract=contract, wish=Wish(kinds=OAJ))
    assert decision.block is not None and "竣工" in decision.block.reason


def test_b1_ends_at_completion(contract):
    open_order(contract, scheduled_on=dt.date(2026, 12, 1), status=Status.COMPLETED)
    open_order(contract, scheduled_on=dt.date(2026, 12, 2), status=Status.CANCELLED)
    assert eligibility_check(contract=contract, wish=Wish(kinds=OAJ)).immediate_allowed


def test_b2_immediate_orders_never_block(contract):
    open_order(contract, flow=Flow.IMMEDIATE, status=Status.ACTIVATED)
    assert eligibility_check(contract=contract, wish=Wish(kinds=OAJ)).immediate_allowed


def test_b1_only_blocks_its_own_contract(contract, alice):
    other = factories.contract(alice.organisation, "N100000002", base_numbers=["0312345679"])
    open_order(other, scheduled_on=dt.date(2026, 12, 1))
    assert eligibility_check(contract=contract, wish=Wish(kinds=OAJ)).immediate_allowed


def test_every_demo_contract_gets_the_decision_its_rule_prescribes(db):
    from numbering.models import VoiceContract
    from orders import demo

    demo.demo_load()
    answers = {  # what the demo note tells the operator to answer
        "E1": Wish(kinds=OAJ), "E2": Wish(kinds=OAJ), "E3": Wish(kinds=OAJ, porting=True),
        "E4": Wish(kinds=OAJ), "E5": Wish(kinds=OAJ, special_options=True), "E6": Wish(kinds=OAJ),
        "E8": Wish(kinds=OAJ, additions={"0312340007": 2}), "E7": Wish(kinds=BOTH),
    }
    for spec in (c for o in demo.ORGANISATIONS for c in o.contracts):
        contract = VoiceContract.objects.get(number=spec.number)
        if spec.rule == "B1":
            decision = eligibility_check(contract=contract, wish=Wish(kinds=BOTH))
            assert decision.rule == "E7" and decision.block.rule == "B1", spec.number
            assert decision.block.until > clock.today()
            continue
        decision = eligibility_check(contract=contract, wish=answers[spec.rule])
        assert decision.rule == spec.rule and decision.block is None, spec.number
