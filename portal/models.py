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


class WebhookEndpoint(models.Model):
    """Where an organisation's program wants to be told what happens (Standard Webhooks): its URL,
    which events (none listed: all), the signing secret (`whsec_…`; during a rotation the previous
    one signs too until `previous_until`), and whether it is still sent to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.DB_CASCADE, related_name="webhook_endpoints",
                                     verbose_name=_("お客様"))
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("説明"), max_length=200, blank=True)
    events = models.JSONField(_("イベント"), default=list, blank=True)
    secret = models.CharField(_("署名シークレット"), max_length=80)
    previous_secret = models.CharField(_("以前の署名シークレット"), max_length=80, blank=True)
    previous_until = models.DateTimeField(_("以前のシークレットの有効期限"), null=True, blank=True)
    enabled = models.BooleanField(_("有効"), default=True)
    disabled_reason = models.CharField(_("停止の理由"), max_length=200, blank=True)
    failing_since = models.DateTimeField(_("失敗が続いている開始日時"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("Webhook エンドポイント")
        verbose_name_plural = _("Webhook エンドポイント")
        ordering = ["organisation", "pk"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.enabled and (not self.events or event_type in self.events)


class WebhookEvent(models.Model):
    """Something that happened to an organisation's order (or clock), as its programs are told:
    `webhook-id` is `msg_id`; `occurred_at` is the organisation's clock time; `subject` (a request
    ID) keeps one order's events in order."""

    msg_id = models.CharField(_("メッセージID"), max_length=40, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.DB_CASCADE, related_name="webhook_events",
                                     verbose_name=_("お客様"))
    type = models.CharField(_("種類"), max_length=40)
    subject = models.CharField(_("対象"), max_length=40, blank=True)
    occurred_at = models.DateTimeField(_("発生日時"))
    data = models.JSONField(_("内容"), default=dict)

    class Meta:
        verbose_name = _("Webhook イベント")
        verbose_name_plural = _("Webhook イベント")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class WebhookDelivery(models.Model):
    """One event to one endpoint: at least once, retried on the Standard Webhooks schedule, in
    event order per subject; every attempt is logged (WebhookAttempt)."""

    class State(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        DELIVERED = "delivered", _("送信済み")
        FAILED = "failed", _("送信失敗")

    event = models.ForeignKey(WebhookEvent, on_delete=models.DB_CASCADE, related_name="deliveries",
                              verbose_name=_("イベント"))
    # Removed with their endpoint by the database itself, in its one DELETE: a delivery or attempt
    # a worker writes meanwhile never makes the removal fail (Django's own cascade would select the
    # rows first and then trip over one inserted since).
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.DB_CASCADE, related_name="deliveries",
                                 verbose_name=_("エンドポイント"))
    state = models.CharField(_("状態"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の試行（実時刻）"), db_index=True)
    claimed_at = models.DateTimeField(_("送信処理の開始（実時刻）"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送信日時（実時刻）"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最後の応答ステータス"), null=True, blank=True)

    class Meta:
        verbose_name = _("Webhook 送信")
        verbose_name_plural = _("Webhook 送信")
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_event_endpoint")]
        indexes = [models.Index(fields=["endpoint", "state"], name="webhook_delivery_state_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One try of a delivery: when (real time), the answer's status, how long, what it said."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.DB_CASCADE, related_name="attempt_log",
                                 verbose_name=_("送信"))
    at = models.DateTimeField(_("日時"))
    status_code = models.PositiveSmallIntegerField(_("応答ステータス"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("所要時間（ミリ秒）"), default=0)
    response_body = models.TextField(_("応答本文（先頭 2 KB）"), blank=True)
    error = models.CharField(_("エラー"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Webhook 送信の試行")
        verbose_name_plural = _("Webhook 送信の試行")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


class WebhookInbox(models.Model):
    """The organisation's built-in receiver (受信箱): a secret URL inside the portal that accepts
    deliveries, verifies them with the endpoint's secret and shows them — for demos without any
    other program."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="webhook_inbox",
                                        verbose_name=_("お客様"))
    token = models.CharField(_("受信箱のトークン"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("Webhook 受信箱")
        verbose_name_plural = _("Webhook 受信箱")

    def __str__(self) -> str:
        return str(self.organisation)


class WebhookInboxMessage(models.Model):
    """One delivery the built-in receiver got, as it got it, and whether its signature held."""

    inbox = models.ForeignKey(WebhookInbox, on_delete=models.CASCADE, related_name="messages",
                              verbose_name=_("受信箱"))
    received_at = models.DateTimeField(_("受信日時"))
    msg_id = models.CharField(_("webhook-id"), max_length=100, blank=True)
    type = models.CharField(_("種類"), max_length=40, blank=True)
    verified = models.BooleanField(_("署名の検証"), default=False)
    body = models.TextField(_("本文"))

    class Meta:
        verbose_name = _("Webhook 受信内容")
        verbose_name_plural = _("Webhook 受信内容")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"


class OrganisationClock(models.Model):
    """An organisation's own test clock (Stripe's test clocks): an offset from real time that moves
    only that organisation's business — its dates, due work, mails and events — never another's.
    Without one, the organisation follows the installation's demo clock (DemoClock). `status` is
    `advancing` while an advance runs the work that became due, then `ready`."""

    class Status(models.TextChoices):
        READY = "ready", _("完了")
        ADVANCING = "advancing", _("進行中")

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="clock",
                                        verbose_name=_("お客様"))
    offset_seconds = models.BigIntegerField(_("進めた秒数"), default=0)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.READY)
    advancing_to = models.DateTimeField(_("進める先"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("テスト時計")
        verbose_name_plural = _("テスト時計")
        constraints = [models.CheckConstraint(condition=models.Q(offset_seconds__gte=0),
                                              name="organisation_clock_only_forward")]

    def __str__(self) -> str:
        return f"{self.organisation}: +{self.offset_seconds}s"
