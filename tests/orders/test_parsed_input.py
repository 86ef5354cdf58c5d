"""Query parameters and buttons are parsed by Forms: what a fuzzer or a hand-made link sends never
reaches an int() (no 500), and a draft start is capped per user."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Draft, Flow
from tests.orders.test_immediate_wizard import start as immediate_start
from tests.orders.test_immediate_wizard import step_url, to_step
from tests.orders.test_scheduled_wizard import i_url
from tests.orders.test_scheduled_wizard import start as scheduled_start

# "²" is a digit to str.isdigit() but not to int(); 5,000 digits are past Python's int() limit.
BAD_SIZES = ["²", "9" * 5000, "-20", "20.0", "０２０"]


def _chooser_urls(client, alice, contract) -> list[str]:
    immediate = immediate_start(client, alice, contract)
    to_step(client, immediate, 3)
    scheduled = scheduled_start(client, alice, contract)
    client.post(reverse("orders:scheduled_step", args=[scheduled.pk, 3]), {"action": "new"})
    client.post(i_url(scheduled, 1), {"method": "screen"})
    return [step_url(immediate, 3), reverse("orders:wizard_bases", args=[immediate.pk]),
            i_url(scheduled, 2), reverse("orders:scheduled_item_bases", args=[scheduled.pk])]


@pytest.mark.parametrize("size", BAD_SIZES)
def test_a_bad_page_size_shows_the_default_list_never_a_500(client, alice, contract, size):
    for url in _chooser_urls(client, alice, contract):
        for page in ("1", "²", "9" * 5000):
            response = client.get(url, {"size": size, "page": page, "q": "0312"})
            assert response.status_code == 200, (url, size)
            page_html = response.content.decode()
            assert '<option value="100" selected>' in page_html and "0312345678" in page_html


def test_a_good_page_size_is_kept(client, alice, contract):
    for url in _chooser_urls(client, alice, contract):
        assert '<option value="20" selected>' in client.get(url, {"size": "20"}).content.decode()


def test_the_chooser_redirect_keeps_only_what_it_understood(client, alice, contract):
    draft = immediate_start(client, alice, contract)
    to_step(client, draft, 3)
    response = client.post(step_url(draft, 3), {"action": "search", "q": "0312", "size": "²", "page": "9" * 5000})
    assert response.status_code == 302 and response.url == step_url(draft, 3) + "?q=0312"


@pytest.mark.parametrize("action", ["red:add:٣", "red:add:" + "9" * 5000, "red:add:-1", "red:add:99", "red:add",
                                    "blue:del:x", "red::0", "add:red:0"])
def test_a_row_button_that_names_no_row_changes_nothing(client, alice, contract, action):
    from tests import factories

    draft = immediate_start(client, alice, contract)
    to_step(client, draft, 4)
    response = client.post(step_url(draft, 4), factories.content(red=[("0312345678", "0AJ", "1")], action=action))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert len(draft.red_rows) == 1 and draft.red_rows[0].quantity == "1"


def test_a_row_button_adds_after_its_row_and_deletes_its_row(client, alice, contract):
    from tests import factories

    draft = immediate_start(client, alice, contract)
    to_step(client, draft, 4)
    rows = [("0312345678", "0AJ", "1"), ("0312345678", "050", "2")]
    client.post(step_url(draft, 4), factories.content(red=rows, action="red:add:0"))
    draft.refresh_from_db()
    assert [r.quantity for r in draft.red_rows] == ["1", "", "2"]
    client.post(step_url(draft, 4), factories.content(red=[("0312345678", "0AJ", "1"), ("", "", ""),
                                                           ("0312345678", "050", "2")], action="red:del:0"))
    draft.refresh_from_db()
    assert [r.quantity for r in draft.red_rows] == ["", "2"]


@pytest.mark.parametrize("action", ["edit:٣", "delete:" + "9" * 5000, "edit:-1", "delete:5", "edit"])
def test_a_menu_button_that_names_no_item_changes_nothing(client, alice, contract, action):
    draft = scheduled_start(client, alice, contract)
    response = client.post(reverse("orders:scheduled_step", args=[draft.pk, 3]), {"action": action})
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.editing is None and draft.items == []


def test_starting_a_draft_over_the_cap_discards_the_least_recently_touched(client, alice, bob, contract,
                                                                            settings):
    settings.PORTAL_DRAFTS_PER_USER = 3
    client.force_login(alice)
    menu = reverse("orders:immediate_menu", args=[contract.voice_group.group_id])
    for _i in range(3):
        client.post(menu)
    oldest, *kept = Draft.objects.filter(created_by=alice).order_by("created_at", "pk")
    # The draft created first was used most recently: it stays; the next one is the oldest untouched.
    Draft.objects.filter(pk=oldest.pk).update(touched_at=timezone.now() + dt.timedelta(seconds=5))
    Draft.objects.filter(pk=kept[0].pk).update(touched_at=timezone.now() - dt.timedelta(hours=1))
    bobs = Draft.objects.create(organisation=bob.organisation, created_by=bob, voice_group=contract.voice_group,
                                flow=Flow.IMMEDIATE, created_at=timezone.now(), updated_at=timezone.now(),
                                touched_at=timezone.now() - dt.timedelta(days=1))
    response = client.post(menu, follow=True)
    assert "50件まで" not in response.content.decode()
    assert "3件までのため、最も長く操作のなかった1件を破棄しました" in response.content.decode()
    left = set(Draft.objects.filter(created_by=alice).values_list("pk", flat=True))
    assert len(left) == 3 and oldest.pk in left and kept[0].pk not in left and kept[1].pk in left
    assert Draft.objects.filter(pk=bobs.pk).exists()  # another user's drafts are theirs
    # The scheduled flow's start is capped the same way.
    client.post(reverse("orders:scheduled_new", args=[contract.voice_group.group_id]))
    assert Draft.objects.filter(created_by=alice).count() == 3
    assert Draft.objects.filter(created_by=alice, flow=Flow.SCHEDULED).count() == 1
