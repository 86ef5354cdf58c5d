"""The wizard framework: one gate for every view and htmx fragment of both order flows.

A draft view is declared with `draft_view(flow=…, preconditions=…)`. Before the view runs, the
gate checks, in this order and the same way in both flows:

1. **own** — the draft belongs to the user's organisation (else 404: no one learns it exists);
2. **flow** — it is a draft of this flow (else its own flow takes over, or 404 for a fragment);
3. **not submitted** — a submitted draft only shows its accepted page;
4. **not expired** — an expired draft is deleted, with a message, and the user lands on the list;
5. the view's own **preconditions**, each a named check that sends the user where it says
   (in the spirit of django-oscar's checkout `pre_conditions`), e.g. "no step before the one
   before it is unfinished".

A check that fails answers a page request with a redirect, and an htmx request with
`HX-Redirect`, so a fragment never renders for a draft it must not touch and never revives it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.vary import vary_on_headers

from orders import selectors
from orders.models import Draft, Flow
from portal.views import customer_required


@dataclass(frozen=True)
class Precondition:
    """A named check a view needs. `met(draft, kwargs)` says whether it holds; if not, the user is
    sent to `target(draft, kwargs)` (a URL), with `message` if one is given."""

    name: str
    met: Callable[[Draft, dict], bool]
    target: Callable[[Draft, dict], str]
    message: str = ""


@dataclass(frozen=True)
class Step:
    """A declared step of a flow: its name (what code calls it), its title (as the guide names it),
    its view, and when it is skipped (e.g. the content step when a CSV file gives the content: the
    step before it then stands for both)."""

    name: str
    title: str
    view: Callable[[HttpRequest, Draft], HttpResponse]
    skipped: Callable[[Draft], bool] = lambda draft: False


class Steps:
    """A flow's steps, declared once in the guide's order; the guide's numbers (in the URL and on
    screen) are their positions, and code refers to them by name. `url_name` / `url_kwarg` reverse a
    step's URL; `done` reads how far the draft got (the number of the last step passed) and `record`
    saves a new value of it with the step's fields."""

    def __init__(self, *steps: Step, url_name: str, url_kwarg: str, done: Callable[[Draft], int],
                 record: Callable[..., None]) -> None:
        self.steps = steps
        self.url_name, self.url_kwarg, self.done, self.record = url_name, url_kwarg, done, record
        self.numbers = {step.name: number for number, step in enumerate(steps, start=1)}

    def __iter__(self):
        return iter(self.steps)

    def number(self, name: str) -> int:
        return self.numbers[name]

    def step(self, name: str) -> Step:
        return self.steps[self.numbers[name] - 1]

    def at(self, number: int) -> Step | None:
        return self.steps[number - 1] if isinstance(number, int) and 1 <= number <= len(self.steps) else None

    def first_unfinished(self, draft: Draft) -> Step:
        """Where the draft resumes: the step after the last one passed (a skipped one: the step before
        it, which stands for it)."""
        number = min(self.done(draft) + 1, len(self.steps))
        while number > 1 and self.steps[number - 1].skipped(draft):
            number -= 1
        return self.steps[number - 1]

    def reachable(self, draft: Draft, number: int) -> bool:
        """A step may be shown: it exists, it is not skipped, and every step before it was passed."""
        step = self.at(number)
        return (step is not None and not step.skipped(draft)
                and number <= self.number(self.first_unfinished(draft).name))

    def has_passed(self, draft: Draft, name: str) -> bool:
        return self.done(draft) >= self.number(name)

    def passed(self, draft: Draft, name: str, **fields) -> None:
        """Step `name` is passed, with what it saves."""
        self.record(draft, max(self.done(draft), self.number(name)), **fields)

    def reopen(self, draft: Draft, name: str, **fields) -> None:
        """Save an unchecked change: step `name` and the ones after it must be passed again."""
        self.record(draft, min(self.done(draft), self.number(name) - 1), **fields)

    def before(self, draft: Draft, name: str) -> Step | None:
        """The step 戻る goes to: the nearest one before `name` that is not skipped."""
        number = self.number(name) - 1
        while number >= 1 and self.steps[number - 1].skipped(draft):
            number -= 1
        return self.steps[number - 1] if number >= 1 else None

    def url(self, draft: Draft, name: str) -> str:
        return reverse(self.url_name, kwargs={"draft_id": draft.pk, self.url_kwarg: self.number(name)})

    def go(self, draft: Draft, name: str) -> HttpResponse:
        return redirect(self.url(draft, name))

    def resume_url(self, draft: Draft) -> str:
        return self.url(draft, self.first_unfinished(draft).name)

    def bar(self, draft: Draft, current: str, titles: dict[str, str] | None = None) -> list[dict]:
        """The steps as the page's step bar shows them: number, title, current / done / skipped."""
        now = self.number(current)
        return [{"number": number, "title": (titles or {}).get(step.name, step.title), "current": number == now,
                 "done": number < now, "skipped": step.skipped(draft)}
                for number, step in enumerate(self.steps, start=1)]

    def page(self, draft: Draft, current: str, titles: dict[str, str] | None = None) -> dict:
        """What a step's page shows of the flow: its number and declared title, the step bar (with
        `titles` instead of some declared ones), every step's URL by name and where 戻る goes."""
        before = self.before(draft, current)
        return {"step": self.number(current), "step_title": self.step(current).title,
                "step_bar": self.bar(draft, current, titles), "step_urls": self.urls(draft),
                "back_url": self.url(draft, before.name) if before else ""}

    def urls(self, draft: Draft) -> dict[str, str]:
        """Every step's URL by name, for a page's links (戻る, a form's action)."""
        return {step.name: self.url(draft, step.name) for step in self.steps}


