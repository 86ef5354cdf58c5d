"""Orders (お申し込み) with an explicit status table and a timeline of who changed what."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from numbering.models import BaseNumber, NumberKind, ReservationCode, VoiceContract, VoiceGroup
from orders.state import BlueRow, Contact, Item, Options, RedRow, Schedule, StateField, load_editing
from portal import clock
from portal.i18n import list_text
from portal.models import Organisation


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


STATUS_LABELS = dict(Status.choices)


# Statuses an order still moves on from by itself (the network's work); pages showing one poll it.
LIVE_STATUSES = frozenset({"accepted", "in_construction", "activated"})


def poll_every(*, flow: str, status: str) -> str:
    """How often a page asks for an order's progress ('' once it is final): an immediate order
    moves in seconds, a scheduled one on its date; one in エラー when an operator resolves it."""
    if status == "error":
        return "5s"
    if status not in LIVE_STATUSES:
        return ""
    return "2s" if flow == Flow.IMMEDIATE else "10s"


def status_label(*, flow: str, status: str) -> str:
    """The status as the history shows it: an immediate order's 竣工 is its activation, so the
    guide's same-day immediate orders read 工事了."""
    if flow == Flow.IMMEDIATE and status == Status.COMPLETED:
        status = Status.ACTIVATED
    return str(STATUS_LABELS.get(status, status))


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

    created_at = models.DateTimeField(_("作成日時"), default=clock.now, editable=False)

    def __str__(self) -> str:
        return str(self.pk)


