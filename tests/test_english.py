"""Every customer page in English, on the demo data: no Japanese UI text may remain. What the
customer's organisation typed or holds (company and holder names, addresses, group names, contact
details, mails sent in Japanese) is customer data and is taken out before the page is read."""

import re

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from numbering.models import BaseNumber, VoiceContract
from orders import demo
from orders.activation import order_activate
from orders.lead_times import earliest_date
from orders.models import Draft, Flow, NetworkScenario, Order, SentMail
from orders.spec import lead_items, spec_of
from portal.models import User
from tests import factories

pytestmark = pytest.mark.slow

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
# The language menu names each language in itself, as every site does.
OWN_NAME = '<option value="ja" >日本語</option>'
DATA_APPS = ("portal", "numbering", "orders")
NOT_DATA = {("orders", "order", "kind_label"), ("orders", "leadtime", "note")}


def customer_data() -> list[str]:
    """Every text value held in the database (names, addresses, contact details, operators'
    words, stored mails), longest first, as it may appear on a page (raw and escaped)."""
    values: set[str] = set()
    for model in apps.get_models():
        if model._meta.app_label not in DATA_APPS:
            continue
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField)) and not f.choices
                  and (model._meta.app_label, model._meta.model_name, f.name) not in NOT_DATA]
        for row in model.objects.values_list(*fields) if fields else ():
            for value in row:
                if value and JAPANESE.search(value):
                    values.update({value, escape(value)})
                    values.update(line for line in value.splitlines() if JAPANESE.search(line))
    return sorted(values, key=len, reverse=True)


# Form values are codes the browser sends back (残置番号 有/無, DSU 要/不要 as the guide's CSV
# writes them), never shown: their labels are.
CODES = re.compile(r'(?:value|data-when)="[^"]*"')


def leaks(html: str, data: list[str]) -> list[str]:
    html = CODES.sub("", html.replace(OWN_NAME, ""))
    for value in data:
        html = html.replace(value, "")
    return [html[max(0, m.start() - 60):m.end() + 20].replace("\n", " ") for m in JAPANESE.finditer(html)]


def walk(client: Client, user: User) -> list[str]:
    """The customer URLs a presenter can reach, with drafts at each step of both wizards."""
    urls = [reverse(name) for name in (
        "portal:dashboard", "portal:ipvoice_menu", "portal:voice_group_list", "portal:contract_list",
        "portal:help", "portal:password_change", "orders:change_menu", "orders:precheck", "orders:history",
        "orders:mailbox", "orders:draft_list", "orders:aml_form", "orders:immediate_start",
        "orders:scheduled_start")]
    urls.append(reverse("orders:history") + "?last=1")
    organisation = user.organisation
    for contract in VoiceContract.objects.filter(voice_group__organisation=organisation):
        urls.append(reverse("portal:contract_detail", args=[contract.number]))
        urls.append(reverse("orders:precheck_decision") + f"?contract={contract.number}&e5=no&e3=no&e8=no")
        urls.append(reverse("orders:immediate_menu", args=[contract.voice_group.group_id]))
    bases = BaseNumber.objects.filter(contract__voice_group__organisation=organisation).select_related("contract")
    for base in bases[:5]:
        urls.append(reverse("portal:base_number_detail", args=[base.contract.number, base.number]))
    for order in Order.objects.filter(organisation=organisation):
        urls.append(reverse("orders:order_detail", args=[order.request_id]))
        if order.activated_on:
            urls.append(reverse("orders:issued_numbers", args=[order.request_id]))
    for mail in SentMail.objects.filter(organisation=organisation)[:4]:
        urls.append(reverse("orders:mail_detail", args=[mail.pk]))
    for draft in Draft.objects.filter(organisation=organisation, submitted_at__isnull=True):
        if draft.flow == Flow.IMMEDIATE:
            urls += [reverse("orders:wizard_step", args=[draft.pk, step]) for step in range(1, 7)]
        else:
            urls += [reverse("orders:scheduled_step", args=[draft.pk, step]) for step in range(1, 7)]
            urls += [reverse("orders:scheduled_item", args=[draft.pk, sub]) for sub in range(1, 6)]
    return urls


