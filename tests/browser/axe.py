"""axe-core (axe-playwright-python's bundled copy) run in the page: no violation of serious or
critical impact, and no content outside a landmark (`region`); on the wizard pages (every step and
sub-step of both flows, under /drafts/) no violation of any impact."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()
CHECKED: list[str] = []


def axe_check(page: Page, label: str) -> None:
    page.wait_for_load_state("networkidle")
    violations = _AXE.run(page).response["violations"]
    wizard = "/drafts/" in page.url
    bad = [v for v in violations if wizard or v["impact"] in ("serious", "critical") or v["id"] == "region"]
    CHECKED.append(label)
    assert not bad, f"{label} ({page.url}): " + "; ".join(
        f'{v["id"]} [{v["impact"]}] {[n["target"] for n in v["nodes"][:3]]}' for v in bad)


def look(page: Page, name: str) -> None:
    """A screenshot to look at (var/screenshots) and the axe check of the same screen (customer
    pages; the Django admin's own markup is Django's)."""
    from tests import factories

    page.screenshot(path=str(factories.screenshot_path(name)), full_page=True)
    if "/admin/" not in page.url:
        axe_check(page, name)
