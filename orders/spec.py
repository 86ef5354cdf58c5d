"""The order specification: what an immediate or a scheduled order contains, however it was entered
(the wizards' screens, a CSV file, and next the API). The check of each flow takes it and returns
every problem; the placement takes it. A draft is one way to build it (`spec_of`).

    screens / CSV / API ──► ImmediateSpec | ScheduledSpec ──► immediate_check | scheduled_check
                                                          ──► orders.placement (under the N番 locks)
"""

from dataclasses import dataclass, field
from typing import ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import VoiceContract, VoiceGroup
from orders.content import Content, Problem, content_check, rule_of
from orders.eligibility import Wish, eligibility_check
from orders.kinds import kind_of
from orders.lead_times import earliest_date
from orders.models import Attachment, Draft, Flow, LeadTime
from orders.scheduled_checks import aml_applies, schedule_check
from orders.state import AmlAnswers, BlueRow, Contact, Item, NetworkRow, RedRow, Schedule
from portal.models import Organisation


@dataclass
class ImmediateSpec:
    """【お申し込み直後に開通するお申し込み】: new numbers by kind and quantity (red rows) and reserved
    numbers with their codes (blue rows) on base numbers of one voice group; one order per N番 they
    name. `chosen` limits the base numbers to those picked on screen (None: any of the group)."""

    flow: ClassVar[str] = Flow.IMMEDIATE
    organisation: Organisation
    voice_group: VoiceGroup
    red: list[RedRow] = field(default_factory=list)
    blue: list[BlueRow] = field(default_factory=list)
    contact: Contact = field(default_factory=Contact)
    chosen: list[str] | None = None


@dataclass
class ScheduledSpec:
    """【工事日を指定するお申し込み】: one N番, its items (each of a registered kind), the other
    confirmations and the desired date (`schedule`); `uploads_of` is the draft whose uploaded files
    (the AML form) the order may take (None: the organisation's uploads of the API, POST
    /attachments, that no draft or order holds)."""

    flow: ClassVar[str] = Flow.SCHEDULED
    organisation: Organisation
    voice_group: VoiceGroup
    contract: VoiceContract | None
    items: list[Item] = field(default_factory=list)
    schedule: Schedule = field(default_factory=Schedule)
    contact: Contact = field(default_factory=Contact)
    uploads_of: object = None


Spec = ImmediateSpec | ScheduledSpec


def spec_of(draft: Draft) -> Spec:
    """What a wizard's draft specifies (the screens' and the CSV method's entries alike)."""
    if draft.flow == Flow.SCHEDULED:
        return ScheduledSpec(organisation=draft.organisation, voice_group=draft.voice_group, contract=draft.contract,
                             items=draft.items, schedule=draft.extra, contact=draft.contact, uploads_of=draft.pk)
    return ImmediateSpec(organisation=draft.organisation, voice_group=draft.voice_group, red=draft.red_rows,
                         blue=draft.blue_rows, contact=draft.contact,
                         chosen=draft.base_numbers if draft.method == Draft.Method.SCREEN else None)


# --- The immediate flow's check ----------------------------------------------------------------

def immediate_check(spec: ImmediateSpec) -> Content:
    """E1–E8 and B1 with the kinds and quantities asked for, the codes, the stock: every problem on
    its row and field (orders.content)."""
    return content_check(organisation=spec.organisation, voice_group=spec.voice_group, red_rows=spec.red,
                         blue_rows=spec.blue, chosen=spec.chosen, immediate=True)


# --- The scheduled flow's check ------------------------------------------------------------------

def item_kinds(spec: ScheduledSpec) -> set[str]:
    """The number kinds (0AJ, 050) the items add."""
    return set().union(*(item.kinds() for item in spec.items))


def lead_items(spec: ScheduledSpec) -> set[str]:
    """Which standard lead times apply to what is specified."""
    items = {LeadTime.Item.DIALIN} | {kind_of(item).lead_item for item in spec.items} - {None}
    if any(o.special for item in spec.items for o in item.all_options()):
        items.add(LeadTime.Item.SPECIAL_OPTION)
    if spec.schedule.network:
        items.add(LeadTime.Item.NW_ADDRESS)
    if spec.contract and aml_applies(contract=spec.contract, items=spec.items):
        items.add(LeadTime.Item.AML)
    return items


@dataclass
class ScheduledCheck:
    """The scheduled check's answer: the order's item rows as checked and normalised (OrderItem
    fields, options included, base numbers by number), the NW changes as checked, every problem."""

    rows: list[dict] = field(default_factory=list)
    network: list[NetworkRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def scheduled_check(spec: ScheduledSpec) -> ScheduledCheck:
    """Everything a scheduled order must satisfy (the confirm step and the submit check it): the N番
    may take it (E-rules), each item by its kind (content, codes, porting, O1–O3), the other
    confirmations (AML, NW addresses, date, time, reason) and no number ported twice."""
    contract, found = spec.contract, ScheduledCheck()
    if contract is None or not spec.items:
        found.problems.append(Problem(_("お申し込み内容を1件以上保存してください。")))
        return found
    decision = eligibility_check(contract=contract, wish=Wish(kinds=frozenset(item_kinds(spec))))
    if decision.flow == Flow.SALES:
        found.problems.append(Problem(f"[{decision.rule}] {decision.reason}", rule=decision.rule))
    for number, item in enumerate(spec.items, start=1):
        placed = kind_of(item).order_rows(spec=spec, item=item, number=number)
        found.rows += placed.rows
        found.problems += placed.problems
    aml = spec.schedule.aml or AmlAnswers()
    has_file = bool(aml.attachment) and spec_uploads(spec).filter(pk=aml.attachment).exists()
    found.network, errors = schedule_check(contract=contract, items=spec.items, schedule=spec.schedule,
                                           has_file=has_file, earliest=earliest_date(items=lead_items(spec)))
    found.problems.extend(Problem(message, rule=rule_of(message), field=name) for name, message in errors.items())
    ported = [r["ported_number"] for r in found.rows if r.get("ported_number")]
    if len(ported) != len(set(ported)):
        found.problems.append(Problem(_("番号ポータビリティの同じ番号が複数のお申し込み内容にあります。")))
    return found


def spec_uploads(spec) -> "QuerySet[Attachment]":
    """The uploaded files the order may take: its draft's, or the organisation's free API uploads."""
    return Attachment.objects.filter(organisation=spec.organisation, order__isnull=True,
                                     draft=getattr(spec, "uploads_of", None))


def involves_oaj(spec: ScheduledSpec) -> bool:
    """0AJ numbers are added: the 0AJ site NW addresses apply."""
    return phone.KIND_0AJ in item_kinds(spec)