class OrderKind(models.TextChoices):
    """オプション: what the order adds. The stored value is the guide's Japanese wording (what the
    history has always held); the label is its translation."""

    DIALIN = "ダイヤルイン番号の追加", _("ダイヤルイン番号の追加")
    PORTING = "ダイヤルイン番号の追加（番号ポータビリティ）", _("ダイヤルイン番号の追加（番号ポータビリティ）")


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
    kind_label = models.CharField(_("オプション"), max_length=100, choices=OrderKind.choices,
                                  default=OrderKind.DIALIN)
    language = models.CharField(_("ご連絡の言語"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE,
                                help_text=_("お申し込み時の表示言語。通知メールはこの言語で送ります。"))
    site_url = models.CharField(_("ポータルのURL"), max_length=200, blank=True,
                                help_text=_("お申し込みを受けたサイト。PORTAL_BASE_URL が未設定のとき、"
                                            "メールのリンクはここを指します。"))
    status = models.CharField(_("ステータス"), max_length=20, choices=Status.choices,
                              default=Status.ACCEPTED)
    draft_id = models.UUIDField(
        _("下書きID"), null=True, blank=True,
        help_text=_("同じ下書きからの二重申込を防ぎます（下書き・音声契約番号ごとに1件）。"),
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
    # Why the order is in エラー (an EventNote code with its values, worded in the reader's language);
    # cleared when it is retried.
    error_code = models.CharField(_("エラーの理由"), max_length=30, blank=True)
    error_params = models.JSONField(_("エラーの内容"), default=dict, blank=True)
    # The simulated network (orders.network): failed activation attempts so far and when the next
    # one runs (a transient failure), and the day the losing carrier answers a porting.
    activation_attempts = models.PositiveSmallIntegerField(_("開通処理の失敗回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次の開通処理"), null=True, blank=True)
    network_failures = models.PositiveSmallIntegerField(_("予定された一時的な障害の残り回数"), default=0)
    porting_answer_on = models.DateField(_("移転元事業者の回答予定日"), null=True, blank=True)
    desired_time = models.CharField(_("工事希望時間"), max_length=5, blank=True)
    desired_reason = models.CharField(_("夜間/深夜/土日休日の実施希望理由"), max_length=175, blank=True)
    network_changes = models.JSONField(_("0AJ利用拠点NWアドレス情報"), default=list, blank=True)
    details = models.JSONField(_("その他のお申し込み内容"), default=dict, blank=True,
                               help_text=_("残置番号・残回線構成表、犯罪収益移転防止法に関するご確認など。"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("申込者"),
    )

    class Meta:
        verbose_name = _("お申し込み")
        verbose_name_plural = _("お申し込み")
        ordering = ["-submitted_at"]
        indexes = [
            # The history's order, keyset-paged: (organisation, submitted time, request ID).
            models.Index(fields=["organisation", "-submitted_at", "-request_id"], name="order_history_keyset_idx"),
            models.Index(fields=["contract", "status"], name="order_contract_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel=Channel.PORTAL) | Q(flow=Flow.SALES), name="sales_channel_is_sales_flow"
            ),
            # A draft becomes one order per N番, never two: submitting twice creates nothing more.
            models.UniqueConstraint(fields=["draft_id", "contract"], name="one_order_per_draft_and_contract"),
        ]

    def __str__(self) -> str:
        return self.request_id

    @property
    def status_label(self) -> str:
        return status_label(flow=self.flow, status=self.status)

    @property
    def poll_every(self) -> str:
        return poll_every(flow=self.flow, status=self.status)

    @property
    def error_text(self) -> str:
        """Why the order is in エラー, in the reader's language ('' otherwise)."""
        return note_text(self.error_code, self.error_params) if self.status == Status.ERROR else ""

    @property
    def error_hint(self) -> str:
        """What an operator does about it."""
        hint = OPERATOR_HINTS.get(self.error_code) if self.status == Status.ERROR else None
        return str(hint) % note_params(self.error_params) if hint else ""

    @property
    def is_immediate(self) -> bool:
        return self.flow == Flow.IMMEDIATE

    @property
    def customer_can_cancel(self) -> bool:
        """A scheduled portal order, still 受付済, before its construction date (JST)."""
        from portal import clock

        if self.channel == Channel.PORTAL and self.status == Status.ERROR:
            return True  # it goes nowhere by itself: the customer may give it up
        return (self.channel == Channel.PORTAL and self.flow == Flow.SCHEDULED and self.status == Status.ACCEPTED
                and self.scheduled_on is not None and self.scheduled_on > clock.today())


OPTION_FIELDS = ("message_box", "anonymous_call_rejection", "nuisance_call_rejection",
                 "specific_number_notification", "forwarding_specific_number")


class OrderItem(models.Model):
    """One row of the order content: a quantity of new numbers of a kind (red box), or one
    reserved number with its reservation code (blue box)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("お申し込み"))
    position = models.PositiveIntegerField(_("No."))
    base_number = models.ForeignKey(BaseNumber, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("基本契約番号"))
    kind = models.CharField(_("追加する電話番号"), max_length=3, choices=NumberKind.choices)
    quantity = models.PositiveIntegerField(_("追加番号数"), default=1)
    reservation_code = models.ForeignKey(
        ReservationCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("番号予約コード"),
    )
    reserved_number = models.CharField(_("予約番号"), max_length=11, blank=True)
    ported_number = models.CharField(_("番号ポータビリティの番号"), max_length=11, blank=True)
    port = models.JSONField(_("番号ポータビリティの内容"), default=dict, blank=True)
    # Options (付加機能) for every number of the row; "契約しない" by default.
    message_box = models.BooleanField(_("メッセージボックス"), default=False)
    anonymous_call_rejection = models.BooleanField(_("非通知着信拒否"), default=False)
    nuisance_call_rejection = models.BooleanField(_("迷惑電話お断り"), default=False)
    specific_number_notification = models.CharField(_("特定番号通知（通知番号）"), max_length=11, blank=True)
    forwarding_specific_number = models.CharField(_("転送先特定番号（転送先）"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("お申し込み内容")
        verbose_name_plural = _("お申し込み内容")
        ordering = ["order", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1) & Q(quantity__lte=2000), name="item_quantity_range"),
            models.CheckConstraint(
                condition=Q(reservation_code__isnull=True, reserved_number="")
                | Q(reservation_code__isnull=False, quantity=1) & ~Q(reserved_number=""),
                name="item_reserved_number_with_code",
            ),
            # O1–O3, as on the dial-in numbers themselves.
            models.CheckConstraint(condition=Q(specific_number_notification="") | Q(forwarding_specific_number=""),
                                   name="item_o1_no_notification_with_forwarding"),
            models.CheckConstraint(condition=Q(forwarding_specific_number="") | ~Q(kind="050"),
                                   name="item_o2_no_forwarding_on_050"),
            models.CheckConstraint(condition=Q(forwarding_specific_number="") | Q(message_box=False),
                                   name="item_o3_no_forwarding_with_message_box"),
        ]

    def __str__(self) -> str:
        return f"No.{self.position} {self.base_number_id and self.base_number.number} {self.kind} × {self.quantity}"

    @property
    def options(self) -> Options:
        return Options(**{name: getattr(self, name) for name in OPTION_FIELDS})


class Draft(models.Model):
    """A wizard in progress (作成中): a row of its own, so two tabs or two drafts never clash."""

    class Method(models.TextChoices):
        SCREEN = "screen", _("画面から入力してお申し込み")
        CSV = "csv", _("CSVファイルを使用してお申し込み")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="drafts",
                                     verbose_name=_("お客様"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts",
                                   verbose_name=_("作成者"))
    flow = models.CharField(_("申込方法"), max_length=10, choices=Flow.choices, default=Flow.IMMEDIATE)
    voice_group = models.ForeignKey(VoiceGroup, on_delete=models.CASCADE, related_name="+",
                                    verbose_name=_("音声グループID"))
    step_done = models.PositiveSmallIntegerField(_("完了した手順"), default=0)
    agreed = models.BooleanField(_("ご確認に同意"), default=False)
    method = models.CharField(_("お申し込み方法"), max_length=10, choices=Method.choices, blank=True)
    base_numbers = models.JSONField(_("選択した基本契約番号"), default=list, blank=True)  # in order
    red_rows = StateField(verbose_name=_("お申し込み内容（赤枠）"), default=list, blank=True, schema=list[RedRow])
    blue_rows = StateField(verbose_name=_("お申し込み内容（青枠）"), default=list, blank=True, schema=list[BlueRow])
    contact = StateField(verbose_name=_("ご担当者"), default=dict, blank=True, schema=Contact)
    csv_name = models.CharField(_("CSVファイル名"), max_length=200, blank=True)
    # The scheduled flow: its N番, the saved content items (sub-orders), the item being edited and
    # the other confirmations and date (NW addresses, desired date/time, reason).
    contract = models.ForeignKey(VoiceContract, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                 verbose_name=_("音声契約番号"))
    items = StateField(verbose_name=_("お申し込み内容"), default=list, blank=True, schema=list[Item])
    # None when no item is open
    editing = StateField(verbose_name=_("編集中の内容"), default=dict, blank=True, schema=load_editing)
    extra = StateField(verbose_name=_("その他ご確認事項・工事希望日"), default=dict, blank=True, schema=Schedule)
    created_at = models.DateTimeField(_("作成日時"))
    updated_at = models.DateTimeField(_("更新日時"))
    # Real time, never the demo clock: a draft lives PORTAL_DRAFT_DAYS of real time after its last
    # touch, so moving the demo clock forward never expires a wizard someone is filling in.
    touched_at = models.DateTimeField(_("最終操作（実時刻）"), default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(_("申し込み日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("作成中のお申し込み")
        verbose_name_plural = _("作成中のお申し込み")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["organisation", "-updated_at"], name="draft_list_idx")]

    def __str__(self) -> str:
        return str(self.id)


class SentMail(models.Model):
    """Every e-mail the simulator sends, stored (an outbox): operators read it in admin and, in
    the demo, customers in their own "sent mail" view, so no mail server is needed."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("申し込み完了通知メール")
        COMPLETED = "completed", _("工事完了通知メール")
        CANCELLED = "cancelled", _("キャンセル通知メール")
        OPTION_CANCELLED = "option_cancelled", _("特定番号通知キャンセルのお知らせ")
        DATE_CHANGED = "date_changed", _("工事日変更のお知らせ")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="mails", verbose_name=_("お申し込み"))
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="mails",
                                     verbose_name=_("お客様"))
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    to = models.EmailField(_("宛先"))
    subject = models.CharField(_("件名"), max_length=200)
    body_text = models.TextField(_("本文（テキスト）"))
    body_html = models.TextField(_("本文（HTML）"))
    created_at = models.DateTimeField(_("作成日時"))
    delivered_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("送信処理の開始"), null=True, blank=True,
                                      help_text=_("送信中の印（一定時間を過ぎると再送の対象）。"))
    attempts = models.PositiveSmallIntegerField(_("送信試行回数"), default=0,
                                                help_text=_("送信に失敗し続けるメールは上限回数で再送をやめます。"))

    class Meta:
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール")
        ordering = ["-created_at", "-id"]
        # One of each kind per order, except the notice of a moved date (each move is told).
        constraints = [models.UniqueConstraint(fields=["order", "kind"], condition=~Q(kind="date_changed"),
                                               name="one_mail_per_order_and_kind")]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="mail_list_idx"),
                   models.Index(fields=["created_at"], condition=Q(delivered_at__isnull=True),
                                name="mail_undelivered_idx")]

    def __str__(self) -> str:
        return self.subject


