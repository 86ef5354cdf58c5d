"""Checks of the scheduled flow (工事日を指定するお申し込み): options O1–O4, the 0AJ site NW
addresses, the desired date, time and reason. Each returns Japanese messages by field."""

import datetime as dt
import ipaddress
import re
import unicodedata

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from numbering import phone
from numbering.models import FreephoneLink, NetworkAddress, VoiceContract
from orders.content import Refusal
from orders.eligibility import Wish, eligibility_check
from orders.rules import rule_tag
from orders.state import AmlAnswers, Item, NetworkRow, Options, PortRow, RemainingRow, Schedule
from portal import business_days

FREEPHONE = re.compile(r"^0(120[0-9]{6}|800[0-9]{7}|570[0-9]{6})$")
WORK_START, WORK_END = dt.time(8, 30), dt.time(17, 0)
REASON_MAX = 175


def options_clean(*, kind: str, raw: Options) -> tuple[Options, dict[str, str]]:
    """Options of one row (red box) or number (blue box) as typed (`notification_on` and
    `forwarding_on` are the 契約する switches); O1–O3 refused with the rule named. Returns the
    options as they are kept: numbers normalised, a number without its switch dropped."""
    notification = phone.normalise(raw.specific_number_notification) if raw.notification_on else ""
    forwarding = phone.normalise(raw.forwarding_specific_number) if raw.forwarding_on else ""
    options = Options(message_box=raw.message_box, anonymous_call_rejection=raw.anonymous_call_rejection,
                      nuisance_call_rejection=raw.nuisance_call_rejection,
                      specific_number_notification=notification, forwarding_specific_number=forwarding,
                      notification_on=bool(notification), forwarding_on=bool(forwarding))
    errors: dict[str, str] = {}
    if raw.notification_on and not FREEPHONE.match(notification):
        errors["specific_number_notification"] = _(
            "通知する番号は、フリーダイヤル（0120・0800）またはナビダイヤル（0570）の番号を入力してください。")
    if raw.forwarding_on and not re.match(r"^0[0-9]{9,10}$", forwarding):
        errors["forwarding_specific_number"] = _("転送先の電話番号を10桁または11桁の数字で入力してください。")
    if forwarding and kind == phone.KIND_050:
        errors["forwarding_specific_number"] = Refusal(
            _("050番号には転送先特定番号をお申し込みいただけません。") + rule_tag("O2"), "O2")
    elif forwarding and notification:
        errors["forwarding_specific_number"] = Refusal(_(
            "転送先特定番号と特定番号通知は、同じ番号に同時にお申し込みいただけません。") + rule_tag("O1"), "O1")
    elif forwarding and options.message_box:
        errors["forwarding_specific_number"] = Refusal(_(
            "転送先特定番号とメッセージボックスは、同時にお申し込みいただけません。") + rule_tag("O3"), "O3")
    return options, errors


def options_summary(options: Options) -> list[str]:
    parts = [label for on, label in ((options.message_box, _("メッセージボックス")),
                                     (options.anonymous_call_rejection, _("非通知着信拒否")),
                                     (options.nuisance_call_rejection, _("迷惑電話お断り"))) if on]
    if options.specific_number_notification:
        parts.append(_("特定番号通知（%(n)s）") % {"n": options.specific_number_notification})
    if options.forwarding_specific_number:
        parts.append(_("転送先特定番号（%(n)s）") % {"n": options.forwarding_specific_number})
    return parts


def o4_unlinked(*, contract: VoiceContract, numbers: set[str], day: dt.date | None) -> list[str]:
    """O4: 特定番号通知 numbers whose freephone / navi-dial link is not complete by the date."""
    if not numbers:
        return []
    done = set(FreephoneLink.objects.filter(contract=contract, number__in=numbers, completed_on__isnull=False)
               .filter(**({"completed_on__lte": day} if day else {})).values_list("number", flat=True))
    return sorted(numbers - done)