class Scanner:
    def __init__(self, client: Client) -> None:
        self.client, self.found, self.pages = client, {}, 0
        self.data = customer_data()

    def refresh(self) -> None:
        self.data = customer_data()

    def scan(self, label: str, response) -> None:
        assert response.status_code < 500, label
        if "text/html" not in response.get("Content-Type", ""):
            return
        self.pages += 1
        if bad := leaks(response.content.decode(), self.data):
            self.found.setdefault(label, []).extend(bad)

    def get(self, url: str, data=None, **headers) -> None:
        self.scan(url, self.client.get(url, data or {}, follow=True, **headers))

    def post(self, url: str, data=None) -> None:
        self.scan("POST " + url, self.client.post(url, data or {}, follow=True))


def walk_immediate(scan: Scanner, contract: VoiceContract, user: User) -> None:
    """The immediate wizard to its accepted page: each step as it first shows, sent wrong, then right."""
    scan.post(reverse("orders:immediate_menu", args=[contract.voice_group.group_id]))
    draft = Draft.objects.filter(created_by=user, flow=Flow.IMMEDIATE, submitted_at__isnull=True).latest("created_at")
    step = lambda n: reverse("orders:wizard_step", args=[draft.pk, n])  # noqa: E731
    scan.post(step(1), {})
    scan.post(step(1), {"agree": "on"})
    scan.post(step(2), {})
    scan.post(step(2), {"method": "screen"})
    scan.post(step(3), {"action": "next"})
    scan.post(step(3), {"action": "add", "pick": ["0312340008", "05012340008"]})
    scan.post(step(3), {"action": "next"})
    scan.post(step(4), factories.content(red=[("0312340008", "", "-1")], action="next"))
    scan.post(step(4), factories.content(red=[("0312340008", "0AJ", "2"), ("05012340008", "050", "1")],
                                         blue=[("0312340008", "0312350000", "RDEMOEXPIRED")], action="next"))
    scan.post(step(4), factories.content(red=[("0312340008", "0AJ", "2"), ("05012340008", "050", "1")],
                                         blue=[("0312340008", "0312350000", "RDEMOVALID1")], action="next"))
    scan.post(step(5), {"contact_name": "", "contact_email": "x"})
    scan.post(step(5), {"contact_name": "Hanako Yamada", "contact_department": "IT", "contact_phone": "03-5555-0101",
                        "contact_email": "hanako@example.com"})
    scan.post(step(6))
    scan.get(reverse("orders:wizard_step", args=[draft.pk, 2]) + "?method=csv")


def walk_scheduled(scan: Scanner, contract: VoiceContract, user: User) -> None:
    """The scheduled wizard with a dial-in item and a porting item, to its accepted page."""
    scan.post(reverse("orders:scheduled_new", args=[contract.voice_group.group_id]))
    draft = Draft.objects.filter(created_by=user, flow=Flow.SCHEDULED, submitted_at__isnull=True).latest("created_at")
    step = lambda n: reverse("orders:scheduled_step", args=[draft.pk, n])  # noqa: E731
    item = lambda n: reverse("orders:scheduled_item", args=[draft.pk, n])  # noqa: E731
    scan.post(step(1), {})
    scan.post(step(1), {"agree": "on"})
    scan.post(step(2), {})
    scan.post(step(2), {"contract": contract.number})
    scan.post(step(3), {"action": "next"})
    scan.post(step(3), {"action": "new"})
    scan.post(item(1), {})
    scan.post(item(1), {"method": "screen"})
    scan.post(item(2), {"action": "add", "pick": ["0612340005"]})
    scan.post(item(2), {"action": "next"})
    scan.post(item(3), factories.content(red=[("0612340005", "0AJ", "0")], action="next"))
    scan.post(item(3), factories.content(red=[("0612340005", "0AJ", "2")], action="next"))
    scan.post(item(4), {"red-0-notification_on": "1", "red-0-specific_number_notification": "0570123456",
                        "red-0-forwarding_on": "1", "red-0-forwarding_specific_number": "0311112222"})
    scan.post(item(4), {"red-0-notification_on": "1", "red-0-specific_number_notification": "0570123456",
                        "red-0-message_box": "1"})
    scan.post(item(5))
    scan.post(step(3), {"action": "new_porting"})
    scan.post(item(1), {"method": "screen"})
    scan.post(item(2), {"action": "add", "pick": ["0612340005"]})
    scan.post(item(2), {"action": "next"})
    port = {**factories.table("port", {
        "base": "0612340005", "number": "06-1111-0001", "carrier1": "West Tel", "carrier2": "", "line_type": "isdn",
        "holder": "other", "holder_name": "Alpha Ltd", "address": "same", "address_text": "",
        "contractor_address": "", "dsu": ""}), **factories.table("rem", {"number": "", "usage": ""}),
        "remaining": "有", "action": "next"}
    scan.post(item(3), port)
    port.update({"port-0-contractor_address": "1-1 Minato, Tokyo", "port-0-dsu": "要", "remaining": "無"})
    scan.post(item(3), port)
    scan.post(item(4), {})
    scan.post(item(5))
    scan.post(step(3), {"action": "next"})
    scan.post(step(4), {**factories.nw(("add", "", "")), "date": "2020-01-01", "action": "next"})
    scan.post(step(4), {**factories.nw(("add", "192.0.2.0", "24")), "date": "2030-01-05", "time": "19:00",
                        "action": "next"})
    scan.get(step(4))
    draft.refresh_from_db()
    day = earliest_date(items=lead_items(spec_of(draft)))  # a business day: no reason needed
    scan.post(step(4), {**factories.nw(("add", "192.0.2.0", "24")), "date": day.isoformat(), "time": "10:00",
                        "action": "next"})
    scan.post(step(5), {"contact_name": "Hanako Yamada", "contact_department": "IT", "contact_phone": "03-5555-0101",
                        "contact_email": "hanako@example.com"})
    draft.refresh_from_db()
    assert draft.step_done == 5  # the confirm page below shows the date and its completion date
    scan.get(step(6))


