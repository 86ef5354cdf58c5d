"""The wiring: submit → a real Celery worker on Redis activates the order → numbers issued,
both e-mails stored and delivered."""

import time

import pytest
from django.core import mail

from numbering.models import DialInNumber
from numbering.services import stock_add_range
from orders.models import Draft, Order, SentMail, Status
from orders.services import draft_create, draft_save, draft_submit
from tests import factories

pytestmark = [pytest.mark.worker]


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_submit_is_activated_by_a_real_worker(transactional_db, celery_session_app, celery_session_worker):
    org = factories.organisation("ORG-W", "ワーカー商事")
    user = factories.customer("worker-user", org)
    contract = factories.contract(org, "N100000088", base_numbers=["0312345678"])
    stock_add_range(first="05012350000", last="05012350099")
    draft = draft_create(user=user, voice_group=contract.voice_group)
    draft_save(draft=draft, finished=5, agreed=True, method=Draft.Method.SCREEN, base_numbers=["0312345678"],
               red_rows=[{"base": "0312345678", "kind": "050", "quantity": "5"}])
    [order] = draft_submit(draft_id=draft.pk, user=user)  # commits: the tasks are sent after commit

    wait_for(lambda: SentMail.objects.filter(order=order, kind=SentMail.Kind.COMPLETED,
                                             delivered_at__isnull=False).exists())
    order = Order.objects.get(pk=order.pk)
    assert order.status == Status.COMPLETED
    assert DialInNumber.objects.filter(source=order.request_id).count() == 5
    wait_for(lambda: not SentMail.objects.filter(order=order, delivered_at__isnull=True).exists())
    # The worker thread shares this process, so the locmem outbox holds what it sent.
    subjects = sorted(m.subject for m in mail.outbox if order.request_id in m.subject)
    assert len(subjects) == 2 and "工事完了通知メール" in subjects[1] + subjects[0]
    html = [m for m in mail.outbox if order.request_id in m.subject][0].alternatives[0]
    assert html.mimetype == "text/html"