class EventNote(models.TextChoices):
    """What the system says on an order's timeline, stored as a code and worded in the reader's
    language when shown (with its parameters: counts, numbers). Operators' own words go in `note`."""

    ACCEPTED = "accepted", _("お申し込みを受け付けました")
    ACCEPTED_SCHEDULED = "accepted_scheduled", _("お申し込みを受け付けました（工事日指定）")
    SALES = "sales", _("営業経由変更申込")
    CONSTRUCTION_STARTED = "construction_started", _("開通工事を開始しました")
    ISSUED = "issued", _("%(count)s件の番号を払い出し、開通しました")
    COMPLETED_AT_ACTIVATION = "completed_at_activation", _("開通と同時に竣工しました")
    COMPLETED_DUE = "completed_due", _("竣工しました（開通日の2営業日後）")
    COMPLETED_BY_OPERATOR = "completed_by_operator", _("竣工にしました")
    OPTION_DROPPED = "option_dropped", _(
        "フリーダイヤル・ナビダイヤル紐付が未完了のため特定番号通知をキャンセルしました（%(numbers)s）")
    NO_STOCK = "no_stock", _("空き番号が不足したため開通できませんでした。")
    POOL_EMPTY = "pool_empty", _(
        "番号在庫（%(pool)s）の空き番号が不足したため開通できませんでした（必要 %(wanted)s件、空き %(free)s件）。")
    ISSUE_FAILED = "issue_failed", _("番号の払い出しに失敗しました。")
    ACTIVATION_TRANSIENT = "activation_transient", _(
        "ネットワークの一時的な障害のため開通できませんでした。%(seconds)s秒後に再試行します（%(attempt)s回目の失敗）。")
    ACTIVATION_FAILED = "activation_failed", _("ネットワークの障害のため開通できませんでした（恒久的な障害）。")
    ACTIVATION_GAVE_UP = "activation_gave_up", _(
        "ネットワークの一時的な障害が続いたため、%(attempt)s回の再試行の後に開通を中止しました。")
    PORTING_ACCEPTED = "porting_accepted", _("移転元事業者が番号ポータビリティを承諾しました。")
    PORTING_HOLDER_MISMATCH = "porting_holder_mismatch", _(
        "移転元事業者が番号ポータビリティを拒否しました: 回線名義が移転元事業者の登録と一致しません（%(numbers)s）。")
    PORTING_ADDRESS_MISMATCH = "porting_address_mismatch", _(
        "移転元事業者が番号ポータビリティを拒否しました: "
        "設置場所住所が移転元事業者の登録と一致しません（%(numbers)s）。")
    PORTING_NOT_PORTABLE = "porting_not_portable", _(
        "移転元事業者が番号ポータビリティを拒否しました: 番号ポータビリティの対象外の番号です（%(numbers)s）。")
    SCENARIO_TRANSIENT = "scenario_transient", _("トレーナーのシナリオ: 開通処理の一時的な障害 ×%(times)s")
    SCENARIO_PERMANENT = "scenario_permanent", _("トレーナーのシナリオ: 開通処理の恒久的な障害")
    SCENARIO_PORTING = "scenario_porting", _("トレーナーのシナリオ: 移転元事業者による番号ポータビリティの拒否")
    SCENARIO_POOL = "scenario_pool", _("トレーナーのシナリオ: 番号在庫が空（%(pool)s）")
    MAGIC = "magic", _("テスト用の値（%(value)s）により、ネットワークの結果を再現します。")
    RETRY = "retry", _("エラーのお申し込みを再実行します")
    DATE_MOVED = "date_moved", _("工事日を%(old)sから%(new)sに変更しました。")
    CANCELLED = "cancelled", _("お申し込みをキャンセルしました")
    CANCELLED_BY_OPERATOR = "cancelled_by_operator", _("オペレーターがキャンセルしました")
    CANCELLED_ON_REQUEST = "cancelled_on_request", _("お客様のご依頼によりキャンセルしました")


