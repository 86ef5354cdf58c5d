"""The demo data set: one contract per flowchart rule (E1–E8), free stock, reservation codes.

Idempotent: every object is found by its natural key, so loading twice changes nothing.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction

from numbering import phone, services
from numbering.models import (
    BaseNumber,
    DialInNumber,
    FreephoneLink,
    NetworkAddress,
    Plan,
    ReservationCode,
    ReservedNumber,
    ServiceType,
    StockNumber,
    VoiceContract,
    VoiceGroup,
)
from portal import business_days, clock
from portal.models import Organisation, User

OPERATOR = ("operator", "operator-2026")


@dataclass(frozen=True)
class DemoContract:
    number: str
    group: str
    rule: str
    note: str
    base_numbers: tuple[tuple[str, int], ...]
    service_type: str = ServiceType.UNIVERSAL_ONE
    plan: str = Plan.STANDARD
    members_net: bool = False
    oaj_used: bool = True
    emergency_area: bool = False
    area_code: str = ""
    dial_ins: tuple[str, ...] = ()
    nw_addresses: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class DemoOrganisation:
    code: str
    name: str
    username: str
    password: str
    person: tuple[str, str]
    groups: tuple[tuple[str, str], ...]
    contracts: tuple[DemoContract, ...] = field(default=())


ORGANISATIONS = (
    DemoOrganisation(
        code="DEMO001",
        name="デモ商事株式会社",
        username="demo",
        password="demo-2026",
        person=("山田", "花子"),
        groups=(("YZ0000001", "本社"), ("YZ0000002", "大阪支社")),
        contracts=(
            DemoContract(
                "N140000001", "YZ0000001", "E1",
                "E1: メンバーズネット契約あり → 工事日指定のみ",
                (("0312340001", 12),), members_net=True,
                nw_addresses=(("10.1.1.0", 24),),
            ),
            DemoContract(
                "N140000002", "YZ0000001", "E2",
                "E2: Smart PBX・0AJ未利用 → 0AJを希望すると営業担当経由のみ（「0AJ番号」を選ぶ）",
                (("05012340002", 5),), service_type=ServiceType.SMART_PBX, oaj_used=False,
                area_code="03",
            ),
            DemoContract(
                "N140000003", "YZ0000001", "E3",
                "E3: 番号ポータビリティを希望する → 工事日指定のみ（「ポータビリティ: はい」と回答）",
                (("0312340003", 20),), nw_addresses=(("10.1.3.0", 24),),
            ),
            DemoContract(
                "N140000004", "YZ0000002", "E4",
                "E4: クラウドプランで0AJを追加 → 工事日指定のみ（「0AJ番号」を選ぶ）",
                (("0612340004", 8),), plan=Plan.CLOUD, nw_addresses=(("10.2.4.0", 24),),
            ),
            DemoContract(
                "N140000005", "YZ0000002", "E5",
                "E5: 特定番号通知・転送先特定番号を希望する → 工事日指定のみ（「利用する」と回答）",
                (("0612340005", 3),), nw_addresses=(("10.2.5.0", 24),),
            ),
            DemoContract(
                "N140000006", "YZ0000001", "E6",
                "E6: この N番で0AJを初めて使う → 工事日指定のみ（「0AJ番号」を選ぶ）",
                (("05012340006", 4),), oaj_used=False, area_code="03",
            ),
            DemoContract(
                "N140000007", "YZ0000001", "E8",
                "E8: 代表 999番号の基本契約番号 → 2番号以上の追加で工事日指定のみ",
                (("0312340007", 999), ("0312340017", 10)), nw_addresses=(("10.1.7.0", 24),),
            ),
            DemoContract(
                "N140000009", "YZ0000001", "B1",
                "B1: 営業経由変更申込が竣工前 → 竣工予定日まで即時開通の申込不可",
                (("0312340009", 10),), nw_addresses=(("10.1.9.0", 24),),
            ),
            DemoContract(
                "N140000008", "YZ0000001", "E7",
                "E7: どれにも該当しない → お申し込み直後に開通（緊急通報エリア対象: 050の注意表示）",
                (("0312340008", 30), ("05012340008", 30)), emergency_area=True,
                dial_ins=("0312340101", "0312340102", "05011112222"),
                nw_addresses=(("10.1.8.0", 24), ("192.168.10.0", 24)),
            ),
        ),
    ),
    DemoOrganisation(
        code="DEMO002",
        name="サンプル物産株式会社",
        username="demo2",
        password="demo2-2026",
        person=("佐藤", "一郎"),
        groups=(("YZ0000101", "東京本店"),),
        contracts=(
            DemoContract(
                "N240000101", "YZ0000101", "E7",
                "E7: 別のお客様（他社のデータが見えないことの確認用）",
                (("0612340101", 15), ("05012340101", 15)),
                dial_ins=("0612340201",), nw_addresses=(("10.9.1.0", 24),),
            ),
        ),
    ),
)

# At least 100,000 free numbers across 03, 06 and 050.
STOCK_RANGES = (
    ("0312350000", "0312399999"),
    ("0612350000", "0612379999"),
    ("05012350000", "05012374999"),
)

# (code, contract, numbers, state, days until expiry)
RESERVATION_CODES = (
    ("RDEMOVALID1", "N140000008", ("0312350000", "0312350001", "0312350002"), "available", 30),
    ("RDEMOVALID2", "N140000008", ("05012350000", "05012350001"), "available", 30),
    ("RDEMOEXPIRED", "N140000008", ("0312350010", "0312350011"), "available", -1),
    ("RDEMOUSED01", "N140000008", ("0312350020", "0312350021"), "used", 30),
)


def demo_accounts() -> list[dict]:
    """The demo's accounts that exist, for demo mode's one-click sign-in: who each one is for."""
    from django.utils.translation import gettext as _

    hints = {"demo": _("お客様（E1〜E8・B1の各ルールを試せる音声契約と申込履歴）"),
             "demo2": _("別のお客様（他社のデータが見えないことの確認用）"),
             OPERATOR[0]: _("オペレーター（管理画面: 在庫・予約コード・お申し込み・デモ時計）")}
    users = {u.username: u for u in User.objects.filter(username__in=hints, is_active=True)
             .select_related("organisation")}
    return [{"username": name, "organisation": users[name].organisation.name if users[name].organisation else "",
             "role": "operator" if users[name].is_staff else "customer", "hint": hint}
            for name, hint in hints.items() if name in users]


def operator_get_or_create() -> User:
    user, created = User.objects.get_or_create(
        username=OPERATOR[0],
        defaults={"is_staff": True, "is_superuser": True, "last_name": "オペレーター"},
    )
    if created:
        user.set_password(OPERATOR[1])
        user.save(update_fields=["password"])
    return user


def _contract_load(group: VoiceGroup, spec: DemoContract, holder: str) -> None:
    contract, _created = VoiceContract.objects.get_or_create(
        number=spec.number,
        defaults={
            "voice_group": group,
            "service_type": spec.service_type,
            "plan": spec.plan,
            "members_net": spec.members_net,
            "oaj_used": spec.oaj_used,
            "emergency_area": spec.emergency_area,
            "area_code": spec.area_code,
            "holder_name": holder,
            "installation_address": "東京都千代田区大手町一丁目1番1号",
            "operator_note": spec.note,
            "started_on": dt.date(2020, 4, 1),
        },
    )
    for number, size in spec.base_numbers:
        base, _created = BaseNumber.objects.get_or_create(
            number=number,
            defaults={"contract": contract, "kind": phone.kind_of(number),
                      "representative_size": size},
        )
    first_base = contract.base_numbers.order_by("number").first()
    for number in spec.dial_ins:
        kind = phone.kind_of(number)
        base = contract.base_numbers.filter(kind=kind).order_by("number").first() or first_base
        DialInNumber.objects.get_or_create(
            number=number,
            defaults={"base_number": base, "kind": kind, "activated_on": dt.date(2023, 3, 10),
                      "source": "demo"},
        )
    for network, prefix in spec.nw_addresses:
        NetworkAddress.objects.get_or_create(contract=contract, network=network, prefix_length=prefix)


def _reservation_codes_load() -> None:
    now = clock.now()
    for code, contract_number, numbers, state, days in RESERVATION_CODES:
        if ReservationCode.objects.filter(code=code).exists():
            continue
        contract = VoiceContract.objects.get(number=contract_number)
        reservation = services.reservation_code_issue(
            contract=contract, numbers=numbers, expires_at=now + dt.timedelta(days=days), code=code
        )
        if state == "used":
            # A code used by an earlier (pre-portal) order: its numbers are in service.
            base = contract.base_numbers.filter(kind=phone.KIND_0AJ).order_by("number").first()
            reserved = list(
                ReservedNumber.objects.filter(code=reservation).values_list("number", "kind")
            )
            ReservedNumber.objects.filter(code=reservation).delete()
            DialInNumber.objects.bulk_create(
                DialInNumber(number=n, kind=n_kind, base_number=base, source=code,
                             activated_on=dt.date(2024, 1, 15))
                for n, n_kind in reserved
            )
            ReservationCode.objects.filter(pk=reservation.pk).update(
                status=ReservationCode.Status.USED, used_at=now, used_by="demo"
            )


def _sales_order_load() -> None:
    """B1: an open sales-channel order on N140000009, completing a few business days ahead."""
    from orders.models import Order
    from orders.placement import order_sales_create

    contract = VoiceContract.objects.get(number="N140000009")
    if Order.objects.filter(contract=contract).exists():
        return
    scheduled_on = business_days.add_business_days(clock.today(), 5)
    order_sales_create(contract=contract, scheduled_on=scheduled_on, operator=operator_get_or_create(),
                       note="")


# A realistic order history for the demo customer: (days ago, time, base number, kind, quantity, status).
HISTORY = [
    (42, (10, 12, 5), "0312340008", "0AJ", 3, "completed"),
    (35, (15, 40, 31), "05012340008", "050", 5, "completed"),
    (28, (9, 5, 12), "05012340008", "050", 20, "completed"),
    (21, (13, 26, 32), "0312340008", "0AJ", 2, "cancelled"),
    (14, (16, 10, 48), "0312340008", "050", 10, "completed"),
    (7, (11, 2, 9), "05012340008", "050", 1, "completed"),
]


def _order_history_load() -> None:
    """Past immediate orders of DEMO001 on N140000008, issued from stock on their own dates."""
    from orders.mail import mail_compose
    from orders.models import Channel, EventNote, Flow, Order, OrderEvent, OrderItem, SentMail, Status
    from orders.status import request_id_new

    contract = VoiceContract.objects.get(number="N140000008")
    if Order.objects.filter(contract=contract, channel=Channel.PORTAL).exists():
        return
    user = User.objects.get(username="demo")
    Actor = OrderEvent.Actor
    for days, (hour, minute, second), base_number, kind, quantity, status in HISTORY:
        day = clock.today() - dt.timedelta(days=days)
        at = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=clock.JST)
        base = BaseNumber.objects.get(number=base_number)
        order = Order.objects.create(
            request_id=request_id_new(), organisation=contract.voice_group.organisation, contract=contract,
            channel=Channel.PORTAL, flow=Flow.IMMEDIATE, submitted_at=at, scheduled_on=day, created_by=user,
            contact_name=user.get_full_name(), contact_department=user.department, contact_phone="0355550101",
            contact_email=user.email,
        )
        OrderItem.objects.create(order=order, position=1, base_number=base, kind=kind, quantity=quantity)
        Note = EventNote
        events = [(at, "", Status.ACCEPTED, Actor.CUSTOMER, Note.ACCEPTED, {})]
        if status == Status.CANCELLED:
            events.append((at + dt.timedelta(minutes=1), Status.ACCEPTED, Status.CANCELLED, Actor.OPERATOR,
                           Note.CANCELLED_ON_REQUEST, {}))
        else:
            services.numbers_issue_many(allocations=[(base, kind, quantity)], source=order.request_id, day=day)
            done = at + dt.timedelta(seconds=40)
            events += [
                (at + dt.timedelta(seconds=5), Status.ACCEPTED, Status.IN_CONSTRUCTION, Actor.WORKER,
                 Note.CONSTRUCTION_STARTED, {}),
                (done, Status.IN_CONSTRUCTION, Status.ACTIVATED, Actor.WORKER,
                 Note.ISSUED, {"count": quantity}),
                (done, Status.ACTIVATED, Status.COMPLETED, Actor.SYSTEM, Note.COMPLETED_AT_ACTIVATION, {}),
            ]
            order.activated_on = order.completed_on = order.completion_due_on = day
        for _when, _old, new, *_ in events[1:]:  # along the status table, as the database insists
            Order.objects.filter(pk=order.pk).update(status=new)
        order.status = events[-1][2]
        order.save(update_fields=["activated_on", "completed_on", "completion_due_on"])
        OrderEvent.objects.bulk_create(
            OrderEvent(order=order, at=when, from_status=old, to_status=new, actor=actor, note_code=code,
                       note_params=params, user=user if actor == Actor.CUSTOMER else None)
            for when, old, new, actor, code, params in events)
        kinds = [SentMail.Kind.ACCEPTED] + (
            [SentMail.Kind.CANCELLED] if status == Status.CANCELLED else [SentMail.Kind.COMPLETED])
        for mail_kind in kinds:
            mail = mail_compose(order=order, kind=mail_kind, extra={"issued": quantity})
            SentMail.objects.filter(pk=mail.pk).update(created_at=events[-1][0] if mail_kind != "accepted" else at,
                                                       delivered_at=at)


@transaction.atomic
def demo_load() -> list[dict[str, str]]:
    """Create or complete the demo data set; return the demo accounts as table rows."""
    operator_get_or_create()
    rows: list[dict[str, str]] = [{
        "user": OPERATOR[0], "password": OPERATOR[1], "organisation": "（オペレーター）",
        "contract": "/admin/", "rule": "管理画面（在庫・予約コード・契約の管理）",
    }]
    for spec in ORGANISATIONS:
        organisation, _created = Organisation.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name}
        )
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={"organisation": organisation, "last_name": spec.person[0],
                      "first_name": spec.person[1], "email": f"{spec.username}@customer.example.com",
                      "department": "情報システム部"},
        )
        if created:
            user.set_password(spec.password)
            user.save(update_fields=["password"])
        groups = {}
        for group_id, name in spec.groups:
            groups[group_id], _created = VoiceGroup.objects.get_or_create(
                group_id=group_id, defaults={"organisation": organisation, "name": name}
            )
        for contract in spec.contracts:
            _contract_load(groups[contract.group], contract, spec.name)
            rows.append({
                "user": spec.username, "password": spec.password, "organisation": spec.name,
                "contract": contract.number, "rule": contract.note,
            })
    FreephoneLink.objects.get_or_create(
        contract=VoiceContract.objects.get(number="N140000005"), number="0120123456",
        defaults={"kind": FreephoneLink.Kind.FREEPHONE, "completed_on": dt.date(2024, 6, 1)},
    )
    FreephoneLink.objects.get_or_create(
        contract=VoiceContract.objects.get(number="N140000005"), number="0570123456",
        defaults={"kind": FreephoneLink.Kind.NAVI_DIAL, "completed_on": None},
    )
    _sales_order_load()
    for first, last in STOCK_RANGES:
        services.stock_add_range(first=first, last=last, skip_existing=True)
    _reservation_codes_load()
    _order_history_load()
    return rows


@transaction.atomic
def demo_reset() -> None:
    """Remove every customer, contract, number and code, so the demo starts afresh."""
    from orders.models import Order, RequestIdSequence
    from portal.services import demo_clock_reset

    demo_clock_reset()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the guard keeps used codes, except for a whole demo reset
            cursor.execute("SET LOCAL portal.demo_reset = 'on'")
    Order.objects.all().delete()
    RequestIdSequence.objects.all().delete()
    DialInNumber.objects.all().delete()
    ReservedNumber.objects.all().delete()
    ReservationCode.objects.all().delete()
    StockNumber.objects.all().delete()
    FreephoneLink.objects.all().delete()
    NetworkAddress.objects.all().delete()
    BaseNumber.objects.all().delete()
    VoiceContract.objects.all().delete()
    VoiceGroup.objects.all().delete()
    User.objects.filter(organisation__isnull=False).delete()
    Organisation.objects.all().delete()
