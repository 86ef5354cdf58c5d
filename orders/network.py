"""The carrier's network as the simulator plays it: what can happen to an order that its customer
could not see coming. The losing carrier answers a porting (accepted, or rejected with a reason
before the construction date), an activation fails (transiently: retried with backoff; or for good),
a stock pool has no free numbers. Triggered two ways, both only with PORTAL_NETWORK_SCENARIOS on
(the demo and the tests; never in production):

- test values, the same on screen, in CSV files and through the API (the help page and the README
  list them): a ported number ending in 9901, 9902 or 9903 is always rejected by the losing carrier
  (holder name, installation address, not portable); a contact phone number ending in 9911 makes
  the first activation fail twice for a moment and then succeed, 9912 fail for good, 9913 find its
  stock pool empty (a retry by an operator then succeeds);
- a trainer's switch per organisation (NetworkScenario, in admin), consumed by the next order it
  hits and written on that order's timeline.

The services (orders.activation) ask here and act; nothing here moves an order's status."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from orders.models import EventNote, NetworkScenario, Order, OrderEvent

PORTING_VALUES = {"9901": EventNote.PORTING_HOLDER_MISMATCH, "9902": EventNote.PORTING_ADDRESS_MISMATCH,
                  "9903": EventNote.PORTING_NOT_PORTABLE}
TRANSIENT, PERMANENT, POOL_EMPTY = "transient", "permanent", "pool_empty"
CONTACT_VALUES = {"9911": (TRANSIENT, 2), "9912": (PERMANENT, 0), "9913": (POOL_EMPTY, 0)}
# Transient failures of one activation before it is given up (エラー), and the wait before each retry.
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (5, 15, 60, 300)


def enabled() -> bool:
    return settings.PORTAL_NETWORK_SCENARIOS


def backoff(attempt: int) -> int:
    """Seconds before the next attempt after `attempt` failures (the first retry soon, then longer)."""
    return BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1]


def _note(order: Order, code: str, params: dict | None = None) -> None:
    """A line on the order's timeline (the status stays), from the network."""
    from portal import clock

    OrderEvent.objects.create(order=order, at=clock.now(), from_status=order.status, to_status=order.status,
                              actor=OrderEvent.Actor.WORKER, note_code=code, note_params=params or {})


def scenario_take(order: Order, *kinds: str, pools: set[tuple[str, str]] | None = None) -> NetworkScenario | None:
    """The organisation's oldest waiting switch of these kinds, now spent on `order` (in the
    caller's transaction: two orders at once never take the same one)."""
    waiting = NetworkScenario.objects.filter(organisation_id=order.organisation_id, kind__in=kinds,
                                             used_by__isnull=True)
    if pools is not None:
        match = Q(pool_kind="")
        for kind_, area in pools:
            match |= Q(pool_kind=kind_, pool_area__in=("", area))
        waiting = waiting.filter(match)
    scenario = waiting.select_for_update(skip_locked=True).order_by("created_at", "pk").first()
    if scenario is not None:
        NetworkScenario.objects.filter(pk=scenario.pk).update(used_by=order, used_at=timezone.now())
    return scenario


def _retried(order: Order) -> bool:
    return order.events.filter(note_code=EventNote.RETRY).exists()


def _contact_value(order: Order) -> tuple[str, int] | None:
    """The test value of the order's contact phone, for its first activation only."""
    digits = "".join(ch for ch in order.contact_phone if ch.isdigit())
    found = CONTACT_VALUES.get(digits[-4:]) if len(digits) >= 10 else None
    if found is None or _retried(order):
        return None
    return found


# --- The losing carrier's answer to a porting --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PortingRejection:
    code: str
    numbers: list[str]