PORTING_REJECTIONS = (EventNote.PORTING_HOLDER_MISMATCH, EventNote.PORTING_ADDRESS_MISMATCH,
                      EventNote.PORTING_NOT_PORTABLE)

# What an operator does about each reason for エラー (shown in admin beside the order).
OPERATOR_HINTS = {
    EventNote.NO_STOCK: _("番号在庫に空き番号を追加してから「エラーのお申し込みを再実行する」を実行してください。"),
    EventNote.POOL_EMPTY: _(
        "番号在庫（%(pool)s）に空き番号を追加してから「エラーのお申し込みを再実行する」を実行してください。"),
    EventNote.ISSUE_FAILED: _(
        "番号在庫と予約番号を確認してから「エラーのお申し込みを再実行する」を実行してください。"),
    EventNote.ACTIVATION_FAILED: _(
        "ネットワークの復旧を確認してから「エラーのお申し込みを再実行する」を実行してください。"
        "開通できない場合は理由を添えてキャンセルしてください。"),
    EventNote.ACTIVATION_GAVE_UP: _(
        "ネットワークの復旧を確認してから「エラーのお申し込みを再実行する」を実行してください。"),
    EventNote.PORTING_HOLDER_MISMATCH: _(
        "お客様に移転元事業者に登録された回線名義をご確認いただいてください。訂正後は工事日を変更して再実行、"
        "訂正できない場合は理由を添えてキャンセルしてください。"),
    EventNote.PORTING_ADDRESS_MISMATCH: _(
        "お客様に移転元事業者に登録された設置場所住所をご確認いただいてください。訂正後は工事日を変更して再実行、"
        "訂正できない場合は理由を添えてキャンセルしてください。"),
    EventNote.PORTING_NOT_PORTABLE: _(
        "この番号は移転できません。理由を添えてキャンセルし、お客様に新しい番号でのお申し込みをご案内してください。"),
}


