from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from portal.models import (
    ApiKey,
    DemoClock,
    Organisation,
    OrganisationClock,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WorkerHeartbeat,
)

admin.site.site_header = _("ビジネスポータル（シミュレーター） 管理画面")
admin.site.site_title = _("オペレーター管理画面")
admin.site.index_title = _("バックオフィス")


class OrganisationUserForm(forms.ModelForm):
    """A customer user created with the organisation; the password is set, never shown."""

    password = forms.CharField(
        label=_("パスワード"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("新規作成時は必須。変更するときのみ入力します。"),
    )

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "email", "department", "phone", "is_active"]

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if not self.instance.pk and not password and self.has_changed():
            raise forms.ValidationError(_("新しい利用者にはパスワードを設定してください。"))
        return password

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self.cleaned_data.get("password"):
            user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
        return user


class UserInline(admin.TabularInline):
    model = User
    form = OrganisationUserForm
    fields = ["username", "password", "last_name", "first_name", "email", "department", "phone",
              "is_active"]
    extra = 1
    verbose_name = _("ポータル利用者")
    verbose_name_plural = _("ポータル利用者")


# Inlines the upper layers add to the organisation page (numbering adds its voice groups): the
# kernel imports no app above it.
ORGANISATION_INLINES: list[type[admin.options.InlineModelAdmin]] = []


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group_count", "user_count", "created_at"]
    search_fields = ["code", "name", "users__username", "voice_groups__group_id"]

    def get_inlines(self, request: HttpRequest, obj):
        return [UserInline, *ORGANISATION_INLINES]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(
            group_count=Count("voice_groups", distinct=True),
            user_count=Count("users", distinct=True),
        )

    @admin.display(description=_("音声グループ数"), ordering="group_count")
    def group_count(self, obj: Organisation) -> int:
        return obj.group_count

    @admin.display(description=_("利用者数"), ordering="user_count")
    def user_count(self, obj: Organisation) -> int:
        return obj.user_count


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "organisation", "last_name", "first_name", "email", "is_staff",
                    "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["username", "email", "last_name", "first_name", "organisation__name"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("お客様"), {"fields": ["organisation", "department", "phone"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"],
                "fields": ["username", "organisation", "password1", "password2"]}),
    ]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at", "hostname"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DemoClockForm(forms.Form):
    days = forms.IntegerField(label=_("進める日数"), min_value=0, max_value=366, initial=1, required=False)
    hours = forms.IntegerField(label=_("進める時間数"), min_value=0, max_value=23, initial=0, required=False)
    to_date = forms.DateField(label=_("この日付まで進める（JST）"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if not data.get("to_date") and not (data.get("days") or data.get("hours")):
            raise forms.ValidationError(_("進める日数・時間数か、日付を指定してください。"))
        return data


def _offset_parts(offset) -> dict:
    """The clock's lead as days, hours and minutes (never Python's "14 days, 0:00:00")."""
    minutes = int(offset.total_seconds() // 60)
    return {"days": minutes // 1440, "hours": minutes % 1440 // 60, "minutes": minutes % 60, "ahead": minutes > 0}


@admin.register(DemoClock)
class DemoClockAdmin(admin.ModelAdmin):
    """デモ時計: move the demo's time forward; the work that becomes due runs at once."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_staff

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        import datetime as dt

        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        from portal import clock, services

        form = DemoClockForm(request.POST if request.method == "POST" else None)
        back = request.POST.get("next") or request.path
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = request.path
        if request.method == "POST" and request.POST.get("reset"):
            moved = services.demo_clock_reset()
            self.message_user(request, _(
                "デモ時計を現在時刻に戻しました。進めた間に記録された日時（お申し込み・開通・メールなど %(n)s件）は"
                "現在時刻に戻しました。") % {"n": sum(moved.values())}, messages.SUCCESS)
            return redirect(back)
        if request.method == "POST" and request.POST.get("jump"):
            try:
                done = services.demo_clock_jump()
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return redirect(back)
            if not done:
                self.message_user(request, _("開通・竣工を待っているお申し込みはありません。"), messages.INFO)
            else:
                self.message_user(request, _(
                    "デモ時計を次の予定日 %(day)s まで進めました。"
                    "開通 %(activated)s件、竣工 %(completed)s件を処理しました。")
                    % {**done, "day": date_format(done["day"], "DATE_FORMAT")}, messages.SUCCESS)
            return redirect(back)
        if request.method == "POST" and form.is_valid():
            try:
                if form.cleaned_data["to_date"]:
                    done = services.demo_clock_set_date(day=form.cleaned_data["to_date"])
                else:
                    done = services.demo_clock_advance(delta=dt.timedelta(
                        days=form.cleaned_data["days"] or 0, hours=form.cleaned_data["hours"] or 0))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, _(
                    "デモ時計を進めました。開通 %(activated)s件、竣工 %(completed)s件を処理しました。") % done,
                    messages.SUCCESS)
                return redirect(request.path)
        context = {
            **self.admin_site.each_context(request), "title": _("デモ時計"), "form": form,
            "next_due": services.demo_clock_next_due() if settings.PORTAL_DEMO_CLOCK else None,
            "now": clock.now(), "offset": _offset_parts(clock.offset()), "enabled": settings.PORTAL_DEMO_CLOCK,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/portal/demo_clock.html", context)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Operators see every organisation's keys (never the key itself: it is not stored) and revoke
    them; keys are made by customers on their page or by `manage.py api_key_create`."""

    list_display = ("name", "prefix", "organisation", "user", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "organisation")
    search_fields = ("name", "prefix", "user__username", "organisation__code", "organisation__name")
    readonly_fields = ("organisation", "user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("選択した API キーを無効にする"))
    def revoke(self, request: HttpRequest, queryset) -> None:
        from portal import clock

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=clock.now())
        self.message_user(request, _("%(n)s 件の API キーを無効にしました。") % {"n": count}, messages.SUCCESS)


class ClockDateForm(forms.Form):
    to_date = forms.DateField(label=_("この日付まで進める（JST）"), widget=forms.DateInput(attrs={"type": "date"}))


def _clock_results(admin_view, request, results: dict) -> None:
    for organisation, outcome in results.items():
        if isinstance(outcome, str):
            admin_view.message_user(request, f"{organisation}: {outcome}", messages.ERROR)
        else:
            admin_view.message_user(request, _(
                "%(org)s のテスト時計を進めました（%(now)s）。"
                "開通 %(activated)s件、竣工 %(completed)s件を処理しました。")
                % {"org": organisation, "activated": outcome.get("activated", 0),
                   "completed": outcome.get("completed", 0), "now": outcome.get("now", "")}, messages.SUCCESS)


@admin.action(description=_("テスト時計: 次の予定（開通・竣工）まで進める"))
def clock_jump(modeladmin, request, queryset) -> None:
    from django.core.exceptions import ValidationError

    from portal import clock, test_clocks

    results: dict = {}
    for organisation in queryset:
        try:
            done = test_clocks.clock_jump(organisation_id=organisation.pk)
        except ValidationError as exc:
            results[organisation] = " ".join(exc.messages)
            continue
        if not done:
            results[organisation] = str(_("開通・竣工を待っているお申し込みはありません。"))
            continue
        with clock.of(organisation.pk):
            done["now"] = date_format(clock.now().astimezone(clock.JST), "SHORT_DATETIME_FORMAT")
        results[organisation] = done
    _clock_results(modeladmin, request, results)


@admin.action(description=_("テスト時計: 日付まで進める"))
def clock_to_date(modeladmin, request, queryset):
    import datetime as dt

    from django.core.exceptions import ValidationError
    from django.template.response import TemplateResponse

    from portal import clock, test_clocks

    form = ClockDateForm(request.POST if request.POST.get("apply") else None)
    if not form.is_valid():
        return TemplateResponse(request, "admin/portal/clock_to_date.html", {
            **modeladmin.admin_site.each_context(request), "title": _("テスト時計を日付まで進める"),
            "form": form, "organisations": queryset, "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME})
    results: dict = {}
    for organisation in queryset:
        with clock.of(organisation.pk):
            now = clock.now().astimezone(clock.JST)
        target = dt.datetime.combine(form.cleaned_data["to_date"], now.time(), tzinfo=clock.JST)
        try:
            done = test_clocks.clock_advance_now(organisation_id=organisation.pk, to=target)
        except ValidationError as exc:
            results[organisation] = " ".join(exc.messages)
            continue
        done["now"] = date_format(target, "SHORT_DATETIME_FORMAT")
        results[organisation] = done
    _clock_results(modeladmin, request, results)
    return None


@admin.action(description=_("テスト時計: 実時刻（デモ時計）に戻す"))
def clock_back(modeladmin, request, queryset) -> None:
    from portal import test_clocks

    for organisation in queryset:
        moved = test_clocks.clock_reset(organisation_id=organisation.pk)
        modeladmin.message_user(request, _(
            "%(org)s のテスト時計を戻しました。進めた間に記録された日時 %(n)s件を現在時刻に戻しました。")
            % {"org": organisation, "n": sum(v for v in moved.values() if isinstance(v, int))}, messages.SUCCESS)


OrganisationAdmin.actions = [clock_jump, clock_to_date, clock_back]


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("at", "status_code", "duration_ms", "error", "response_body")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Operators see every organisation's endpoints, stop or resume them (never their secrets)."""

    list_display = ("url", "organisation", "enabled", "disabled_reason", "failing_since", "created_at")
    list_filter = ("enabled", "organisation")
    search_fields = ("url", "description", "organisation__code", "organisation__name")
    readonly_fields = ("organisation", "url", "description", "events", "failing_since", "created_at")
    exclude = ("secret", "previous_secret", "previous_until")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every event to every endpoint, each attempt; 再送 as the customer can."""

    list_display = ("event_type", "subject", "endpoint", "state", "attempts", "last_status", "next_attempt_at")
    list_filter = ("state", "event__type", "endpoint__organisation")
    list_select_related = ("event", "endpoint")
    search_fields = ("event__subject", "event__msg_id", "endpoint__url")
    readonly_fields = ("event", "endpoint", "state", "attempts", "next_attempt_at", "claimed_at", "delivered_at",
                       "last_status")
    inlines = [WebhookAttemptInline]
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("イベント"), ordering="event__type")
    def event_type(self, obj: WebhookDelivery) -> str:
        return obj.event.type

    @admin.display(description=_("リクエストID"), ordering="event__subject")
    def subject(self, obj: WebhookDelivery) -> str:
        return obj.event.subject

    @admin.action(description=_("選択したイベントを再送する"))
    def resend(self, request: HttpRequest, queryset) -> None:
        from portal.webhooks import delivery_resend

        for delivery in queryset:
            delivery_resend(delivery=delivery)
        self.message_user(request, _("%(n)s 件を再送します。") % {"n": queryset.count()}, messages.SUCCESS)


@admin.register(OrganisationClock)
class OrganisationClockAdmin(admin.ModelAdmin):
    """Organisations on clocks of their own (move them from お客様 with the test clock actions)."""

    list_display = ("organisation", "offset_seconds", "status", "advancing_to", "updated_at")
    readonly_fields = ("organisation", "offset_seconds", "status", "advancing_to", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
