"""Contracts, base numbers, number stock and reservation codes.

A telephone number lives in exactly one of three tables at a time: free in `StockNumber`,
held for a code in `ReservedNumber`, or in use as a `DialInNumber` (base numbers are checked
too). Unique constraints guard each table; database triggers (migration 0002) guard across them.
This app knows nothing of orders.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from numbering import phone
from portal import clock
from portal.models import Organisation


class NumberKind(models.TextChoices):
    OAJ = phone.KIND_0AJ, _("0AJ番号")
    IP050 = phone.KIND_050, _("050番号")


def number_format_check(name: str, *, kind_field: str | None = "kind") -> models.CheckConstraint:
    """0AJ numbers are ten digits, 050 numbers eleven digits starting 050 + a non-zero digit."""
    if kind_field is None:
        condition = Q(number__regex=phone.REGEX_0AJ) | Q(number__regex=phone.REGEX_050)
    else:
        condition = Q(**{kind_field: phone.KIND_0AJ}, number__regex=phone.REGEX_0AJ) | Q(
            **{kind_field: phone.KIND_050}, number__regex=phone.REGEX_050
        )
    return models.CheckConstraint(condition=condition, name=name)


class VoiceGroup(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="voice_groups",
        verbose_name=_("お客様"),
    )
    group_id = models.CharField(_("音声グループID"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("音声グループ")
        verbose_name_plural = _("音声グループ")
        ordering = ["group_id"]

    def __str__(self) -> str:
        return self.group_id


class ServiceType(models.TextChoices):
    UNIVERSAL_ONE = "universal_one", "Arcstar IP Voice (Universal One)"
    WIRELESS = "wireless", "IP Voice ワイヤレス"
    SMART_PBX = "smart_pbx", "IP Voice (Smart PBX)"


class Plan(models.TextChoices):
    STANDARD = "standard", _("通常タイプ")
    CLOUD = "cloud", _("クラウドプラン")


class VoiceContract(models.Model):
    voice_group = models.ForeignKey(
        VoiceGroup, on_delete=models.PROTECT, related_name="contracts",
        verbose_name=_("音声グループID"),
    )
    number = models.CharField(_("音声契約番号"), max_length=10, unique=True, help_text="N140000123")
    service_type = models.CharField(
        _("サービスタイプ"), max_length=20, choices=ServiceType.choices,
        default=ServiceType.UNIVERSAL_ONE,
    )
    plan = models.CharField(
        _("プラン"), max_length=10, choices=Plan.choices, default=Plan.STANDARD,
        help_text=_("クラウドプランは Arcstar IP Voice (Universal One) のみ。"),
    )
    members_net = models.BooleanField(_("メンバーズネット契約"), default=False)
    oaj_used = models.BooleanField(
        _("0AJ番号利用実績"), default=False,
        help_text=_("この音声契約で0AJ番号を利用したことがある（初回の0AJ番号開通で設定）。"),
    )
    emergency_area = models.BooleanField(_("緊急通報エリア対象"), default=False)
    holder_name = models.CharField(_("IP Voice名義"), max_length=200)
    installation_address = models.CharField(_("設置場所住所"), max_length=300)
    area_code = models.CharField(
        _("市外局番"), max_length=5, blank=True,
        help_text=_("基本契約番号が050番号の契約で、0AJ番号を払い出す市外局番（例: 03）。"),
    )
    operator_note = models.CharField(
        _("オペレーター向けメモ"), max_length=300, blank=True,
        help_text=_("お客様には表示されません。デモで示すルールなど。"),
    )
    started_on = models.DateField(_("契約開始日"), null=True, blank=True)

    class Meta:
        verbose_name = _("音声契約（N番）")
        verbose_name_plural = _("音声契約（N番）")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__regex=r"^N[0-9]{9}$"), name="contract_number_format"),
            models.CheckConstraint(
                condition=Q(plan=Plan.STANDARD) | Q(service_type=ServiceType.UNIVERSAL_ONE),
                name="cloud_plan_only_on_universal_one",
            ),
            models.CheckConstraint(
                condition=Q(area_code="") | Q(area_code__regex=r"^0[1-9][0-9]{0,3}$"),
                name="contract_area_code_format",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_cloud(self) -> bool:
        return self.service_type == ServiceType.UNIVERSAL_ONE and self.plan == Plan.CLOUD

    @property
    def type_label(self) -> str:
        """The related-information "type" column: クラウド for a cloud plan."""
        return str(_("クラウド")) if self.is_cloud else str(_("通常"))


class NetworkAddress(models.Model):
    """0AJ利用拠点NWアドレス: a network of VoIP terminals that send SIP authentication."""

    contract = models.ForeignKey(
        VoiceContract, on_delete=models.CASCADE, related_name="network_addresses",
        verbose_name=_("音声契約番号"),
    )
    network = models.GenericIPAddressField(_("ネットワークアドレス"), protocol="IPv4")
    prefix_length = models.PositiveSmallIntegerField(_("サブネットマスク"))

    class Meta:
        verbose_name = _("0AJ利用拠点NWアドレス")
        verbose_name_plural = _("0AJ利用拠点NWアドレス")
        ordering = ["contract", "network"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "network", "prefix_length"], name="unique_nw_address"),
            models.CheckConstraint(
                condition=Q(prefix_length__gte=1, prefix_length__lte=32), name="nw_prefix_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}/{self.prefix_length}"

    def clean(self) -> None:
        import ipaddress

        from django.core.exceptions import ValidationError

        if self.network and self.prefix_length:
            try:
                ipaddress.IPv4Network(f"{self.network}/{self.prefix_length}")
            except ValueError:
                raise ValidationError(
                    {"network": _("ネットワークアドレスとサブネットマスクの組み合わせが正しくありません。")}
                ) from None


class BaseNumber(models.Model):
    contract = models.ForeignKey(
        VoiceContract, on_delete=models.PROTECT, related_name="base_numbers",
        verbose_name=_("音声契約番号"),
    )
    number = models.CharField(_("基本契約番号"), max_length=11, unique=True)
    kind = models.CharField(_("番号種別"), max_length=3, choices=NumberKind.choices)
    representative_size = models.PositiveIntegerField(
        _("代表グループ番号数"), null=True, blank=True, default=None,
        help_text=_("この基本契約番号の代表グループ（代表）に属する番号の数。空欄は代表グループに属さない"
                    "（E8の対象外）。開通した番号はグループに加わります。"),
    )

    class Meta:
        verbose_name = _("基本契約番号")
        verbose_name_plural = _("基本契約番号")
        ordering = ["number"]
        constraints = [number_format_check("base_number_format")]

    def __str__(self) -> str:
        return self.number


class DialInStatus(models.TextChoices):
    ACTIVE = "active", _("利用中")
    SUSPENDED = "suspended", _("休止中")


class DialInNumber(models.Model):
    # Unique by a constraint, not unique=True: that would add a second (varchar_pattern_ops) index
    # on PostgreSQL that no query uses (number searches are contains, never a prefix) and that every
    # issued number pays for.
    number = models.CharField(_("ダイヤルイン番号"), max_length=11)
    kind = models.CharField(_("番号種別"), max_length=3, choices=NumberKind.choices)
    # The reference is enforced by the table's statement-level guard (migration 0007), not by a
    # per-row foreign key: one check and one key-share lock per base number and statement instead
    # of one per issued number, which cost a third of the insert at 20,000 numbers.
    base_number = models.ForeignKey(
        BaseNumber, on_delete=models.PROTECT, related_name="dial_ins", db_constraint=False,
        verbose_name=_("基本契約番号"),
    )
    status = models.CharField(
        _("状態"), max_length=10, choices=DialInStatus.choices, default=DialInStatus.ACTIVE
    )
    activated_on = models.DateField(_("開通日"), null=True, blank=True)
    source = models.CharField(
        _("払い出し元"), max_length=40, blank=True,
        help_text=_("この番号を払い出した申込のリクエストIDなど。"),
    )
    # Options (付加機能), "契約しない" by default.
    message_box = models.BooleanField(_("メッセージボックス"), default=False)
    anonymous_call_rejection = models.BooleanField(_("非通知着信拒否"), default=False)
    nuisance_call_rejection = models.BooleanField(_("迷惑電話お断り"), default=False)
    specific_number_notification = models.CharField(
        _("特定番号通知（通知番号）"), max_length=11, blank=True
    )
    forwarding_specific_number = models.CharField(
        _("転送先特定番号（転送先）"), max_length=11, blank=True
    )

    class Meta:
        verbose_name = _("ダイヤルイン番号")
        verbose_name_plural = _("ダイヤルイン番号")
        ordering = ["number"]
        indexes = [
            models.Index(fields=["base_number", "number"], name="dialin_base_number_idx"),
            models.Index(fields=["source", "number"], name="dialin_source_idx"),  # issued per request
        ]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="dialin_number_unique"),
            number_format_check("dialin_number_format"),
            # O1, O2, O3 also hold in the database.
            models.CheckConstraint(
                condition=Q(specific_number_notification="") | Q(forwarding_specific_number=""),
                name="o1_no_notification_with_forwarding",
            ),
            models.CheckConstraint(
                condition=Q(forwarding_specific_number="") | ~Q(kind=phone.KIND_050),
                name="o2_no_forwarding_on_050",
            ),
            models.CheckConstraint(
                condition=Q(forwarding_specific_number="") | Q(message_box=False),
                name="o3_no_forwarding_with_message_box",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class StockNumber(models.Model):
    """A free number, ready to be issued. Issuance moves it out of this table."""

    number = models.CharField(_("電話番号"), max_length=11, unique=True)
    kind = models.CharField(_("番号種別"), max_length=3, choices=NumberKind.choices)
    area_code = models.CharField(_("市外局番"), max_length=5)

    class Meta:
        verbose_name = _("番号在庫（空き番号）")
        verbose_name_plural = _("番号在庫（空き番号）")
        ordering = ["number"]
        indexes = [models.Index(fields=["kind", "area_code", "number"], name="stock_pick_idx")]
        constraints = [
            number_format_check("stock_number_format"),
            models.CheckConstraint(
                condition=Q(kind=phone.KIND_0AJ) | Q(area_code="050"), name="stock_050_area_code"
            ),
            models.CheckConstraint(
                condition=Q(kind=phone.KIND_050) | Q(area_code__regex=r"^0[1-9][0-9]{0,3}$"),
                name="stock_0aj_area_code",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ReservationCode(models.Model):
    """番号予約コード: issued by sales for a set of numbers of one contract.

    Held at submit, used up at activation (once; the database refuses a second use),
    released if the order is cancelled, and may expire.
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", _("利用可能")
        HELD = "held", _("申込中（保留）")
        USED = "used", _("使用済み")

    code = models.CharField(_("番号予約コード"), max_length=20, unique=True)
    contract = models.ForeignKey(
        VoiceContract, on_delete=models.PROTECT, related_name="reservation_codes",
        verbose_name=_("音声契約番号"),
    )
    expires_at = models.DateTimeField(_("有効期限"))
    status = models.CharField(
        _("状態"), max_length=10, choices=Status.choices, default=Status.AVAILABLE
    )
    held_by = models.CharField(_("保留中の申込"), max_length=40, blank=True)
    used_at = models.DateTimeField(_("使用日時"), null=True, blank=True)
    used_by = models.CharField(_("使用した申込"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("発行日時"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("番号予約コード")
        verbose_name_plural = _("番号予約コード")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z0-9]{6,20}$"), name="reservation_code_format"),
            models.CheckConstraint(
                condition=(Q(status="used") & Q(used_at__isnull=False) & ~Q(used_by=""))
                | (~Q(status="used") & Q(used_at__isnull=True) & Q(used_by="")),
                name="reservation_code_used_fields",
            ),
            models.CheckConstraint(
                condition=Q(status="held") | Q(held_by=""), name="reservation_code_held_by"
            ),
            # A held code always names the order holding it.
            models.CheckConstraint(
                condition=~Q(status="held") | ~Q(held_by=""), name="reservation_code_held_has_holder"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ReservedNumber(models.Model):
    """A number set aside for a reservation code; issued (moved out) when the code is used."""

    code = models.ForeignKey(
        ReservationCode, on_delete=models.CASCADE, related_name="numbers",
        verbose_name=_("番号予約コード"),
    )
    number = models.CharField(_("予約番号"), max_length=11, unique=True)
    kind = models.CharField(_("番号種別"), max_length=3, choices=NumberKind.choices)
    area_code = models.CharField(_("市外局番"), max_length=5)

    class Meta:
        verbose_name = _("予約番号")
        verbose_name_plural = _("予約番号")
        ordering = ["number"]
        constraints = [number_format_check("reserved_number_format")]

    def __str__(self) -> str:
        return self.number


class FreephoneLink(models.Model):
    """フリーダイヤル・ナビダイヤル紐付: read by rule O4 (特定番号通知)."""

    class Kind(models.TextChoices):
        FREEPHONE = "freephone", _("フリーダイヤル")
        NAVI_DIAL = "navi_dial", _("ナビダイヤル")

    contract = models.ForeignKey(
        VoiceContract, on_delete=models.CASCADE, related_name="freephone_links",
        verbose_name=_("音声契約番号"),
    )
    kind = models.CharField(_("種別"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("番号"), max_length=11)
    completed_on = models.DateField(
        _("紐付工事完了日"), null=True, blank=True,
        help_text=_("空欄は紐付工事が未完了。"),
    )

    class Meta:
        verbose_name = _("フリーダイヤル・ナビダイヤル紐付")
        verbose_name_plural = _("フリーダイヤル・ナビダイヤル紐付")
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="unique_freephone_link"),
            models.CheckConstraint(
                condition=(Q(kind="freephone") & Q(number__regex=r"^0(120[0-9]{6}|800[0-9]{7})$"))
                | (Q(kind="navi_dial") & Q(number__regex=r"^0570[0-9]{6}$")),
                name="freephone_link_number_format",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_complete_by(self, day) -> bool:
        return self.completed_on is not None and self.completed_on <= day

