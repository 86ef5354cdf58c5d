"""Checks of the scheduled flow (工事日を指定するお申し込み): options O1–O4, the 0AJ site NW
addresses, the desired date, time and reason. Each returns Japanese messages by field."""

import datetime as dt
import ipaddress
import re
import unicodedata

from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import FreephoneLink, NetworkAddress, VoiceContract
from orders.models import OPTION_FIELDS
from portal import business_days

FREEPHONE = re.compile(r"^0(120[0-9]{6}|800[0-9]{7}|570[0-9]{6})$")
MAX_QUANTITY_SCHEDULED = 999
WORK_START, WORK_END = dt.time(8, 30), dt.time(17, 0)
REASON_MAX = 175


def options_clean(*, kind: str, raw: dict) -> tuple[dict, dict[str, str]]:
    """Options of one row (red box) or number (blue box); O1–O3 refused with the rule named."""
    options = {
        "message_box": bool(raw.get("message_box")),
        "anonymous_call_rejection": bool(raw.get("anonymous_call_rejection")),
        "nuisance_call_rejection": bool(raw.get("nuisance_call_rejection")),
        "specific_number_notification": phone.normalise(str(raw.get("specific_number_notification") or ""))
        if raw.get("notification_on") else "",
        "forwarding_specific_number": phone.normalise(str(raw.get("forwarding_specific_number") or ""))
        if raw.get("forwarding_on") else "",
    }
    errors: dict[str, str] = {}
    notification, forwarding = options["specific_number_notification"], options["forwarding_specific_number"]
    if raw.get("notification_on") and not FREEPHONE.match(notification):
        errors["specific_number_notification"] = _(
            "通知する番号は、フリーダイヤル（0120・0800）またはナビダイヤル（0570）の番号を入力してください。")
    if raw.get("forwarding_on") and not re.match(r"^0[0-9]{9,10}$", forwarding):
        errors["forwarding_specific_number"] = _("転送先の電話番号を10桁または11桁の数字で入力してください。")
    if forwarding and kind == phone.KIND_050:
        errors["forwarding_specific_number"] = _("050番号には転送先特定番号をお申し込みいただけません（O2）。")
    elif forwarding and notification:
        errors["forwarding_specific_number"] = _(
            "転送先特定番号と特定番号通知は、同じ番号に同時にお申し込みいただけません（O1）。")
    elif forwarding and options["message_box"]:
        errors["forwarding_specific_number"] = _(
            "転送先特定番号とメッセージボックスは、同時にお申し込みいただけません（O3）。")
    return options, errors


def options_summary(options: dict) -> list[str]:
    labels = {"message_box": _("メッセージボックス"), "anonymous_call_rejection": _("非通知着信拒否"),
              "nuisance_call_rejection": _("迷惑電話お断り")}
    parts = [label for key, label in labels.items() if options.get(key)]
    if options.get("specific_number_notification"):
        parts.append(_("特定番号通知（%(n)s）") % {"n": options["specific_number_notification"]})
    if options.get("forwarding_specific_number"):
        parts.append(_("転送先特定番号（%(n)s）") % {"n": options["forwarding_specific_number"]})
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


def network_rows_check(*, contract: VoiceContract, rows: list[dict], required: bool) -> tuple[list[dict], dict]:
    """0AJ利用拠点NWアドレス情報: rows of (add/delete, IPv4 network, prefix length)."""
    registered = {f"{a.network}/{a.prefix_length}" for a in NetworkAddress.objects.filter(contract=contract)}
    cleaned, errors = [], {}
    seen = set()
    for i, row in enumerate(rows):
        network, prefix = str(row.get("network") or "").strip(), phone.normalise(str(row.get("prefix") or ""))
        action = row.get("action") or "add"
        if not network and not prefix:
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
            cleaned.append({"action": action, "network": str(net.network_address), "prefix": net.prefixlen})
    if required and not registered and not any(r["action"] == "add" for r in cleaned) and not errors:
        errors["rows"] = _("0AJ番号をご利用いただくため、0AJ利用拠点NWアドレスを1件以上入力してください。")
    return cleaned, errors


def date_check(*, day: dt.date | None, earliest: dt.date, time: str, reason: str,
               porting: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if day is None:
        errors["date"] = _("工事希望年月日を入力してください。")
        return errors
    if day < earliest:
        errors["date"] = _("工事希望年月日は最短納期日（%(d)s）以降の日付を指定してください。") % {
            "d": earliest.isoformat()}
    outside = not business_days.is_business_day(day)
    if porting:
        if not re.match(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", time or ""):
            errors["time"] = _("工事希望時間を「09:00」の形式で入力してください。")
        else:
            at = dt.time.fromisoformat(time)
            outside = outside or not (WORK_START <= at <= WORK_END)
    if outside and not reason:
        errors["reason"] = _("平日8:30～17:00以外、または土日休日の実施をご希望の場合は、理由を入力してください。")
    elif reason and (len(reason) > REASON_MAX or not is_full_width(reason)):
        errors["reason"] = _("理由は全角%(n)s文字以内で入力してください。") % {"n": REASON_MAX}
    return errors


OPTION_KEYS = OPTION_FIELDS