def is_full_width(text: str) -> bool:
    return all(unicodedata.east_asian_width(c) in ("F", "W") for c in text)


def network_rows_check(*, contract: VoiceContract, rows: list[NetworkRow],
                       required: bool) -> tuple[list[NetworkRow], dict]:
    """0AJ利用拠点NWアドレス情報: rows of (add/delete, IPv4 network, prefix length)."""
    registered = {f"{a.network}/{a.prefix_length}" for a in NetworkAddress.objects.filter(contract=contract)}
    cleaned, errors = [], {}
    seen = set()
    for i, row in enumerate(rows):
        network, prefix = str(row.network).strip(), phone.normalise(str(row.prefix))
        action = row.action or "add"
        if not network and not prefix:
            continue
        if action not in ("add", "delete"):
            errors[i] = _("申込種別（追加・削除）を選択してください。")
            continue
        try:
            net = ipaddress.IPv4Network(f"{unicodedata.normalize('NFKC', network)}/{prefix}", strict=True)
        except ValueError:
            errors[i] = _("ネットワークアドレス（IPv4）とサブネットマスク（例: 24）の組み合わせが正しくありません。")
            continue
        if net.prefixlen < 8:
            errors[i] = _("サブネットマスクは8～32で入力してください。")
            continue
        key = str(net)
        if key in seen:
            errors[i] = _("同じネットワークアドレスが複数の行にあります。")
            continue
        seen.add(key)
        if action == "add" and key in registered:
            errors[i] = _("%(net)s は登録済みです。") % {"net": key}
        elif action == "delete" and key not in registered:
            errors[i] = _("%(net)s は登録されていないため削除できません。") % {"net": key}
        else:
            cleaned.append(NetworkRow(action=action, network=str(net.network_address), prefix=str(net.prefixlen)))
    if required and not registered and not any(r.action == "add" for r in cleaned) and not errors:
        errors["rows"] = _("0AJ番号をご利用いただくため、0AJ利用拠点NWアドレスを1件以上入力してください。")
    return cleaned, errors


def parse_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def schedule_check(*, contract: VoiceContract, items: list[Item], schedule: Schedule, earliest: dt.date,
                   has_file: bool) -> tuple[list[NetworkRow], dict[str, str]]:
    """その他ご確認事項・工事希望日, all of it: the AML answers and form (when they apply), the NW rows
    (required when 0AJ is involved and none is registered), the desired date, time and reason.
    Returns the NW rows as checked and the errors by field (the step and the final check alike)."""
    errors: dict[str, str] = {}
    if aml_applies(contract=contract, items=items):
        errors.update(aml_check(data=schedule.aml or AmlAnswers(), has_file=has_file))
    kinds = set().union(*(item.kinds() for item in items))
    clean, nw_errors = network_rows_check(contract=contract, rows=schedule.network,
                                          required=phone.KIND_0AJ in kinds)
    errors.update({f"nw_{k}": v for k, v in nw_errors.items()})
    day = parse_date(schedule.date)
    errors.update(date_check(day=day, earliest=earliest, time=schedule.time, reason=schedule.reason,
                             desired_time=desired_time_allowed(items)))
    if schedule.date and day is None:
        errors["date"] = _("工事希望年月日を「2026-12-01」の形式で入力してください。")
    return clean, errors


def desired_time_allowed(items: list[Item]) -> bool:
    """工事希望時間 may be given when an item allows it (porting)."""
    return any(item.allows_desired_time for item in items)


