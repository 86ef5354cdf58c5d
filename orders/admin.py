from django import forms
from django.contrib import admin, messages
from django.db import OperationalError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orders import activation, operator, placement, status
from orders.models import Attachment, Draft, EventNote, LeadTime, NetworkScenario, Order, OrderEvent, SentMail, Status
from portal.db import is_busy
from portal.i18n import list_text

CONTACT_FIELDS = ("contact_name", "contact_department", "contact_phone", "contact_email")


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "from_status", "to_status", "actor", "user", "entry", "rule"]

    @admin.display(description=_("内容"))
    def entry(self, obj: OrderEvent) -> str:
        return obj.text

    @admin.display(description=_("ルール"))
    def rule(self, obj: OrderEvent) -> str:
        return obj.rule or "-"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    fk_name = "order"
    extra = 0
    can_delete = False
    max_num = 0
    fields = readonly_fields = ["download", "size", "sha256", "uploaded_at"]

    @admin.display(description=_("ファイル"))
    def download(self, obj: Attachment):
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', reverse("orders:attachment", args=[obj.pk]), obj.original_name)


class SentMailInline(admin.TabularInline):
    model = SentMail
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "to", "subject", "created_at", "delivered_at"]
    fields = readonly_fields
    max_num = 0
    show_change_link = True


