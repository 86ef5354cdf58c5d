from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal import clock


class Organisation(models.Model):
    """A customer (お客様): the tenant every contract, order and user belongs to."""

    code = models.CharField(_("お客様番号"), max_length=20, unique=True)
    name = models.CharField(_("お客様名"), max_length=200)
    created_at = models.DateTimeField(_("登録日時"), default=clock.now, editable=False)

    class Meta:
        db_table = "numbering_organisation"  # where it was made; moving the table gains nothing
        verbose_name = _("お客様（契約者）")
        verbose_name_plural = _("お客様（契約者）")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class User(AbstractUser):
    """A portal user. Customers belong to one organisation; operators (staff) to none."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="users", verbose_name=_("お客様"),
    )
    department = models.CharField(_("部署名"), max_length=100, blank=True)
    phone = models.CharField(_("電話番号"), max_length=20, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("ポータル利用者")
        verbose_name_plural = _("ポータル利用者")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(is_staff=True),
                name="customer_user_has_organisation",
                violation_error_message=_(
                    "お客様の利用者にはお客様（組織）を設定してください（スタッフを除く）。"
                ),
            ),
        ]

    def get_full_name(self) -> str:
        """Japanese order: family name first."""
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def is_customer(self) -> bool:
        return self.organisation_id is not None


class WorkerHeartbeat(models.Model):
    """Last sign of life from the task worker (the simulated carrier network)."""

    name = models.CharField(_("名前"), max_length=50, unique=True)
    seen_at = models.DateTimeField(_("最終応答日時"))
    hostname = models.CharField(_("ホスト名"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ワーカー稼働状況")
        verbose_name_plural = _("ワーカー稼働状況")

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class DemoClock(models.Model):
    """The demo environment's clock: an offset from real time that operators move forward, like
    a test clock, so a scheduled order reaches activation and 竣工 in minutes. One row (pk 1).
    Ignored unless PORTAL_DEMO_CLOCK is on (never in production settings)."""

    offset_seconds = models.BigIntegerField(_("進めた秒数"), default=0)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("デモ時計")
        verbose_name_plural = _("デモ時計")
        constraints = [models.CheckConstraint(condition=models.Q(offset_seconds__gte=0),
                                              name="demo_clock_only_forward")]

    def __str__(self) -> str:
        return f"+{self.offset_seconds}s"


class ApiKey(models.Model):
    """A key a program uses to act for one user of one organisation (API キー). Only its SHA-256
    digest is kept (a key is 256 random bits: a fast hash is as safe as a slow one and costs
    nothing per request) and a prefix to recognise it by; the key itself is shown once."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_keys",
                                     verbose_name=_("お客様"))
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("利用者"))
    name = models.CharField(_("名前"), max_length=100)
    prefix = models.CharField(_("キーの先頭"), max_length=16)
    digest = models.CharField(_("ハッシュ（SHA-256）"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("作成日時"), default=clock.now, editable=False)
    last_used_at = models.DateTimeField(_("最終利用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("API キー")
        verbose_name_plural = _("API キー")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="api_key_org_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of an organisation (IETF draft "The Idempotency-Key HTTP Header
    Field"): the request's fingerprint, whether it is still running, and its response to replay.
    Kept 24 hours of real time (never the demo clock), then swept."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("処理中")
        DONE = "done", _("完了")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("お客様"))
    key = models.CharField(_("Idempotency-Key"), max_length=255)
    fingerprint = models.CharField(_("リクエストの指紋"), max_length=64)
    method = models.CharField(_("メソッド"), max_length=10)
    path = models.CharField(_("パス"), max_length=300)
    state = models.CharField(_("状態"), max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(_("応答ステータス"), null=True, blank=True)
    response_body = models.BinaryField(_("応答本文"), default=bytes)
    response_headers = models.JSONField(_("応答ヘッダー"), default=dict)
    created_at = models.DateTimeField(_("作成日時（実時刻）"))
    expires_at = models.DateTimeField(_("有効期限（実時刻）"), db_index=True)

    class Meta:
        verbose_name = _("冪等キー")
        verbose_name_plural = _("冪等キー")
        constraints = [models.UniqueConstraint(fields=["organisation", "key"], name="one_record_per_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_state_display()})"
