"""The wizard framework's gate, for every view and htmx fragment of both flows: an outsider gets
404, an expired draft is deleted (never revived by a fragment), a submitted draft only shows its
accepted page, and a step reached out of order sends the user to the first unfinished one."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import drafts
from orders.models import Draft, Flow
from orders.state import DialInItem, Editing
from portal import clock

HTMX = {"HX-Request": "true"}

# (URL name, URL kwargs, method) for every view of a draft: pages and fragments.
IMMEDIATE = [
    *[("orders:wizard_step", {"step": n}, "get") for n in range(1, 7)],
    *[("orders:wizard_step", {"step": n}, "post") for n in range(1, 7)],
    ("orders:wizard_bases", {}, "get"),
    ("orders:wizard_bases", {}, "post"),
    ("orders:wizard_rows", {}, "post"),
    ("orders:wizard_csv_template", {}, "get"),
]
SCHEDULED = [
    *[("orders:scheduled_step", {"step": n}, "get") for n in range(1, 7)],
    *[("orders:scheduled_step", {"step": n}, "post") for n in range(1, 7)],
    *[("orders:scheduled_item", {"sub": n}, "get") for n in range(1, 6)],
    *[("orders:scheduled_item", {"sub": n}, "post") for n in range(1, 6)],
    ("orders:scheduled_item_rows", {}, "post"),
    ("orders:scheduled_item_bases", {}, "get"),
    ("orders:scheduled_item_bases", {}, "post"),
    ("orders:scheduled_csv_template", {}, "get"),
]
EITHER = [("orders:draft_resume", {}, "get"), ("orders:draft_discard", {}, "post"),
          ("orders:wizard_accepted", {}, "get")]
FRAGMENTS = {"orders:wizard_bases", "orders:wizard_rows", "orders:wizard_csv_template", "orders:scheduled_item_rows",
             "orders:scheduled_item_bases", "orders:scheduled_csv_template"}
CASES = [(Flow.IMMEDIATE, *case) for case in [*IMMEDIATE, *EITHER]] + \
        [(Flow.SCHEDULED, *case) for case in [*SCHEDULED, *EITHER]]
IDS = [f"{flow}-{name.split(':')[1]}-{'-'.join(map(str, kw.values()))}-{method}" for flow, name, kw, method in CASES]


def url(name: str, draft: Draft, kwargs: dict) -> str:
    return reverse(name, kwargs={"draft_id": draft.pk, **kwargs})


def call(client, method: str, address: str, **extra):
    return getattr(client, method)(address, **extra)


def redirected_to(response) -> str:
    """Where a response sends the user: a redirect's Location or htmx's HX-Redirect."""
    return response.headers.get("HX-Redirect") or response.headers.get("Location", "")


@pytest.fixture
def draft_of(alice, contract):
    def make(flow: str, **fields) -> Draft:
        draft = drafts.draft_create(user=alice, voice_group=contract.voice_group, flow=flow)
        if fields:
            Draft.objects.filter(pk=draft.pk).update(**fields)
            draft.refresh_from_db()
        return draft
    return make


def test_every_draft_url_of_both_flows_is_behind_the_gate_and_tested_here():
    """A new draft view cannot be added without the gate and without a line in the tables above."""
    draft_urls = {f"orders:{p.name}" for p in _orders_patterns() if "draft_id" in str(p.pattern)}
    tested = {name for _flow, name, _kw, _m in CASES}
    assert draft_urls == tested
    for name in draft_urls:
        view = _view_of(name)
        assert hasattr(view, "preconditions"), f"{name} does not pass the wizard framework's gate"


def _orders_patterns():
    from orders import urls
    return urls.urlpatterns


def _view_of(name: str):
    from orders import urls
    pattern = next(p for p in urls.urlpatterns if f"orders:{p.name}" == name)
    view = pattern.callback
    while not hasattr(view, "preconditions") and hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


@pytest.mark.parametrize(("flow", "name", "kwargs", "method"), CASES, ids=IDS)
def test_an_outsider_gets_404(client, charlie, draft_of, flow, name, kwargs, method):
    draft = draft_of(flow, agreed=True, step_done=3)
    client.force_login(charlie)
    assert call(client, method, url(name, draft, kwargs)).status_code == 404
    assert call(client, method, url(name, draft, kwargs), headers=HTMX).status_code == 404
    assert Draft.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize(("flow", "name", "kwargs", "method"), CASES, ids=IDS)
def test_an_expired_draft_is_deleted_with_a_message_and_never_revived(client, alice, draft_of, flow, name, kwargs,
                                                                       method):
    client.force_login(alice)
    for htmx in (False, True):
        draft = draft_of(flow, agreed=True, step_done=3, touched_at=timezone.now() - dt.timedelta(days=30),
                         editing=Editing(item=DialInItem(), done=1) if flow == Flow.SCHEDULED else None)
        response = call(client, method, url(name, draft, kwargs), headers=HTMX if htmx else {})
        assert redirected_to(response) == reverse("orders:draft_list")
        assert response.status_code == (204 if htmx else 302)
        assert not Draft.objects.filter(pk=draft.pk).exists()
        page = client.get(reverse("orders:draft_list")).content.decode()
        assert "保存期間が過ぎたため、破棄されました" in page


@pytest.mark.parametrize(("flow", "name", "kwargs", "method"), CASES, ids=IDS)
def test_a_submitted_draft_only_shows_its_accepted_page(client, alice, draft_of, flow, name, kwargs, method):
    draft = draft_of(flow, agreed=True, step_done=6, submitted_at=clock.now(),
                     editing=Editing(item=DialInItem(), done=1) if flow == Flow.SCHEDULED else None)
    before = Draft.objects.values_list("updated_at", "step_done", "editing").get(pk=draft.pk)
    client.force_login(alice)
    accepted = reverse("orders:wizard_accepted", args=[draft.pk])
    response = call(client, method, url(name, draft, kwargs))
    if name == "orders:wizard_accepted":
        assert response.status_code == 200
        return
    assert redirected_to(response) == accepted
    assert redirected_to(call(client, method, url(name, draft, kwargs), headers=HTMX)) == accepted
    assert Draft.objects.values_list("updated_at", "step_done", "editing").get(pk=draft.pk) == before


@pytest.mark.parametrize(("flow", "name", "kwargs", "method"), [c for c in CASES if c[1] not in
                         ("orders:draft_resume", "orders:draft_discard")], ids=[
                             i for c, i in zip(CASES, IDS, strict=True)
                             if c[1] not in ("orders:draft_resume", "orders:draft_discard")])
def test_a_step_out_of_order_goes_to_the_first_unfinished_one(client, alice, draft_of, flow, name, kwargs, method):
    draft = draft_of(flow)  # nothing done yet: step 1 is the first unfinished
    client.force_login(alice)
    first = reverse("orders:wizard_step" if flow == Flow.IMMEDIATE else "orders:scheduled_step", args=[draft.pk, 1])
    response = call(client, method, url(name, draft, kwargs), headers=HTMX if name in FRAGMENTS else {})
    # Every answer of the gate differs for htmx (HX-Redirect, fragments): caches must keep them apart.
    assert "HX-Request" in response.headers.get("Vary", ""), name
    if kwargs.get("step") == 1:
        assert response.status_code in (200, 302, 422)  # step 1 itself is open
        return
    if name == "orders:wizard_csv_template":
        assert response.status_code == 200  # only the template's columns: no draft state
        return
    if name == "orders:wizard_accepted":
        assert redirected_to(response) == reverse("orders:draft_resume", args=[draft.pk])
        return
    target = redirected_to(response)
    assert target in (first, reverse("orders:scheduled_step", args=[draft.pk, 1]))
    if name in FRAGMENTS:
        assert response.status_code == 204  # HX-Redirect, never a fragment for a step not reached
    assert Draft.objects.values_list("step_done", flat=True).get(pk=draft.pk) == 0


@pytest.mark.parametrize(("name", "kwargs", "method"), IMMEDIATE, ids=[f"{n}-{m}-{k}" for n, k, m in IMMEDIATE])
def test_a_scheduled_draft_on_an_immediate_url_goes_to_its_own_flow(client, alice, draft_of, name, kwargs, method):
    draft = draft_of(Flow.SCHEDULED, agreed=True, step_done=3)
    client.force_login(alice)
    response = call(client, method, url(name, draft, kwargs))
    if name == "orders:wizard_csv_template":
        assert response.status_code == 200
    elif name in FRAGMENTS:
        assert response.status_code == 404
    else:
        assert redirected_to(response) == reverse("orders:draft_resume", args=[draft.pk])
