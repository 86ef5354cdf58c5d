import pytest
from django.core.cache import cache

from numbering.services import stock_add_range
from portal.apikeys import api_key_create
from tests.apiclient import Api


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters (failed authentications per address, requests per key) start at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def alice_key(alice):
    return api_key_create(user=alice, name="ci")[1]


@pytest.fixture
def charlie_key(charlie):
    return api_key_create(user=charlie, name="ci")[1]


@pytest.fixture
def stocked(contract):
    stock_add_range(first="0312350000", last="0312350199")
    stock_add_range(first="05012350000", last="05012350199")
    return contract


@pytest.fixture
def api(client, alice_key):
    return Api(client, alice_key)


@pytest.fixture
def outsider_api(client, charlie_key):
    return Api(client, charlie_key)