def note_params(params: dict) -> dict:
    """A timeline entry's values as shown: counts with separators, lists joined."""
    return {k: f"{v:,}" if isinstance(v, int) else list_text(v) if isinstance(v, list) else v
            for k, v in (params or {}).items()}


def note_text(code: str, params: dict) -> str:
    """A stored note code with its values, worded in the reader's language."""
    if not code:
        return ""
    label = str(EventNote(code).label)
    return label % note_params(params) if params else label


# The rule behind a timeline entry, shown to operators and in trainer mode (PORTAL_TRAINER_MODE).
EVENT_RULES = {EventNote.COMPLETED_AT_ACTIVATION: "B2", EventNote.COMPLETED_DUE: "B2",
               EventNote.OPTION_DROPPED: "O4", EventNote.SALES: "B1"}


class OrderEvent(models.Model):
    """The order's timeline: each status change and who or what made it."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("お客様")
        WORKER = "worker", _("開通処理（ネットワーク）")
        OPERATOR = "operator", _("オペレーター")
        SYSTEM = "system", _("システム")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("お申し込み"))
    at = models.DateTimeField(_("日時"))
    from_status = models.CharField(_("変更前"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("変更後"), max_length=20, choices=Status.choices)
    actor = models.CharField(_("実行者"), max_length=10, choices=Actor.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("利用者"))
    note_code = models.CharField(_("内容"), max_length=30, choices=EventNote.choices, blank=True)
    note_params = models.JSONField(_("内容の値"), default=dict, blank=True)
    note = models.CharField(_("メモ"), max_length=300, blank=True,
                            help_text=_("オペレーターが入力した言葉（そのまま表示）。"))

    class Meta:
        verbose_name = _("ステータス履歴")
        verbose_name_plural = _("ステータス履歴")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        moved = f"{self.get_from_status_display()} → " if self.from_status else ""
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {moved}{self.get_to_status_display()}"

    @property
    def text(self) -> str:
        """The entry in the reader's language: the system's words, then the operator's own."""
        parts = []
        if self.note_code:
            parts.append(note_text(self.note_code, self.note_params))
        if self.note:
            parts.append(self.note)
        return " ".join(parts)

    @property
    def rule(self) -> str:
        return EVENT_RULES.get(self.note_code, "")


