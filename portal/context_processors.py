from django.conf import settings
from django.http import HttpRequest


def brand(request: HttpRequest) -> dict:
    return {
        "PORTAL_BRAND": settings.PORTAL_BRAND,
        "PORTAL_COMPANY": settings.PORTAL_COMPANY,
        "PORTAL_SUPPORT_EMAIL": settings.PORTAL_SUPPORT_EMAIL,
        "PORTAL_DEMO_MAILBOX": settings.PORTAL_DEMO_MAILBOX,
        "demo_clock": _demo_clock(),
    }


def _demo_clock():
    """The demo clock's date for the banner, only while it runs ahead of real time."""
    from portal import clock

    if not settings.PORTAL_DEMO_CLOCK or not clock.offset():
        return None
    return clock.now().astimezone(clock.JST)
