"""The wiring: submit → a real Celery worker on Redis activates the order → numbers issued,
both e-mails stored and delivered."""

import time

import pytest
from django.core import mail

from numbering.models import DialInNumber
from numbering.services import stock_add_range
from orders.drafts import draft_create, draft_save
from orders.models import Draft, Order, SentMail, Status
from orders.placement import draft_submit
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


def test_a_real_worker_activates_a_scheduled_order_on_its_date_and_completes_it(
        transactional_db, celery_session_app, celery_session_worker, settings):
    """Beat's task on a real worker: nothing before the date; on the date (demo clock) activation;
    two business days later 竣工."""
    import datetime as dt

    from orders.models import Flow, OrderItem
    from orders.status import request_id_new
    from orders.tasks import orders_run_due
    from portal import business_days, clock
    from portal.models import DemoClock

    settings.PORTAL_DEMO_CLOCK = True
    org = factories.organisation("ORG-S", "予定商事")
    contract = factories.contract(org, "N100000099", base_numbers=["0312345678"])
    stock_add_range(first="05012350000", last="05012350009")
    on = business_days.add_business_days(clock.today(), 3)
    order = Order.objects.create(request_id=request_id_new(), organisation=org, contract=contract,
                                 flow=Flow.SCHEDULED, submitted_at=clock.now(), scheduled_on=on,
                                 contact_email="s@example.com")
    OrderItem.objects.create(order=order, position=1, base_number=contract.base_numbers.get(), kind="050",
                             quantity=2)
    assert orders_run_due.delay().get(timeout=20) == {"activated": 0, "completed": 0}

    def jump_to(day: dt.date) -> None:
        now = clock.now().astimezone(clock.JST)
        target = dt.datetime.combine(day, now.time(), tzinfo=clock.JST)
        row, _ = DemoClock.objects.get_or_create(pk=1)
        row.offset_seconds += int((target - now).total_seconds())
        row.save()
        clock.forget()

    jump_to(on)
    time.sleep(clock.CACHE_SECONDS + 0.2)  # the worker re-reads the clock
    assert orders_run_due.delay().get(timeout=20) == {"activated": 1, "completed": 0}
    order.refresh_from_db()
    assert order.status == Status.ACTIVATED and order.activated_on == on
    assert DialInNumber.objects.filter(source=order.request_id).count() == 2
    jump_to(order.completion_due_on)
    time.sleep(clock.CACHE_SECONDS + 0.2)
    assert orders_run_due.delay().get(timeout=20) == {"activated": 0, "completed": 1}
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    DemoClock.objects.all().delete()
    clock.forget()
