"""A fuzz of every customer URL — pages, steps, htmx fragments, queries and forms — signed in as the
owner and as another organisation, with what fuzzers send: other scripts' digits, huge numbers,
signs, brackets, control characters, long text, unknown choices. 5,000 requests; none may answer
500, and after every POST no order is left half-saved."""

import datetime as dt
import os
import re
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import drafts
from orders.models import Draft, Flow, Order
from orders.placement import order_sales_create
from orders.state import DialInItem, Editing
from tests import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

FIELDS = ["action", "agree", "method", "contract", "pick", "unpick", "q", "size", "page", "date", "time", "reason",
          "contact_name", "contact_department", "contact_phone", "contact_email", "file", "remaining", "service",
          "after", "before", "last", "group", "e5", "e3", "e8", "aml_changed", "aml_person", "nw-TOTAL_FORMS",
          "nw-0-action", "nw-0-network", "nw-0-prefix", "red-TOTAL_FORMS", "red-INITIAL_FORMS", "red-0-base",
          "red-0-kind", "red-0-quantity", "blue-TOTAL_FORMS", "blue-0-number", "blue-0-code", "port-TOTAL_FORMS",
          "port-0-number", "port-0-line_type", "port-0-holder", "rem-TOTAL_FORMS", "rem-0-number",
          "red-0-message_box", "red-0-specific_number_notification", "language", "next", "n", "as", "part"]
NASTY = ["", "0", "²", "20", "50", "-5", "+1", "(3)", "1e9", "9" * 5000, "３", "٣", "০৩১২৩৪৫৬৭৮", "03-1234-5678",
         "0312345678", "05012345678", "N100000001", "next",
         "red:add:0", "red:del:99999", "nw:del:-1", "port:add", "add",
         "edit:0", "remove:0", "new", "new_porting", "csv", "screen", "1", "yes", "契約する", "0AJ", "050",
         "2026-12-24", "9999-99-99", "19:00", "25:99", "<script>x</script>", "' OR 1=1 --", "a\x00b", "\x1b[0m",
         "🙂" * 50, "ｱ" * 300, "%00", "../../etc/passwd", "//evil.example/"]
TEXT = st.one_of(st.sampled_from(NASTY), st.text(max_size=40), st.integers().map(str))


def _routes(resolver: URLResolver, prefix: str = ""):
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith(("admin/", "i18n/")):
                yield from _routes(entry, route)
        elif isinstance(entry, URLPattern) and "logout" not in route and "password" not in route:
            yield route


def _advanced_drafts(alice, contract) -> list[str]:
    """Drafts whose every fragment answers (not a redirect to an earlier step): an immediate draft at
    the chooser and at the content rows, a scheduled one with a dial-in item open at its chooser."""
    at_chooser = drafts.draft_create(user=alice, voice_group=contract.voice_group)
    drafts.draft_save(draft=at_chooser, finished=2, agreed=True, method=Draft.Method.SCREEN)
    at_rows = drafts.draft_create(user=alice, voice_group=contract.voice_group)
    drafts.draft_save(draft=at_rows, finished=3, agreed=True, method=Draft.Method.SCREEN,
                      base_numbers=["0312345678"])
    item_open = drafts.draft_create(user=alice, voice_group=contract.voice_group, flow=Flow.SCHEDULED)
    drafts.draft_save(draft=item_open, finished=2, agreed=True, contract=contract,
                      editing=Editing(item=DialInItem(method=Draft.Method.SCREEN, bases=["0312345678"]), done=2))
    return [str(d.pk) for d in (at_chooser, at_rows, item_open)]


@pytest.fixture
def world(alice, charlie, contract, outsider_contract, operator):
    factories.contract(alice.organisation, "N100000009", base_numbers=["0312349999"])
    ids = {
        "uuid": [str(drafts.draft_create(user=alice, voice_group=contract.voice_group, flow=flow).pk)
                 for flow in (Flow.IMMEDIATE, Flow.SCHEDULED)]
        + _advanced_drafts(alice, contract)
        + [str(drafts.draft_create(user=charlie, voice_group=outsider_contract.voice_group).pk), str(uuid.uuid4())],
        "str": [order_sales_create(contract=contract, scheduled_on=dt.date(2026, 12, 25), operator=operator).request_id,
                contract.number, "0312345678", contract.voice_group.group_id, outsider_contract.number, "x"],
        "int": ["0", "1", "2", "3", "4", "5", "6", "7", "99999999999"],
    }
    owner, other = Client(), Client()
    owner.force_login(alice)
    other.force_login(charlie)
    routes = sorted(set(_routes(get_resolver())))
    return {"ids": ids, "clients": [owner, other], "routes": routes}


@settings(max_examples=int(os.getenv("FUZZ_EXAMPLES", "5000")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_request_is_a_server_error(world, data):
    route = data.draw(st.sampled_from(world["routes"]))
    path = "/" + re.sub(r"<(?:(\w+):)?\w+>",
                        lambda m: data.draw(st.sampled_from(world["ids"].get(m.group(1) or "str", ["x"]))), route)
    client = data.draw(st.sampled_from(world["clients"]))
    fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), st.lists(TEXT, min_size=1, max_size=3),
                                       max_size=8))
    headers = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans()) else {}
    if data.draw(st.booleans()):
        response = client.get(path, fields, **headers)
    else:
        response = client.post(path, fields, **headers)
        whole()
    assert response.status_code < 500, (path, fields, response.status_code)


def whole() -> None:
    """Nothing half-saved: every portal order has its items and its draft submitted."""
    for order in Order.objects.filter(channel="portal").prefetch_related("items"):
        assert order.items.all() and Draft.objects.filter(pk=order.draft_id, submitted_at__isnull=False).exists()