class LeadTime(models.Model):
    """Standard lead time per item kind (標準納期), in business days; operators set them in admin.
    The earliest construction date of a scheduled order is the longest of its items'."""

    class Item(models.TextChoices):
        DIALIN = "dialin", _("ダイヤルイン番号追加")
        PORTING = "porting", _("ダイヤルイン番号追加（番号ポータビリティ）")
        SPECIAL_OPTION = "special_option", _("特定番号通知・転送先特定番号")
        NW_ADDRESS = "nw_address", _("0AJ利用拠点NWアドレスの登録")
        AML = "aml", _("犯罪収益移転防止法に関するご確認")

    item = models.CharField(_("お申し込み項目"), max_length=20, choices=Item.choices, unique=True)
    business_days = models.PositiveSmallIntegerField(_("標準納期（営業日）"))
    note = models.CharField(_("備考"), max_length=200, blank=True)
    note_en = models.CharField(_("備考（英語）"), max_length=200, blank=True,
                               help_text=_("英語の画面に表示します。空欄なら日本語の備考を表示します。"))

    class Meta:
        verbose_name = _("標準納期")
        verbose_name_plural = _("標準納期")
        ordering = ["item"]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.business_days}"

    @property
    def note_shown(self) -> str:
        """The note in the reader's language: operators write both."""
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return self.note_en if english and self.note_en else self.note