def date_check(*, day: dt.date | None, earliest: dt.date, time: str, reason: str,
               desired_time: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if day is None:
        errors["date"] = _("工事希望年月日を入力してください。")
        return errors
    latest = earliest + dt.timedelta(days=365)
    if day > latest:
        errors["date"] = _("工事希望年月日は%(d)sまでの日付を指定してください。") % {"d": latest.isoformat()}
        return errors
    if day < earliest:
        errors["date"] = _("工事希望年月日は最短納期日（%(d)s）以降の日付を指定してください。") % {
            "d": earliest.isoformat()}
    outside = not business_days.is_business_day(day)
    if desired_time and time:  # optional: "工事希望時間を指定することができます"
        if not re.match(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", time):
            errors["time"] = _("工事希望時間を「09:00」の形式で入力してください。")
        else:
            at = dt.time.fromisoformat(time)
            outside = outside or not (WORK_START <= at <= WORK_END)
    if outside and not reason:
        errors["reason"] = _("平日8:30～17:00以外、または土日休日の実施をご希望の場合は、理由を入力してください。")
    elif reason and (len(reason) > REASON_MAX or not is_full_width(reason)):
        errors["reason"] = _("理由は全角%(n)s文字以内で入力してください。") % {"n": REASON_MAX}
    return errors



# --- Sub-order B: dial-in addition by number portability -------------------------------------

# Codes and the guide's words (translated where shown; the CSV takes the Japanese words or the codes).
LINE_TYPES = [("analog", gettext_noop("アナログ回線")), ("isdn", gettext_noop("ISDN回線")),
              ("hikari", gettext_noop("ひかり電話")), ("other", gettext_noop("その他"))]
TEXT_MAX = 60


def porting_rows_check(*, contract: VoiceContract, bases: list[str], rows: list[PortRow],
                       remaining: str, remaining_rows: list[RemainingRow]) -> tuple[list[PortRow], dict]:
    """Numbers to port, per row, and the order-level remaining number (残置番号) with its table.
    Conditional fields: 契約者住所 when the line holder is another name, DSU/配線等の撤去 for ISDN."""
    from numbering.models import BaseNumber, DialInNumber, ReservedNumber, StockNumber
    from numbering.services import issue_area_code

    errors: dict = {}
    cleaned: list[PortRow] = []
    base_map = {b.number: b for b in BaseNumber.objects.filter(contract=contract, number__in=bases)}
    numbers = [phone.normalise(str(row.number)) for row in rows]
    taken = set()
    for model in (StockNumber, ReservedNumber, DialInNumber, BaseNumber):
        taken |= set(model.objects.filter(number__in=numbers).values_list("number", flat=True))
    seen: dict[str, int] = {}
    line_types = dict(LINE_TYPES)
    # Ported numbers are 0AJ numbers: E2 (Smart PBX, 0AJ never used) sends them to sales.
    e2 = eligibility_check(contract=contract, wish=Wish(kinds=frozenset({phone.KIND_0AJ}), porting=True))
    for i, row in enumerate(rows):
        if row.is_blank():
            continue
        row_errors = {}
        base = base_map.get(phone.normalise(str(row.base)))
        if base is None:
            row_errors["base"] = _("基本契約番号を選択してください。")
        number = numbers[i]
        try:
            phone.validate(number, kind=phone.KIND_0AJ)
        except Exception as exc:  # ValidationError with the reason
            row_errors["number"] = getattr(exc, "messages", [str(exc)])[0] + _("（番号ポータビリティは0AJ番号です）")
        else:
            if e2.rule == "E2":
                row_errors["number"] = Refusal(f"[E2] {e2.reason}", "E2")
            elif number in taken:
                row_errors["number"] = _("%(n)s はすでにご利用中または登録済みの番号です。") % {"n": number}
            elif number in seen:
                row_errors["number"] = _("%(n)s はNo.%(no)sにも入力されています。") % {
                    "n": number, "no": seen[number] + 1}
            elif base is not None and phone.area_code(number) != issue_area_code(base):
                row_errors["number"] = _(
                    "%(n)s は基本契約番号 %(base)s の市外局番（%(area)s）の番号ではありません。") % {
                    "n": number, "base": base.number, "area": issue_area_code(base)}
        seen.setdefault(number, i)
        texts = {f: str(getattr(row, f)).strip() for f in PortRow.FIELDS}
        if not texts["carrier1"]:
            row_errors["carrier1"] = _("電話事業者名1を入力してください。")
        for f in ("carrier1", "carrier2", "holder_name", "address_text", "contractor_address"):
            if len(texts[f]) > TEXT_MAX:
                row_errors[f] = _("%(n)s文字以内で入力してください。") % {"n": TEXT_MAX}
        if texts["line_type"] not in line_types:
            row_errors["line_type"] = _("回線種別を選択してください。")
        if texts["holder"] not in ("same", "other"):
            row_errors["holder"] = _("回線名義を選択してください。")
        elif texts["holder"] == "other":
            if not texts["holder_name"]:
                row_errors["holder_name"] = _("回線名義を入力してください。")
            if not texts["contractor_address"]:
                row_errors["contractor_address"] = _("回線名義がIP Voiceと異なる場合は、契約者住所を入力してください。")
        if texts["address"] not in ("same", "other"):
            row_errors["address"] = _("設置場所住所を選択してください。")
        elif texts["address"] == "other" and not texts["address_text"]:
            row_errors["address_text"] = _("設置場所住所を入力してください。")
        if texts["line_type"] == "isdn" and texts["dsu"] not in ("要", "不要"):
            row_errors["dsu"] = _("ISDN回線の場合は、DSU/配線等の撤去（要・不要）を選択してください。")
        if row_errors:
            errors[i] = row_errors
            continue
        cleaned.append(PortRow(**{
            **texts, "base": base.number, "number": number,
            "holder_name": texts["holder_name"] if texts["holder"] == "other" else "",
            "address_text": texts["address_text"] if texts["address"] == "other" else "",
            "contractor_address": texts["contractor_address"] if texts["holder"] == "other" else "",
            "dsu": texts["dsu"] if texts["line_type"] == "isdn" else "",
            "line_type_label": line_types[texts["line_type"]],
        }))
    if not cleaned and not errors:
        errors["rows"] = _("番号ポータビリティで追加する番号を1件以上入力してください。")
    if remaining not in ("有", "無"):
        errors["remaining"] = _("残置番号の有無を選択してください。")
    elif remaining == "有":
        kept = [r for r in remaining_rows if str(r.number).strip()]
        if not kept:
            errors["remaining_rows"] = _("残置番号が「有」の場合は、残回線構成表を入力してください。")
        for r in kept:
            try:
                phone.validate(str(r.number))
            except Exception as exc:
                errors["remaining_rows"] = getattr(exc, "messages", [str(exc)])[0]
    return cleaned, errors


# --- 犯罪収益移転防止法に関するご確認 (AML) -----------------------------------------------------

AML_PERSON_MAX, AML_DEPT_MAX = 20, 40


def aml_applies(*, contract: VoiceContract, items: list[Item]) -> bool:
    """Shown for a cloud plan adding new 0ABJ numbers (not for ported ones)."""
    return contract.is_cloud and any(phone.KIND_0AJ in item.new_number_kinds() for item in items)


def aml_check(*, data: AmlAnswers, has_file: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.changed not in ("変更なし", "変更あり"):
        errors["aml_changed"] = _("前回確認時からの変更の有無を選択してください。")
    for key, label, limit in (("person", _("取引担当者名（確認用）"), AML_PERSON_MAX),
                              ("dept", _("送付先部署名"), AML_DEPT_MAX),
                              ("recipient", _("送付先ご担当者名"), AML_PERSON_MAX)):
        value = getattr(data, key)
        if not value:
            errors[f"aml_{key}"] = _("%(label)sを入力してください。") % {"label": label}
        elif len(value) > limit or not is_full_width(value):
            errors[f"aml_{key}"] = _("%(label)sは全角%(n)s文字以内で入力してください。") % {"label": label, "n": limit}
    if not has_file:
        errors["aml_file"] = _("取引時確認記録登録申込書をアップロードしてください。")
    return errors
