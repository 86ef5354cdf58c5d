"""Schemathesis fuzzes the whole API schema against the WSGI app (real PostgreSQL behind it): no
server error, every answer as documented (status, content type, headers, body schema), and the
stateful walk the schema's links declare (place an order → get it → its numbers)."""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from numbering.services import stock_add_range
from portal.apikeys import api_key_create
from tests import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db]
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "60"))
# Not applied: a schema-valid request may still be refused by what the schema cannot say (an opaque
# cursor this API did not make, an order the rules refuse: E1–E8, B1, quantities, codes).
positive_data_acceptance = schemathesis.checks.positive_data_acceptance


@pytest.fixture
def api_schema(alice, contract, operator, settings):
    from django.core.wsgi import get_wsgi_application

    settings.PORTAL_API_RATE_PER_MINUTE = 0
    settings.PORTAL_API_AUTH_FAILURES = 1_000_000
    stock_add_range(first="0312350000", last="0312350999")
    factories.contract(alice.organisation, "N100000002", base_numbers=["05012345670"])
    key = api_key_create(user=alice, name="fuzz")[1]
    # As Django's test client does: the test's transaction keeps its connection across requests.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

    @schema.auth()
    class BearerKey:
        """The key, as a client sends it (Schemathesis also tries requests without it)."""

        def get(self, case, context):
            return key

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    yield schema, {}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_answers_as_documented(api_schema):
    schema, headers = api_schema
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                             database=None)
        def fuzz(case):
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            fuzz()
        except Exception as exc:  # every operation's findings, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_stateful_walk_the_links_declare(api_schema):
    """Place orders → get them → their numbers → cancel, following the schema's links."""
    from hypothesis import settings as hs

    schema, headers = api_schema
    base = schema.as_state_machine()

    class Walk(base):
        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

    Walk.run(settings=hs(max_examples=int(os.environ.get("API_FUZZ_STEPS", "25")), deadline=None,
                         suppress_health_check=list(HealthCheck), database=None, stateful_step_count=6))