@admin.register(SentMail)
class SentMailAdmin(admin.ModelAdmin):
    """Every e-mail the simulator sent, readable by operators."""

    list_display = ["created_at", "subject", "to", "kind", "delivered_at", "attempts", "organisation"]
    list_filter = ["kind", "created_at"]
    search_fields = ["subject", "to", "order__request_id"]
    list_select_related = ["organisation"]
    readonly_fields = ["order", "organisation", "kind", "to", "subject", "created_at", "delivered_at", "attempts",
                       "body_text", "rendered_html"]
    exclude = ["body_html"]

    @admin.display(description=_("本文（HTML）"))
    def rendered_html(self, obj: SentMail):
        from django.urls import reverse
        from django.utils.html import format_html

        # Shown sandboxed, from a URL with a policy of its own: the mail's HTML never runs scripts.
        return format_html('<iframe class="mail-frame" sandbox="allow-popups allow-popups-to-escape-sandbox" '
                           'src="{}" title="{}"></iframe>',
                           reverse("admin:orders_sentmail_html", args=[obj.pk]), obj.subject)

    def get_urls(self):
        from django.urls import path

        return [path("<int:mail_id>/html/", self.admin_site.admin_view(self.html_view), name="orders_sentmail_html"),
                *super().get_urls()]

    def html_view(self, request: HttpRequest, mail_id: int):
        from django.shortcuts import get_object_or_404

        from orders.mail import mail_html_response

        return mail_html_response(get_object_or_404(SentMail, pk=mail_id))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    list_display = ["id", "organisation", "voice_group", "flow", "step_done", "method", "updated_at",
                    "submitted_at"]
    list_filter = ["flow", "method", "updated_at"]
    list_select_related = ["organisation", "voice_group"]
    readonly_fields = [f.name for f in Draft._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class SalesOrderForm(forms.ModelForm):
    """営業経由変更申込: what an operator enters on a customer's behalf."""

    class Meta:
        model = Order
        fields = ["contract", "kind_label", "scheduled_on", *CONTACT_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheduled_on"].required = True
        self.fields["scheduled_on"].help_text = _(
            "竣工（開通日の2営業日後）まで、この音声契約番号の即時開通申込は行えません（B1）。")


def _operator_action(name: str, label: str, service, allowed: tuple[str, ...]):
    """An admin action that runs the real service (the worker's activation, cancel with code
    release, retry, 竣工) on each selected order; orders in another status are named and left."""

    @admin.action(description=label)
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        moved, refused, failed, busy = 0, [], [], []
        for order in queryset.order_by("submitted_at"):
            if order.status not in allowed:
                refused.append(f"{order.request_id}（{order.get_status_display()}）")
                continue
            try:
                done = service(order=order, user=request.user)
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                busy.append(order.request_id)  # e.g. a worker activating the same order: try again
                continue
            if done:
                order.refresh_from_db(fields=["status"])
                if order.status == Status.ERROR:
                    failed.append(order.request_id)
                else:
                    moved += 1
        if moved:
            modeladmin.message_user(request, _("%(count)s件のお申し込みを処理しました。") % {"count": moved},
                                    messages.SUCCESS)
        if failed:
            modeladmin.message_user(request, _(
                "次のお申し込みは開通できずエラーになりました（理由と対応はお申し込みの画面に表示されます）: "
                "%(orders)s") % {"orders": list_text(failed)}, messages.ERROR)
        if busy:
            modeladmin.message_user(request, _(
                "次のお申し込みは処理中のため操作できませんでした。しばらくしてからもう一度お試しください: %(orders)s")
                % {"orders": list_text(busy)}, messages.WARNING)
        if refused:
            modeladmin.message_user(
                request,
                _("次のお申し込みはこの操作を行えません: %(orders)s") % {"orders": list_text(refused)},
                messages.ERROR,
            )

    action.__name__ = name
    return action


Operator = OrderEvent.Actor.OPERATOR
ACTIONS = [
    _operator_action(
        "activate", _("開通処理を実行する（番号を払い出して工事了にする）"),
        lambda order, user: activation.order_activate(order_id=order.pk, actor=Operator, user=user),
        (Status.ACCEPTED,)),
    _operator_action(
        "retry", _("エラーのお申し込みを再実行する"),
        lambda order, user: activation.order_retry(order_id=order.pk, actor=Operator, user=user), (Status.ERROR,)),
    _operator_action(
        "complete", _("竣工にする"),
        lambda order, user: activation.order_complete(order_id=order.pk, actor=Operator, user=user),
        (Status.ACTIVATED,)),
]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("キャンセルの理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("お客様へのキャンセル通知メールとステータス履歴に記載されます。"))


class MoveDateForm(forms.Form):
    day = forms.DateField(label=_("変更後の工事日"), widget=forms.DateInput(attrs={"type": "date"}),
                          help_text=_("最短納期日以降の営業日。お客様に工事日変更のお知らせをメールします。"))
    note = forms.CharField(label=_("お客様へのご連絡"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("任意。メールとステータス履歴に記載されます。"))


def _asked(modeladmin, request, queryset, form_class, *, name: str, title: str, lead: str, button: str):
    """An action that asks first (its form on a page of its own): (the answers, None) once they are
    given and valid, else (None, the page asking)."""
    from django.template.response import TemplateResponse

    form = form_class(request.POST if request.POST.get("apply") else None)
    if form.is_valid():
        return form.cleaned_data, None
    return None, TemplateResponse(request, "admin/orders/order_action_form.html", {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form, "orders": queryset,
        "opts": modeladmin.model._meta, "action": name, "lead": lead, "button": button,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME})


@admin.action(description=_("理由を添えてキャンセルする（番号予約コードを解放し、お客様にメール）"))
def cancel(modeladmin, request: HttpRequest, queryset: QuerySet[Order]):
    answers, page = _asked(modeladmin, request, queryset, CancelForm, name="cancel", title=_("お申し込みのキャンセル"),
                           lead=_("次のお申し込みをキャンセルします。受付済とエラーのお申し込みだけが対象です。"),
                           button=_("キャンセルする"))
    if page:
        return page
    reason = answers["reason"]
    run = _operator_action(
        "cancel", "", lambda order, user: status.order_cancel(order=order, actor=Operator, user=user, reason=reason,
                                                              code=EventNote.CANCELLED_BY_OPERATOR),
        (Status.ACCEPTED, Status.ERROR))
    run(modeladmin, request, queryset)
    return None


@admin.action(description=_("工事日を変更する（最短納期日以降・お客様にメール）"))
def move_date(modeladmin, request: HttpRequest, queryset: QuerySet[Order]):
    from django.core.exceptions import ValidationError

    answers, page = _asked(modeladmin, request, queryset, MoveDateForm, name="move_date", title=_("工事日の変更"),
                           lead=_("次のお申し込みの工事日を変更します。エラーのお申し込みは新しい工事日で受付済に戻ります。"),
                           button=_("工事日を変更する"))
    if page:
        return page
    moved, refused = 0, []
    for order in queryset.order_by("submitted_at"):
        try:
            operator.order_move_date(order_id=order.pk, day=answers["day"], user=request.user, note=answers["note"])
        except ValidationError as exc:
            refused.append(f"{order.request_id}: {' '.join(exc.messages)}")
            continue
        moved += 1
    if moved:
        modeladmin.message_user(request, _("%(count)s件のお申し込みの工事日を変更しました。") % {"count": moved},
                                messages.SUCCESS)
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)
    return None


ACTIONS.extend([move_date, cancel])


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Fits 1280 px: the sales channel shows in 申込方法 (営業経由), the option and dates on the order.
    list_display = ["request_id", "submitted_at", "organisation", "contract", "flow", "status_shown", "scheduled_on"]
    list_filter = ["status", "error_code", "channel", "flow", "submitted_at"]
    search_fields = ["request_id", "contract__number", "organisation__name", "contact_email"]
    list_select_related = ["organisation", "contract"]
    autocomplete_fields = ["contract"]
    inlines = [OrderEventInline, SentMailInline, AttachmentInline]
    date_hierarchy = "submitted_at"
    actions = ACTIONS
    # The change page: the order, then everything ordered, formatted (never raw JSON or row IDs).
    SUMMARY = ["request_id", "organisation", "contract", "channel", "flow", "kind_label", "status", "error_shown",
               "language",
               "submitted_at", "scheduled_on", "activated_on", "completion_due_on", "completed_on", "created_by",
               "draft_id", "site_url"]

    @admin.display(description=_("ステータス"), ordering="status")
    def status_shown(self, obj: Order) -> str:
        from django.utils.html import format_html

        if obj.status == Status.ERROR and obj.error_code:
            return format_html('{}<br><small class="error-reason-admin">{}</small>', obj.get_status_display(),
                               obj.error_text)
        return obj.get_status_display()

    @admin.display(description=_("エラーの理由と対応"))
    def error_shown(self, obj: Order) -> str:
        from django.utils.html import format_html

        if obj.status != Status.ERROR:
            return "-"
        return format_html('<strong>{}</strong><br>{}: {}', obj.error_text or "-", _("対応"), obj.error_hint or "-")

    @admin.display(description=_("お申し込み内容"))
    def contents(self, obj: Order) -> str:
        from django.template.loader import render_to_string

        from orders.selectors import order_contents

        return render_to_string("admin/orders/_order_contents.html", {"order": obj, **order_contents(order=obj)})

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = SalesOrderForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return SalesOrderForm.Meta.fields
        return [*self.SUMMARY, *CONTACT_FIELDS, "contents"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        return [(None, {"fields": self.SUMMARY}), (_("お申し込みご担当者"), {"fields": CONTACT_FIELDS}),
                (_("お申し込み内容"), {"fields": ["contents"]})]

    def get_inlines(self, request: HttpRequest, obj=None):
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return []
        return [*self.SUMMARY, "contents"]

    def save_model(self, request: HttpRequest, obj: Order, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        order = placement.order_sales_create(
            contract=form.cleaned_data["contract"], scheduled_on=form.cleaned_data["scheduled_on"],
            operator=request.user, kind_label=form.cleaned_data["kind_label"],
            contact={f: form.cleaned_data[f] for f in CONTACT_FIELDS},
        )
        form.instance = order
        obj.pk = order.pk
        obj.request_id = order.request_id

    def save_related(self, request, form, formsets, change) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def get_urls(self):
        from django.urls import path

        return [path("demo-reset/", self.admin_site.admin_view(self.demo_reset_view), name="orders_demo_reset"),
                *super().get_urls()]

    def demo_reset_view(self, request: HttpRequest):
        """デモのリセット (demo mode, operators): every customer, contract, number, code, order and mail
        removed and the demo data loaded afresh, the clock back to real time; asks first."""
        from django.conf import settings
        from django.http import Http404
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        from orders import demo
        from portal.models import Organisation

        if not settings.PORTAL_DEMO_MODE or not request.user.is_staff:
            raise Http404
        if request.method == "POST":
            demo.demo_reset()
            demo.demo_load()
            done = _("デモをリセットしました。デモ用のデータを読み込み直し、デモ時計を現在時刻に戻しました。")
            self.message_user(request, done, messages.SUCCESS)
            return redirect("admin:index")
        counts = {"organisations": Organisation.objects.count(), "orders": Order.objects.count(),
                  "mails": SentMail.objects.count(), "drafts": Draft.objects.count()}
        return TemplateResponse(request, "admin/orders/demo_reset.html", {
            **self.admin_site.each_context(request), "title": _("デモのリセット"), "counts": counts,
            "opts": self.model._meta})


@admin.register(LeadTime)
class LeadTimeAdmin(admin.ModelAdmin):
    """標準納期: the earliest construction date of a scheduled order counts these business days."""

    list_display = ["item", "business_days", "note", "note_en"]
    list_editable = ["business_days", "note", "note_en"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = NetworkScenario
        fields = ["organisation", "kind", "times", "reason", "pool_kind", "pool_area"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("reason", "pool_kind"):
            field = self.fields[name]
            field.choices = [("", _("（指定なし）")), *[c for c in field.choices if c[0]]]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == NetworkScenario.Kind.PORTING_REJECTED and not data.get("reason"):
            self.add_error("reason", _("拒否の理由を選んでください。"))
        if kind != NetworkScenario.Kind.ACTIVATION_TRANSIENT:
            data["times"] = 1
        if kind != NetworkScenario.Kind.PORTING_REJECTED:
            data["reason"] = ""
        if kind != NetworkScenario.Kind.POOL_EMPTY:
            data["pool_kind"] = data["pool_area"] = ""
        elif data.get("pool_area") and data.get("pool_kind") != "0AJ":
            self.add_error("pool_area", _("市外局番は0AJの在庫にだけ指定できます。"))
        return data


@admin.register(NetworkScenario)
class NetworkScenarioAdmin(admin.ModelAdmin):
    """Trainer mode: switches that make the simulated network fail the next order of an
    organisation (PORTAL_NETWORK_SCENARIOS; hidden when it is off)."""

    form = ScenarioForm
    list_display = ["created_at", "organisation", "summary_shown", "created_by", "used_by", "used_at"]
    list_filter = ["kind", ("used_by", admin.EmptyFieldListFilter)]
    list_select_related = ["organisation", "created_by", "used_by"]
    readonly_fields = ["created_by", "used_by", "used_at"]

    def get_fields(self, request: HttpRequest, obj=None):
        fields = ["organisation", "kind", "times", "reason", "pool_kind", "pool_area"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    @admin.display(description=_("シナリオ"))
    def summary_shown(self, obj: NetworkScenario) -> str:
        return obj.summary

    def has_module_permission(self, request: HttpRequest) -> bool:
        from django.conf import settings

        return settings.PORTAL_NETWORK_SCENARIOS and super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        from django.conf import settings

        return settings.PORTAL_NETWORK_SCENARIOS and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False if obj is not None and obj.used_by_id else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: NetworkScenario, form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
