"""API keys (API キー): made on the portal's page, by an operator in admin or by
`manage.py api_key_create`; only a digest is stored, the key is shown once."""

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from portal import clock
from portal.models import ApiKey, User

KEY_PREFIX = "ipv_"
PREFIX_SHOWN = 12  # "ipv_" and 8 characters of the secret: enough to tell keys apart
LAST_USED_EVERY = dt.timedelta(seconds=60)  # last use is written at most this often per key


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, user: User, name: str) -> tuple[ApiKey, str]:
    """A new key for a customer user: the row, and the key itself (shown once, never stored)."""
    if not user.is_customer:
        raise ValueError("API keys act for a customer user (one with an organisation)")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey.objects.create(organisation_id=user.organisation_id, user=user, name=name.strip()[:100],
                                prefix=key[:PREFIX_SHOWN], digest=key_digest(key))
    return row, key


def api_key_authenticate(key: str) -> ApiKey | None:
    """The active key of an active customer user, or None (unknown, revoked, user gone)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = (ApiKey.objects.select_related("user", "organisation")
           .filter(digest=key_digest(key), revoked_at__isnull=True).first())
    if row is None or not row.user.is_active or row.user.organisation_id != row.organisation_id:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        ApiKey.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


def api_key_revoke(*, key: ApiKey) -> bool:
    """無効にする: from the next request on, the key authenticates nothing."""
    return bool(ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=clock.now()))
