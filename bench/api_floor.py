"""The floor bench/api.py measures the API against: a bare django-ninja API with the portal's own key
authentication (portal.api.KeyAuth: the per-address auth-failure throttle read from the cache, the
key looked up by its digest with its user and organisation, the per-key rate limit as configured)
and the same database, connection and cache settings, serving one indexed query as JSON:

    GET /floor/orders/{request_id}   the order's status        (organisation, request_id: unique index)
    GET /floor/orders?cursor=…       50 orders after a cursor  (order_history_keyset_idx, as the history),
                                     the summary's fields as stored (the N番 by a join)

Only the security middleware (the API has no sessions, CSRF or sign-in). Settings, URLs and the
views in one module: DJANGO_SETTINGS_MODULE=bench.api_floor, served by
`gunicorn -c portal/gunicorn_conf.py 'django.core.wsgi:get_wsgi_application()'`. The URLs are made
on first use (module __getattr__): django-ninja and the models cannot be imported while the
settings load."""

from functools import cache

from portal.settings import (  # noqa: F401 - the product's own values, not copies
    AUTH_USER_MODEL,
    CACHES,
    DATABASES,
    PORTAL_API_AUTH_FAILURE_WINDOW,
    PORTAL_API_AUTH_FAILURES,
    PORTAL_API_RATE_PER_MINUTE,
    PORTAL_DEMO_CLOCK,
    SECRET_KEY,
    TIME_ZONE,
    USE_TZ,
)

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "ninja", "numbering", "portal", "orders"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
ROOT_URLCONF = "bench.api_floor"
USE_I18N = False
LIMIT = 50
# The fields of the API's order summary (orders.api.OrderSummary), as stored: no labels.
SUMMARY = ("request_id", "flow", "status", "contract__number", "kind_label", "channel", "submitted_at", "scheduled_on",
           "activated_on")


@cache
def _urlpatterns() -> list:
    import base64
    import datetime as dt
    import json

    from django.db.models import F
    from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
    from django.urls import path
    from ninja import NinjaAPI

    from orders.models import Order
    from portal.api import KeyAuth

    api = NinjaAPI(urls_namespace="floor", auth=KeyAuth(), docs_url=None, openapi_url=None)

    @api.get("/orders/{request_id}")
    def order_status(request, request_id: str):
        status = (Order.objects.filter(organisation_id=request.auth.organisation_id, request_id=request_id)
                  .values_list("status", flat=True).first())
        return {"request_id": request_id, "status": status}

    @api.get("/orders")
    def orders_page(request, cursor: str = ""):
        found = Order.objects.filter(organisation_id=request.auth.organisation_id)
        if cursor:
            micros, request_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            after = dt.datetime.fromtimestamp(micros / 1_000_000, tz=dt.UTC)
            found = found.filter(TupleLessThan(Tuple(F("submitted_at"), F("request_id")), (after, request_id)))
        rows = found.order_by("-submitted_at", "-request_id").values(*SUMMARY)[:LIMIT]
        return {"data": list(rows)}

    return [path("floor/", api.urls)]


def __getattr__(name: str):
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
