"""Hardening, tried as an attacker would: sign-in throttling, CSRF on every URL, safe `next=`,
response headers (CSP with nonces, frames, referrer), admin for staff only, control characters."""

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import PASSWORD

LOGIN = "/login/"


def sign_in(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_user_at_that_address_until_an_operator_unlocks(client, alice, operator):
    for _ in range(4):
        assert sign_in(client, "alice", "wrong").status_code == 200
    locked = sign_in(client, "alice", "wrong")
    assert locked.status_code == 429 and "一時的にログインできなくなっています" in locked.content.decode()
    # Locked: the right password does not sign in now, from that address.
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # Another address is not locked (the lock is per user name and address).
    assert sign_in(Client(), "alice", PASSWORD, ip="198.51.100.9").status_code == 302
    # The operator unlocks in admin: the attempt is deleted, the customer signs in.
    staff = Client()
    staff.force_login(operator)
    attempts = staff.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "alice" in attempts and "ログイン試行" in attempts and "失敗回数" in attempts  # Japanese admin
    attempt = AccessAttempt.objects.get(username="alice")
    staff.post(reverse("admin:axes_accessattempt_changelist"),
               {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"})
    assert not AccessAttempt.objects.exists()
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, alice):
    for _ in range(4):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "alice", "wrong").status_code == 200


def test_admin_sign_in_is_throttled_too_and_refuses_customers(client, alice, operator):
    admin_login = reverse("admin:login")
    for _ in range(5):
        client.post(admin_login, {"username": "root-op", "password": "guess"}, REMOTE_ADDR="203.0.113.8")
    response = client.post(admin_login, {"username": "root-op", "password": "guess"}, REMOTE_ADDR="203.0.113.8")
    assert response.status_code == 429
    customer = Client()
    customer.force_login(alice)
    response = customer.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(admin_login)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "http://testserver@evil.example/"])
def test_next_never_leaves_the_site(client, alice, target):
    response = client.post(LOGIN + "?next=" + target, {"username": "alice", "password": PASSWORD,
                                                       "next": target})
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")


def test_pages_carry_csp_with_nonces_and_frame_and_referrer_headers(client, alice):
    client.force_login(alice)
    response = client.get(reverse("portal:dashboard"))
    csp = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(f'nonce="{nonce}"' in tag or "src=" in tag for tag in scripts)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    # A new nonce for every response.
    assert nonce not in client.get(reverse("portal:dashboard"))["Content-Security-Policy"]


def _patterns(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue  # Django's own admin; its sign-in is checked above
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


SAMPLE = {"uuid": "00000000-0000-4000-8000-000000000000", "int": "1", "str": "x", "path": "x", "slug": "x"}


def _concrete(route: str) -> str:
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)
    return "/" + route.lstrip("^").rstrip("$")


def test_every_url_refuses_a_post_without_a_csrf_token(alice):
    """No view is exempt: a signed-in POST without the token is refused before any view runs. The
    API is the one exception by design: it reads no session, only a Bearer key (a browser's cookies
    authenticate nothing there), so it answers 401."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    routes = sorted(set(_patterns(get_resolver())))
    assert len(routes) > 30
    for route in routes:
        response = client.post(_concrete(route), {"action": "next"})
        if route == "webhooks/inbox/<str:token>/receive/":  # a webhook receiver: no session, no CSRF
            assert response.status_code == 404  # (an unknown inbox)
        elif route.startswith("api/v1/"):  # the key's 401, 405 for a GET-only path, or CSRF's 403 (the docs)
            assert response.status_code in (401, 403, 405) and response["Content-Type"] == "application/problem+json"
        else:
            assert response.status_code == 403, route
    assert Client(enforce_csrf_checks=True).post(LOGIN, {"username": "alice", "password": PASSWORD}).status_code == 403


@pytest.mark.parametrize("value", ["050\x00", "a\x07b", "x\x1by", "\x7f"])
def test_control_characters_are_refused_in_forms_queries_and_paths(client, alice, value):
    client.force_login(alice)
    response = client.post(reverse("portal:password_change"), {"old_password": value})
    assert response.status_code == 400 and "使用できない文字" in response.content.decode()
    assert client.get(reverse("orders:history"), {"service": value}).status_code == 400
    # Tabs and line breaks are ordinary text.
    assert client.get(reverse("orders:history"), {"service": "a\tb\r\n"}).status_code == 200
