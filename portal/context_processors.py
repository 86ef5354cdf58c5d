from django.conf import settings
from django.http import HttpRequest


def brand(request: HttpRequest) -> dict:
    return {
        "PORTAL_BRAND": settings.PORTAL_BRAND,
        "PORTAL_COMPANY": settings.PORTAL_COMPANY,
        "PORTAL_SUPPORT_EMAIL": settings.PORTAL_SUPPORT_EMAIL,
        "PORTAL_DEMO_MAILBOX": settings.PORTAL_DEMO_MAILBOX,
    }
