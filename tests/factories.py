"""Small builders for test data (plain functions, no magic)."""

from numbering import phone
from numbering.models import BaseNumber, VoiceContract, VoiceGroup
from portal.models import Organisation, User

PASSWORD = "correct-horse-battery"


def organisation(code: str, name: str) -> Organisation:
    return Organisation.objects.create(code=code, name=name)


def customer(username: str, org: Organisation) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, organisation=org, email=f"{username}@example.com"
    )


def operator(username: str) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, is_staff=True, is_superuser=True
    )


def contract(
    org: Organisation, number: str, *, base_numbers: list[str], group_id: str | None = None,
    **fields,
) -> VoiceContract:
    group, _ = VoiceGroup.objects.get_or_create(
        group_id=group_id or f"G{org.code}"[:20], defaults={"organisation": org}
    )
    fields.setdefault("holder_name", org.name)
    fields.setdefault("installation_address", "東京都千代田区1-1")
    voice_contract = VoiceContract.objects.create(voice_group=group, number=number, **fields)
    for n in base_numbers:
        BaseNumber.objects.create(contract=voice_contract, number=n, kind=phone.kind_of(n))
    return voice_contract


def screenshot_path(name: str):
    """Screenshots from browser tests, to look at (var/screenshots/)."""
    from django.conf import settings

    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def nw(*rows):
    """0AJ利用拠点NWアドレス rows as the step's formset posts them: (申込種別, network, prefix)."""
    data = {"nw-TOTAL_FORMS": str(len(rows)), "nw-INITIAL_FORMS": "0"}
    for i, (action, network, prefix) in enumerate(rows):
        data.update({f"nw-{i}-action": action, f"nw-{i}-network": network, f"nw-{i}-prefix": prefix})
    return data


def table(box, *rows):
    """A screen table's rows as its formset posts them (`<box>-TOTAL_FORMS`, `<box>-<i>-<field>`)."""
    data = {f"{box}-TOTAL_FORMS": str(len(rows)), f"{box}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"{box}-{i}-{name}": value for name, value in row.items()})
    return data


def content(red=(), blue=(), **extra):
    """追加する番号の内容 as posted: red rows (base, kind, quantity), blue rows (base, number, code);
    an empty box posts one empty row, as the screen does."""
    red = [dict(zip(("base", "kind", "quantity"), r, strict=True)) for r in red or [("", "", "")]]
    blue = [dict(zip(("base", "number", "code"), b, strict=True)) for b in blue or [("", "", "")]]
    return {**table("red", *red), **table("blue", *blue), **extra}
