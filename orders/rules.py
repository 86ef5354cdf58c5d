"""The domain's limits and dates, each in one place and named by its rule (../shared/domain.md)."""

import datetime as dt

from django.conf import settings
from django.utils.translation import pgettext

from portal import business_days

# E8: a representative group (代表) may not grow past this many numbers through an immediate order.
E8_GROUP_LIMIT = 1_000
# Order content (追加する番号の内容): numbers per row, 1–2000 immediate, 1–999 scheduled.
QUANTITY_MAX_IMMEDIATE = 2_000
QUANTITY_MAX_SCHEDULED = 999
# Scheduled and sales orders complete (竣工) this many business days after activation; until then
# they block immediate orders on their N番 (B1). Immediate orders complete at activation (B2).
COMPLETION_BUSINESS_DAYS = 2


def rule_tag(rule: str) -> str:
    """「（O2）」 after a customer message in trainer mode (PORTAL_TRAINER_MODE, on in the demo), so a
    trainer can point at the rule; nothing otherwise. Operators always see the rules in admin."""
    return pgettext("rule tag", "（%(rule)s）") % {"rule": rule} if settings.PORTAL_TRAINER_MODE else ""


def completion_date(activated_on: dt.date) -> dt.date:
    """竣工 of a scheduled or sales order activated (or to be activated) on `activated_on`."""
    return business_days.add_business_days(activated_on, COMPLETION_BUSINESS_DAYS)