def leave(request: HttpRequest, url: str) -> HttpResponse:
    """Send the user to `url`: a redirect, or for htmx an HX-Redirect (a swap would be wrong)."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def expired(draft: Draft) -> bool:
    return draft.submitted_at is None and draft.touched_at < selectors.draft_expiry()


def draft_owned(request: HttpRequest, draft_id) -> Draft:
    """The user's organisation's draft, or 404."""
    try:
        draft = Draft.objects.select_related("voice_group").get(pk=draft_id,
                                                                 organisation_id=request.user.organisation_id)
    except Draft.DoesNotExist:
        raise Http404 from None
    draft.organisation = request.user.organisation  # loaded with the user
    return draft


def draft_view(*, flow: Flow | None, fragment: bool = False,
               preconditions: tuple[Precondition, ...] = (), submitted_ok: bool = False):
    """Declare a draft view `view(request, draft, **kwargs)` behind the gate (see the module).
    `flow=None` accepts either flow; `submitted_ok` is for the accepted page itself."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @customer_required
        @vary_on_headers("HX-Request")  # every answer differs for htmx (HX-Redirect, fragments)
        @wraps(view)
        def gated(request: HttpRequest, draft_id, **kwargs) -> HttpResponse:
            draft = draft_owned(request, draft_id)
            if flow is not None and draft.flow != flow:
                if fragment:
                    raise Http404
                return leave(request, reverse("orders:draft_resume", args=[draft.pk]))
            if draft.submitted_at and not submitted_ok:
                return leave(request, reverse("orders:wizard_accepted", args=[draft.pk]))
            if expired(draft):
                draft.delete()
                messages.error(request, _(
                    "作成中のお申し込みの保存期間が過ぎたため、破棄されました。最初からお申し込みください。"))
                return leave(request, reverse("orders:draft_list"))
            for condition in preconditions:
                if not condition.met(draft, kwargs):
                    if condition.message:
                        messages.warning(request, _(condition.message))
                    return leave(request, condition.target(draft, kwargs))
            return view(request, draft, **kwargs)

        gated.preconditions = preconditions  # for tests and for reading
        return gated

    return decorate
