"""The floor bench/pages.py measures the portal against: bare Django with the same security,
session, CSRF, auth and clickjacking middleware, the same database, connection and session settings
and the same signed-in user, serving one indexed query of 50 rows through a small template.

Settings, URLs and the view in one module: DJANGO_SETTINGS_MODULE=bench.floor, served by
`gunicorn -c portal/gunicorn_conf.py 'django.core.wsgi:get_wsgi_application()'`."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.template import Context, Engine
from django.urls import path

from portal.settings import (  # noqa: F401 - the product's own values, not copies
    AUTH_USER_MODEL,
    AUTHENTICATION_BACKENDS,
    CACHES,
    DATABASES,
    SECRET_KEY,
    SESSION_COOKIE_SECURE,
    SESSION_ENGINE,
    TIME_ZONE,
    USE_TZ,
)

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "portal"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.floor"
LOGIN_URL = "/login/"
USE_I18N = False

TEMPLATE = Engine().from_string(
    "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>floor</title></head><body>"
    "<h1>{{ user.username }}</h1><table>{% for r in rows %}<tr><td>{{ r.0 }}</td><td>{{ r.1 }}</td>"
    "<td>{{ r.2 }}</td></tr>{% endfor %}</table></body></html>")


@login_required
def rows(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT request_id, submitted_at, status FROM orders_order WHERE organisation_id = %s "
            "ORDER BY submitted_at DESC, request_id DESC LIMIT 50", [request.user.organisation_id])
        found = cursor.fetchall()
    return HttpResponse(TEMPLATE.render(Context({"user": request.user, "rows": found})))


urlpatterns = [path("floor/", rows)]
