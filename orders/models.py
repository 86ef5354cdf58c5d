"""Orders (お申し込み) with an explicit status table and a timeline of who changed what."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from numbering.models import Organisation, VoiceContract


class Channel(models.TextChoices):
    PORTAL = "portal", _("ビジネスポータル")
    SALES = "sales", _("営業経由")


class Flow(models.TextChoices):
    IMMEDIATE = "immediate", _("お申し込み直後に開通するお申し込み")
    SCHEDULED = "scheduled", _("工事日を指定するお申し込み")
    SALES = "sales", _("弊社営業担当経由のお申し込み")


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("受付済")
    IN_CONSTRUCTION = "in_construction", _("工事中")
    ACTIVATED = "activated", _("工事了")
    COMPLETED = "completed", _("竣工")
    CANCELLED = "cancelled", _("キャンセル")
    ERROR = "error", _("エラー")


# The status table: every allowed move. order_set_status refuses anything else.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ACCEPTED: frozenset({Status.IN_CONSTRUCTION, Status.CANCELLED, Status.ERROR}),
    Status.IN_CONSTRUCTION: frozenset({Status.ACTIVATED, Status.ERROR}),
    Status.ACTIVATED: frozenset({Status.COMPLETED, Status.ERROR}),
    Status.ERROR: frozenset({Status.ACCEPTED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}
OPEN_STATUSES = (Status.ACCEPTED, Status.IN_CONSTRUCTION, Status.ACTIVATED, Status.ERROR)


class RequestIdSequence(models.Model):
    """One row per request ID handed out: the ID exists before any work on the order starts."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.pk)


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.CharField(_("リクエストID"), max_length=20, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="orders", verbose_name=_("お客様")
    )
    contract = models.ForeignKey(
        VoiceContract, on_delete=models.PROTECT, related_name="orders",
        verbose_name=_("音声契約番号"),
    )
    channel = models.CharField(_("申込経路"), max_length=10, choices=Channel.choices,
                               default=Channel.PORTAL)
    flow = models.CharField(_("申込方法"), max_length=10, choices=Flow.choices)
    kind_label = models.CharField(_("オプション"), max_length=100, default="ダイヤルイン番号の追加")
    status = models.CharField(_("ステータス"), max_length=20, choices=Status.choices,
                              default=Status.ACCEPTED)
    draft_id = models.UUIDField(
        _("下書きID"), null=True, blank=True, unique=True,
        help_text=_("同じ下書きからの二重申込を防ぎます。"),
    )
    submitted_at = models.DateTimeField(_("申し込み日時"))
    scheduled_on = models.DateField(_("開通予定日"), null=True, blank=True)
    activated_on = models.DateField(_("開通日"), null=True, blank=True)
    completion_due_on = models.DateField(_("竣工予定日"), null=True, blank=True)
    completed_on = models.DateField(_("竣工日"), null=True, blank=True)
    contact_name = models.CharField(_("ご担当者名"), max_length=100, blank=True)
    contact_department = models.CharField(_("部署名"), max_length=100, blank=True)
    contact_phone = models.CharField(_("電話番号"), max_length=20, blank=True)
    contact_email = models.EmailField(_("メールアドレス"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("申込者"),
    )

    class Meta:
        verbose_name = _("お申し込み")
        verbose_name_plural = _("お申し込み")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["organisation", "-submitted_at"], name="order_history_idx"),
            models.Index(fields=["contract", "status"], name="order_contract_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel=Channel.PORTAL) | Q(flow=Flow.SALES), name="sales_channel_is_sales_flow"
            ),
        ]

    def __str__(self) -> str:
        return self.request_id


class OrderEvent(models.Model):
    """The order's timeline: each status change and who or what made it."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("お客様")
        WORKER = "worker", _("開通処理（ネットワーク）")
        OPERATOR = "operator", _("オペレーター")
        SYSTEM = "system", _("システム")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("日時"))
    from_status = models.CharField(_("変更前"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("変更後"), max_length=20, choices=Status.choices)
    actor = models.CharField(_("実行者"), max_length=10, choices=Actor.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    note = models.CharField(_("メモ"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ステータス履歴")
        verbose_name_plural = _("ステータス履歴")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} → {self.to_status}"
