from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orders.models import Order, OrderEvent


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "from_status", "to_status", "actor", "user", "note"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["request_id", "submitted_at", "organisation", "contract", "channel", "flow",
                    "kind_label", "status", "scheduled_on", "completion_due_on"]
    list_filter = ["status", "channel", "flow", "submitted_at"]
    search_fields = ["request_id", "contract__number", "organisation__name", "contact_email"]
    list_select_related = ["organisation", "contract"]
    readonly_fields = ["request_id", "status", "draft_id", "created_by"]
    autocomplete_fields = ["organisation", "contract"]
    inlines = [OrderEventInline]
    date_hierarchy = "submitted_at"

    @admin.display(description=_("ステータス"))
    def status_label(self, obj: Order) -> str:
        return obj.get_status_display()
