from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from portal.i18n import brand_names


def brand(request: HttpRequest) -> dict:
    brand_name, company = brand_names()
    return {
        "PORTAL_BRAND": brand_name,
        "PORTAL_COMPANY": company,
        "PORTAL_SUPPORT_EMAIL": settings.PORTAL_SUPPORT_EMAIL,
        "PORTAL_DEMO_MAILBOX": settings.PORTAL_DEMO_MAILBOX,
        "PORTAL_DEMO_MODE": settings.PORTAL_DEMO_MODE,
        "demo_clock": _demo_clock(),
        "urls": _layout_urls(get_script_prefix()),
        # Rule codes (E7, B1, O4 …) beside decisions: in trainer mode, and always for operators.
        "show_rules": settings.PORTAL_TRAINER_MODE or getattr(request.user, "is_staff", False),
    }


LAYOUT_URLS = ("portal:dashboard", "portal:ipvoice_menu", "portal:help", "portal:logout", "portal:password_change",
               "portal:api_keys", "api:openapi-view",
               "orders:history", "orders:mailbox", "set_language")


@cache
def _layout_urls(prefix: str) -> dict[str, str]:
    """The links every page's header and footer show, reversed once per process (not per page)."""
    return {name.rpartition(":")[2].replace("-", "_"): reverse(name) for name in LAYOUT_URLS}


def _demo_clock():
    """The demo clock's date for the banner, only while it runs ahead of real time."""
    from portal import clock

    if not settings.PORTAL_DEMO_CLOCK or not clock.offset():
        return None
    return clock.now().astimezone(clock.JST)
