from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from numbering import services
from numbering.forms import ReservationCodeIssueForm, StockRangeForm
from numbering.models import (
    BaseNumber,
    DialInNumber,
    FreephoneLink,
    NetworkAddress,
    ReservationCode,
    ReservedNumber,
    StockNumber,
    VoiceContract,
    VoiceGroup,
)
from portal import clock
from portal.admin import ORGANISATION_INLINES


class VoiceGroupInline(admin.TabularInline):
    model = VoiceGroup
    extra = 0
    show_change_link = True


ORGANISATION_INLINES.append(VoiceGroupInline)  # the organisation page shows its voice groups


@admin.register(VoiceGroup)
class VoiceGroupAdmin(admin.ModelAdmin):
    list_display = ["group_id", "name", "organisation", "contract_count"]
    search_fields = ["group_id", "name", "organisation__name", "organisation__code"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(contract_count=Count("contracts"))

    @admin.display(description=_("音声契約数"), ordering="contract_count")
    def contract_count(self, obj: VoiceGroup) -> int:
        return obj.contract_count


class BaseNumberInline(admin.TabularInline):
    model = BaseNumber
    extra = 0
    show_change_link = True


class NetworkAddressInline(admin.TabularInline):
    model = NetworkAddress
    extra = 0


class FreephoneLinkInline(admin.TabularInline):
    model = FreephoneLink
    extra = 0


@admin.register(VoiceContract)
class VoiceContractAdmin(admin.ModelAdmin):
    list_display = [
        "number", "voice_group", "organisation", "service_type", "plan", "members_net",
        "oaj_used", "emergency_area", "operator_note",
    ]
    list_filter = ["service_type", "plan", "members_net", "oaj_used", "emergency_area",
                   "voice_group__organisation"]
    search_fields = ["number", "voice_group__group_id", "voice_group__organisation__name",
                     "holder_name", "operator_note", "base_numbers__number"]
    list_select_related = ["voice_group__organisation"]
    autocomplete_fields = ["voice_group"]
    inlines = [BaseNumberInline, NetworkAddressInline, FreephoneLinkInline]
    fieldsets = [
        (None, {"fields": ["voice_group", "number", "service_type", "plan", "started_on"]}),
        (_("フラグ"), {"fields": ["members_net", "oaj_used", "emergency_area", "area_code"]}),
        (_("名義・住所"), {"fields": ["holder_name", "installation_address"]}),
        (_("オペレーター向け"), {"fields": ["operator_note"]}),
    ]

    @admin.display(description=_("お客様"), ordering="voice_group__organisation__name")
    def organisation(self, obj: VoiceContract) -> str:
        return obj.voice_group.organisation.name


@admin.register(BaseNumber)
class BaseNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "contract", "representative_size", "dial_in_count"]
    list_filter = ["kind"]
    search_fields = ["number", "contract__number"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(dial_in_count=Count("dial_ins"))

    @admin.display(description=_("ダイヤルイン番号数"), ordering="dial_in_count")
    def dial_in_count(self, obj: BaseNumber) -> int:
        return obj.dial_in_count


@admin.register(DialInNumber)
class DialInNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "base_number", "contract", "status", "activated_on", "source",
                    "message_box", "anonymous_call_rejection", "nuisance_call_rejection"]
    list_filter = ["kind", "status", "activated_on", "message_box"]
    search_fields = ["number", "base_number__number", "base_number__contract__number", "source"]
    list_select_related = ["base_number__contract"]
    autocomplete_fields = ["base_number"]
    date_hierarchy = "activated_on"
    show_full_result_count = False

    @admin.display(description=_("音声契約番号"), ordering="base_number__contract__number")
    def contract(self, obj: DialInNumber) -> str:
        return obj.base_number.contract.number