def porting_answer(order: Order) -> PortingRejection | None:
    """The losing carrier's answer to the order's ported numbers: None when it accepts them all."""
    if not enabled():
        return None
    numbers = list(order.items.exclude(ported_number="").order_by("position").values_list("ported_number", flat=True))
    rejected: dict[str, list[str]] = {}
    for number in numbers:
        code = PORTING_VALUES.get(number[-4:])
        if code:
            rejected.setdefault(code, []).append(number)
    if rejected:
        code, which = next(iter(rejected.items()))
        _note(order, EventNote.MAGIC, {"value": which[0]})
        return PortingRejection(code, which)
    scenario = scenario_take(order, NetworkScenario.Kind.PORTING_REJECTED) if numbers else None
    if scenario is not None:
        _note(order, EventNote.SCENARIO_PORTING)
        return PortingRejection(scenario.reason, numbers[:1])
    return None


def porting_answer_day(asked: dt.datetime, construction: dt.date | None = None) -> dt.date:
    """The losing carrier answers on the business day after it is asked (JST), never after the
    construction date."""
    from portal import business_days, clock

    day = business_days.add_business_days(asked.astimezone(clock.JST).date(), 1)
    return min(day, construction) if construction else day


# --- An activation attempt ---------------------------------------------------------------------------

def activation_fault(order: Order) -> str | None:
    """Before an activation attempt: TRANSIENT (this attempt fails for a moment), PERMANENT (it
    fails for good) or None. The first attempt takes the plan (a test value or a switch); the
    transient failures still planned are kept on the order and counted down attempt by attempt."""
    if not enabled():
        return None
    if order.activation_attempts == 0 and order.network_failures == 0:
        plan = _activation_plan(order)
        if plan is None:
            return None
        kind, times = plan
        if kind == PERMANENT:
            return PERMANENT
        if kind == TRANSIENT:
            Order.objects.filter(pk=order.pk).update(network_failures=times)
            order.network_failures = times
    return TRANSIENT if order.network_failures > 0 else None


def _activation_plan(order: Order) -> tuple[str, int] | None:
    value = _contact_value(order)
    if value is not None and value[0] != POOL_EMPTY:
        _note(order, EventNote.MAGIC, {"value": order.contact_phone})
        return value
    if value is not None:
        return None  # the pool's turn comes at the issue (pool_outage)
    scenario = scenario_take(order, NetworkScenario.Kind.ACTIVATION_PERMANENT,
                             NetworkScenario.Kind.ACTIVATION_TRANSIENT)
    if scenario is None:
        return None
    if scenario.kind == NetworkScenario.Kind.ACTIVATION_PERMANENT:
        _note(order, EventNote.SCENARIO_PERMANENT)
        return PERMANENT, 0
    _note(order, EventNote.SCENARIO_TRANSIENT, {"times": scenario.times})
    return TRANSIENT, scenario.times


def pool_outage(order: Order, pools_of) -> tuple[str, str] | None:
    """The stock pool (kind, area code) the network finds empty for this order, if any: a test
    value (its first pool) or a switch naming one of its pools. `pools_of()` gives the pools the
    order draws new numbers from (asked only when something may empty one)."""
    if not enabled():
        return None
    value = _contact_value(order)
    if value is not None and value[0] == POOL_EMPTY:
        pools = pools_of()
        if not pools:
            return None
        _note(order, EventNote.MAGIC, {"value": order.contact_phone})
        return sorted(pools)[0]
    if not NetworkScenario.objects.filter(organisation_id=order.organisation_id, kind=NetworkScenario.Kind.POOL_EMPTY,
                                          used_by__isnull=True).exists():
        return None
    pools = set(pools_of())
    scenario = scenario_take(order, NetworkScenario.Kind.POOL_EMPTY, pools=pools) if pools else None
    if scenario is None:
        return None
    hit = sorted(p for p in pools if not scenario.pool_kind or (
        p[0] == scenario.pool_kind and scenario.pool_area in ("", p[1])))[0]
    _note(order, EventNote.SCENARIO_POOL, {"pool": pool_name(*hit)})
    return hit


def pool_name(kind: str, area: str) -> str:
    """A stock pool as people name it: "0AJ 03", "050"."""
    return kind if kind == area else f"{kind} {area}"
