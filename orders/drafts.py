"""Drafts (作成中): created, saved step by step, expired."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from numbering.models import VoiceGroup
from orders.attachments import draft_attachments_delete
from orders.models import (
    Draft,
    Flow,
)
from orders.selectors import draft_expiry
from portal import clock

logger = logging.getLogger(__name__)


def draft_create(*, user, voice_group: VoiceGroup, flow: str = Flow.IMMEDIATE) -> Draft:
    now = clock.now()
    return Draft.objects.create(
        organisation=user.organisation, created_by=user, voice_group=voice_group, flow=flow,
        created_at=now, updated_at=now, touched_at=timezone.now(),
        contact={
            "contact_name": user.get_full_name(), "contact_department": user.department,
            "contact_phone": user.phone, "contact_email": user.email,
        },
    )


@transaction.atomic
def draft_start(*, user, voice_group: VoiceGroup, flow: str = Flow.IMMEDIATE) -> tuple[Draft, int]:
    """A customer starts an order: a new draft, and — when the user already has as many open drafts
    as allowed (PORTAL_DRAFTS_PER_USER) — the least recently touched ones discarded with their
    uploads. Returns the draft and how many were discarded. The user's row is locked, so two starts
    at once cannot both stay under the cap."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    draft = draft_create(user=user, voice_group=voice_group, flow=flow)
    kept = Draft.objects.filter(created_by=user, submitted_at__isnull=True).order_by("-touched_at", "-pk")
    surplus = Draft.objects.filter(pk__in=list(kept.values_list("pk", flat=True)[settings.PORTAL_DRAFTS_PER_USER:]))
    draft_attachments_delete(surplus)
    _total, by_model = surplus.delete()
    return draft, by_model.get(Draft._meta.label, 0)


def draft_save(*, draft: Draft, finished: int | None = None, **fields) -> None:
    """Save what a step holds; `finished` marks that step done. The confirm step re-checks
    everything, so a change in an earlier step can never slip through unchecked."""
    for name, value in fields.items():
        setattr(draft, name, value)
    if finished is not None:
        draft.step_done = max(draft.step_done, finished)
    draft.updated_at, draft.touched_at = clock.now(), timezone.now()
    names = {*fields, "step_done", "updated_at", "touched_at"}
    # Only the fields this step holds, and never over a submitted draft: a request that read the
    # draft before another tab's submit committed must not make it submittable again.
    Draft.objects.filter(pk=draft.pk, submitted_at__isnull=True).update(
        **{name: getattr(draft, name) for name in names})


@transaction.atomic
def draft_discard(*, draft: Draft) -> None:
    """破棄: the draft and what it uploaded (no order holds that)."""
    draft_attachments_delete(Draft.objects.filter(pk=draft.pk))
    draft.delete()


@transaction.atomic
def drafts_expire() -> int:
    """Old unfinished drafts go away, with their uploads (a beat task runs this)."""
    old = Draft.objects.filter(submitted_at__isnull=True, touched_at__lt=draft_expiry())
    draft_attachments_delete(old)
    deleted, _ = old.delete()
    return deleted
