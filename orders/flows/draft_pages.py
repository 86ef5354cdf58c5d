"""Pages about drafts of either flow: 作成中のお申し込み (list, 再開, 破棄) and the accepted page.
Each flow says where its drafts resume (`resume_url`); this module knows no step of either."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders import drafts, selectors
from orders.flows import immediate, scheduled
from orders.flows.framework import Precondition, draft_view
from orders.models import Draft, Flow
from portal.views import customer_required

RESUME = {Flow.IMMEDIATE: immediate.resume_url, Flow.SCHEDULED: scheduled.resume_url}


@require_GET
@customer_required
def draft_list(request: HttpRequest) -> HttpResponse:
    drafts = list(selectors.drafts_open(organisation=request.user.organisation))
    return render(request, "orders/wizard/drafts.html", {"drafts": drafts, "nav": "ipvoice",
                                                         "days": settings.PORTAL_DRAFT_DAYS})


@require_GET
@draft_view(flow=None)
def draft_resume(request: HttpRequest, draft: Draft) -> HttpResponse:
    """再開: the first unfinished step of a draft (of either flow)."""
    return redirect(RESUME[draft.flow](draft))


@require_POST
@draft_view(flow=None)
def draft_discard(request: HttpRequest, draft: Draft) -> HttpResponse:
    drafts.draft_discard(draft=draft)
    messages.success(request, _("作成中のお申し込みを破棄しました。"))
    return redirect("orders:draft_list")


SUBMITTED = Precondition("submitted", met=lambda draft, kw: draft.submitted_at is not None,
                         target=lambda draft, kw: reverse("orders:draft_resume", args=[draft.pk]))


@require_GET
@draft_view(flow=None, submitted_ok=True, preconditions=(SUBMITTED,))
def wizard_accepted(request: HttpRequest, draft: Draft) -> HttpResponse:
    """お申し込みを受け付けました (both flows)."""
    orders = selectors.draft_orders(draft=draft)
    return render(request, "orders/wizard/accepted.html", {
        "draft": draft, "orders": orders, "group": draft.voice_group, "nav": "ipvoice", "Flow": Flow,
    })