class Attachment(models.Model):
    """An uploaded document (取引時確認記録登録申込書). Stored outside the web root under
    PORTAL_VAR_DIR/uploads; downloadable only by operators and the owning organisation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="attachments",
                                     verbose_name=_("お客様"))
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments",
                              verbose_name=_("作成中のお申し込み"))
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments",
                              verbose_name=_("お申し込み"))
    purpose = models.CharField(_("種類"), max_length=40, default="aml_record")
    original_name = models.CharField(_("ファイル名"), max_length=200)
    size = models.PositiveIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("アップロード日時"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("アップロードした利用者"))

    class Meta:
        verbose_name = _("添付ファイル")
        verbose_name_plural = _("添付ファイル")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class NetworkScenario(models.Model):
    """A trainer's switch (PORTAL_NETWORK_SCENARIOS): what the simulated network does to the next
    order of one organisation it hits — activation failing (transient ×N or permanent), porting
    rejected with a reason, a stock pool empty. Consumed by that order and written on its timeline."""

    class Kind(models.TextChoices):
        ACTIVATION_TRANSIENT = "activation_transient", _(
            "次の開通処理が一時的な障害で失敗する（N回、その後自動再試行で開通）")
        ACTIVATION_PERMANENT = "activation_permanent", _("次の開通処理が恒久的な障害で失敗する（エラー）")
        PORTING_REJECTED = "porting_rejected", _("次の番号ポータビリティを移転元事業者が拒否する")
        POOL_EMPTY = "pool_empty", _("次に払い出す番号在庫が空（空き番号の不足）")

    class Reason(models.TextChoices):
        HOLDER = EventNote.PORTING_HOLDER_MISMATCH.value, _("回線名義の不一致")
        ADDRESS = EventNote.PORTING_ADDRESS_MISMATCH.value, _("設置場所住所の不一致")
        NOT_PORTABLE = EventNote.PORTING_NOT_PORTABLE.value, _("番号ポータビリティの対象外")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="scenarios",
                                     verbose_name=_("お客様"))
    kind = models.CharField(_("シナリオ"), max_length=30, choices=Kind.choices)
    times = models.PositiveSmallIntegerField(
        _("失敗する回数"), default=1,
        help_text=_("一時的な障害の回数（1〜9）。4回までは自動の再試行で開通し、5回以上では再試行を中止してエラーになります。"))
    reason = models.CharField(_("拒否の理由"), max_length=30, choices=Reason.choices, blank=True,
                              help_text=_("番号ポータビリティの拒否のときに選びます。"))
    pool_kind = models.CharField(_("番号種別"), max_length=3, choices=NumberKind.choices, blank=True,
                                 help_text=_("空にする番号在庫。空欄なら次のお申し込みが払い出すどの在庫でも。"))
    pool_area = models.CharField(_("市外局番"), max_length=5, blank=True,
                                 help_text=_("0AJの在庫の市外局番（例: 03）。050は空欄。"))
    created_at = models.DateTimeField(_("作成日時"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("作成者"))
    used_by = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="scenarios",
                                verbose_name=_("適用されたお申し込み"))
    used_at = models.DateTimeField(_("適用日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("ネットワークのシナリオ（トレーナー）")
        verbose_name_plural = _("ネットワークのシナリオ（トレーナー）")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "kind"], condition=Q(used_by__isnull=True),
                                name="scenario_waiting_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(times__gte=1) & Q(times__lte=9), name="scenario_times_range"),
            models.CheckConstraint(condition=~Q(kind="porting_rejected") | ~Q(reason=""),
                                   name="scenario_porting_has_reason"),
        ]

    def __str__(self) -> str:
        return self.summary

    @property
    def summary(self) -> str:
        """The switch in a few words, as the timeline names it."""
        if self.kind == self.Kind.ACTIVATION_TRANSIENT:
            return _("開通処理の一時的な障害 ×%(n)s") % {"n": self.times}
        if self.kind == self.Kind.ACTIVATION_PERMANENT:
            return str(_("開通処理の恒久的な障害"))
        if self.kind == self.Kind.PORTING_REJECTED:
            return _("番号ポータビリティの拒否（%(reason)s）") % {"reason": self.get_reason_display()}
        pool = " ".join(p for p in (self.pool_kind, self.pool_area) if p) or _("次の払い出し")
        return _("番号在庫が空（%(pool)s）") % {"pool": pool}