def walk_cloud(scan: Scanner, contract: VoiceContract, user: User) -> None:
    """A cloud-plan contract adding 0AJ numbers: the AML confirmation on the other-details step."""
    scan.post(reverse("orders:scheduled_new", args=[contract.voice_group.group_id]))
    draft = Draft.objects.filter(created_by=user, flow=Flow.SCHEDULED, submitted_at__isnull=True).latest("created_at")
    step = lambda n: reverse("orders:scheduled_step", args=[draft.pk, n])  # noqa: E731
    item = lambda n: reverse("orders:scheduled_item", args=[draft.pk, n])  # noqa: E731
    scan.post(step(1), {"agree": "on"})
    scan.post(step(2), {"contract": contract.number})
    scan.post(step(3), {"action": "new"})
    scan.post(item(1), {"method": "screen"})
    scan.post(item(2), {"action": "add", "pick": ["0612340004"]})
    scan.post(item(2), {"action": "next"})
    scan.post(item(3), factories.content(red=[("0612340004", "0AJ", "1")], action="next"))
    scan.post(item(4), {})
    scan.post(item(5))
    scan.post(step(3), {"action": "next"})
    scan.post(step(4), {"action": "next", "aml_changed": "x"})
    scan.post(step(4), {"action": "next", "aml_changed": "変更あり", "aml_person": "Taro", "date": "2030-01-07"})


def test_every_customer_page_in_english_shows_no_japanese_ui_text(db):
    demo.demo_load()
    user = User.objects.get(username="demo")
    client = Client()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    scan = Scanner(client)
    walk_immediate(scan, VoiceContract.objects.get(number="N140000008"), user)
    # The order just placed meets a trainer's switch: its pages show エラー with the reason, in English.
    placed = Order.objects.filter(organisation=user.organisation, status="accepted").latest("submitted_at")
    NetworkScenario.objects.create(organisation=user.organisation, kind="activation_permanent")
    order_activate(order_id=placed.pk)
    assert Order.objects.get(pk=placed.pk).status == "error"
    walk_scheduled(scan, VoiceContract.objects.get(number="N140000005"), user)
    walk_cloud(scan, VoiceContract.objects.get(number="N140000004"), user)
    scan.refresh()
    for contract in VoiceContract.objects.filter(voice_group__organisation=user.organisation):
        for kinds in ("0AJ", "050", "both"):
            for porting, special in (("no", "no"), ("yes", "no"), ("no", "yes")):
                query = {"contract": contract.number, "kinds": kinds, "porting": porting, "special_options": special}
                scan.get(reverse("orders:precheck"), query)
                scan.get(reverse("orders:precheck_decision"), query, HTTP_HX_REQUEST="true")
    for url in walk(client, user):
        scan.get(url)
        scan.get(url, HTTP_HX_REQUEST="true")
    report = "\n".join(f"{url}\n    " + "\n    ".join(sorted(set(bad))[:15]) for url, bad in scan.found.items())
    assert scan.pages > 150
    assert not scan.found, f"Japanese UI text on {len(scan.found)} of {scan.pages} English pages:\n{report}"