@admin.register(StockNumber)
class StockNumberAdmin(admin.ModelAdmin):
    """Free numbers. Added by range ("在庫の一括追加"), thousands at a time."""

    list_display = ["number", "kind", "area_code"]
    list_filter = ["kind", "area_code"]
    search_fields = ["number"]
    show_full_result_count = False
    list_per_page = 100

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        """The list, headed by the free count of every pool (kind and area code) issuing draws on."""
        pools = (StockNumber.objects.values("kind", "area_code").annotate(free=Count("number"))
                 .order_by("kind", "area_code"))
        return super().changelist_view(request, {**(extra_context or {}), "pools": pools})

    def get_urls(self):
        return [
            path("add-range/", self.admin_site.admin_view(self.add_range_view),
                 name="numbering_stocknumber_add_range"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:numbering_stocknumber_add_range"))

    def add_range_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionError
        form = StockRangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                added = services.stock_add_range(
                    first=form.cleaned_data["first"], last=form.cleaned_data["last"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(
                    request,
                    _("%(count)s件の番号を在庫に追加しました（%(first)s〜%(last)s）。")
                    % {"count": f"{added:,}", "first": form.cleaned_data["first"],
                       "last": form.cleaned_data["last"]},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:numbering_stocknumber_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "title": _("番号在庫の一括追加"),
            "max_count": f"{services.MAX_STOCK_RANGE:,}",
        }
        return TemplateResponse(request, "admin/numbering/stocknumber/add_range.html", context)


class ReservedNumberInline(admin.TabularInline):
    model = ReservedNumber
    extra = 0
    can_delete = False
    readonly_fields = ["number", "kind", "area_code"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ReservationCode)
class ReservationCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "contract", "state", "expires_at", "number_count", "held_by",
                    "used_by", "used_at", "created_at"]
    list_filter = ["status", "expires_at"]
    search_fields = ["code", "contract__number", "numbers__number", "used_by", "held_by"]
    list_select_related = ["contract"]
    inlines = [ReservedNumberInline]
    autocomplete_fields = ["contract"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(number_count=Count("numbers"))

    @admin.display(description=_("状態"), ordering="status")
    def state(self, obj: ReservationCode) -> str:
        """The code's real state: an available code past its expiry reads 期限切れ (the demo clock)."""
        if obj.status == ReservationCode.Status.AVAILABLE and obj.expires_at <= clock.now():
            return _("期限切れ")
        return obj.get_status_display()

    @admin.display(description=_("予約番号数"), ordering="number_count")
    def number_count(self, obj: ReservationCode) -> int:
        return obj.number_count

    def get_inlines(self, request: HttpRequest, obj=None):
        return self.inlines if obj is not None else []

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReservationCodeIssueForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ["contract", "code", "expires_at", "numbers"]
        return ["code", "contract", "expires_at", "state", "held_by", "used_by", "used_at"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return []
        return ["code", "contract", "state", "held_by", "used_by", "used_at"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # Issuing moves the chosen free numbers out of stock (numbering.services).
        issued = services.reservation_code_issue(
            contract=form.cleaned_data["contract"],
            numbers=form.cleaned_data["numbers"],
            expires_at=form.cleaned_data["expires_at"],
            code=form.cleaned_data["code"] or None,
        )
        form.instance = obj = issued
        obj.pk = issued.pk

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request, form, formsets, change) -> None:
        if change:
            super().save_related(request, form, formsets, change)


@admin.register(ReservedNumber)
class ReservedNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "area_code", "code"]
    search_fields = ["number", "code__code"]
    list_filter = ["kind"]
    list_select_related = ["code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(NetworkAddress)
class NetworkAddressAdmin(admin.ModelAdmin):
    list_display = ["contract", "network", "prefix_length"]
    search_fields = ["contract__number", "network"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]


@admin.register(FreephoneLink)
class FreephoneLinkAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "contract", "completed_on"]
    list_filter = ["kind", "completed_on"]
    search_fields = ["number", "contract__number"]
    list_select_related = ["contract"]
    autocomplete_fields = ["contract"]
