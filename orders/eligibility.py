"""Which way of ordering a voice contract allows: the guide's flowchart (E1–E8) and B1/B2.

Evaluated in the domain's order, first match wins: E1, E2, E3–E6, E8, E7. So "via sales"
(E2) beats every "scheduled only". The portal decides from the contract data it holds plus what
the customer says they want (number kinds, porting, special options, and after step 3 how many
numbers go on which base number).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import BaseNumber, DialInNumber, ServiceType, VoiceContract
from orders import rules
from orders.models import OPEN_STATUSES, Channel, Flow, Order, OrderItem, Status
from portal.i18n import list_text


@dataclass(frozen=True)
class Wish:
    """What the customer wants; only what the portal cannot know from its data."""

    kinds: frozenset[str] = frozenset()   # number kinds to add: "0AJ", "050"
    porting: bool = False                 # E3: port numbers from another carrier
    special_options: bool = False         # E5: 特定番号通知 or 転送先特定番号
    additions: Mapping[str, int] = field(default_factory=dict)  # E8: base number → count


@dataclass(frozen=True)
class Block:
    """B1: an open scheduled or sales-channel order keeps immediate orders off this N番."""

    request_id: str
    until: dt.date | None
    reason: str
    rule: str = "B1"


@dataclass(frozen=True)
class Decision:
    flow: str
    rule: str
    reason: str
    block: Block | None = None

    @property
    def immediate_allowed(self) -> bool:
        return self.flow == Flow.IMMEDIATE and self.block is None


def oaj_used_before(contract: VoiceContract) -> bool:
    """The contract's flag, or any 0AJ number (base or dial-in) already on it."""
    if contract.oaj_used:
        return True
    return (
        BaseNumber.objects.filter(contract=contract, kind=phone.KIND_0AJ).exists()
        or DialInNumber.objects.filter(base_number__contract=contract, kind=phone.KIND_0AJ).exists()
    )


def representative_overflow(contract: VoiceContract, additions: Mapping[str, int]) -> list[BaseNumber]:
    """E8: base numbers in a representative group (代表) that would exceed 1,000 numbers: the
    numbers in the group, plus those of accepted orders on it not yet activated (エラー included:
    an operator may retry them), plus those being added. A base number in no group (size NULL) is
    not limited. Size and pending are read in one statement (one snapshot: an activation that
    commits meanwhile is counted once, in one or the other), and submit calls this inside the lock
    on the N番, so two orders at once cannot both pass."""
    if not additions:
        return []
    pending = (OrderItem.objects.filter(
        base_number=OuterRef("pk"), order__status__in=(Status.ACCEPTED, Status.IN_CONSTRUCTION, Status.ERROR))
        .values("base_number").annotate(n=Sum("quantity")).values("n"))
    bases = BaseNumber.objects.filter(contract=contract, number__in=list(additions),
                                      representative_size__isnull=False).annotate(
        pending=Coalesce(Subquery(pending), 0))
    return [b for b in bases if b.representative_size + b.pending + additions[b.number] > rules.E8_GROUP_LIMIT]


def _expected_completion(order: Order) -> dt.date | None:
    if order.completion_due_on:
        return order.completion_due_on
    day = order.activated_on or order.scheduled_on
    return rules.completion_date(day) if day else None


def blocking_order(contract: VoiceContract) -> Block | None:
    """B1 (B2: immediate orders complete at activation and never block)."""
    blockers = Order.objects.filter(contract=contract, status__in=OPEN_STATUSES).filter(
        Q(channel=Channel.SALES) | Q(flow=Flow.SCHEDULED)
    )
    dated = [(_expected_completion(order), order) for order in blockers]
    if not dated:
        return None
    # A blocker with no known date blocks until its 竣工, whenever that is; else the latest date.
    undated = [order for until, order in dated if until is None]
    until, order = (None, undated[0]) if undated else max(dated, key=lambda pair: pair[0])
    if until is None:
        reason = _(
            "この音声契約番号（%(contract)s）には、竣工前の営業経由変更申込または工事日指定申込"
            "（リクエストID %(request_id)s）があるため、竣工までは「お申し込み直後に開通するお申し込み」を"
            "行えません。竣工後にお申し込みをお願いいたします。"
        ) % {"contract": contract.number, "request_id": order.request_id}
    else:
        reason = _(
            "この音声契約番号（%(contract)s）には、竣工前の営業経由変更申込または工事日指定申込"
            "（リクエストID %(request_id)s）があるため、%(until)s（竣工予定日）までは"
            "「お申し込み直後に開通するお申し込み」を行えません。竣工後にお申し込みをお願いいたします。"
        ) % {"contract": contract.number, "request_id": order.request_id,
             "until": date_format(until, "DATE_FORMAT")}
    return Block(request_id=order.request_id, until=until, reason=reason)


def eligibility_check(*, contract: VoiceContract, wish: Wish) -> Decision:
    """The allowed flow for this contract and wish, the rule that decided it and why."""
    wants_oaj = phone.KIND_0AJ in wish.kinds
    first_oaj = wants_oaj and not oaj_used_before(contract)
    scheduled = Flow.SCHEDULED
    if contract.members_net:
        return Decision(scheduled, "E1", _(
            "メンバーズネットを契約中のため、事前にメンバーズネット工事の手配が必要です。"
            "「工事日を指定するお申し込み」でお申し込みください。"))
    if contract.service_type == ServiceType.SMART_PBX and first_oaj:
        return Decision(Flow.SALES, "E2", _(
            "IP Voice(Smart PBX)をご利用中で、0AJ番号を使うのは初めてのため、"
            "弊社営業担当経由でお申し込みください。ビジネスポータルではお申し込みできません。"))
    if wish.porting:
        return Decision(scheduled, "E3", _(
            "番号ポータビリティで他社で利用中の番号を追加するため、"
            "「工事日を指定するお申し込み」でお申し込みください。"))
    if wants_oaj and (contract.is_cloud or contract.service_type in (
            ServiceType.WIRELESS, ServiceType.SMART_PBX)):
        return Decision(scheduled, "E4", _(
            "IP Voice(Universal One)のクラウドプラン、IP Voiceワイヤレス、IP Voice(Smart PBX)で"
            "0AJダイヤルイン番号を追加するため、「工事日を指定するお申し込み」でお申し込みください。"))
    if wish.special_options:
        return Decision(scheduled, "E5", _(
            "追加するダイヤルイン番号で特定番号通知または転送先特定番号を利用するため、"
            "「工事日を指定するお申し込み」でお申し込みください。"))
    if first_oaj:
        return Decision(scheduled, "E6", _(
            "この音声契約番号（N番）で0AJ番号を使うのは初めてのため、"
            "「工事日を指定するお申し込み」でお申し込みください。"))
    overflow = representative_overflow(contract, wish.additions)
    if overflow:
        numbers = list_text(b.number for b in overflow)
        return Decision(scheduled, "E8", _(
            "基本契約番号 %(numbers)s の代表が1,000番号を越えるため、"
            "「工事日を指定するお申し込み」でお申し込みください。") % {"numbers": numbers})
    return Decision(
        Flow.IMMEDIATE, "E7",
        _("「お申し込み直後に開通するお申し込み」でお申し込みいただけます（工事費無料・申込当日開通）。"),
        block=blocking_order(contract),
    )
