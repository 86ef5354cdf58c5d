import socket

from celery import shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError

from portal import clock
from portal.models import WorkerHeartbeat


@shared_task(name="portal.tasks.worker_heartbeat")
def worker_heartbeat() -> None:
    """Scheduled by beat: shows operators and the dashboard that the worker runs."""
    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"seen_at": clock.now(), "hostname": socket.gethostname()}
    )


@shared_task(name="portal.tasks.idempotency_sweep")
def idempotency_sweep() -> int:
    """Scheduled by beat: Idempotency-Keys past their 24 hours are forgotten."""
    from portal.api import idempotency_sweep as sweep

    return sweep()


TRANSIENT = (OperationalError, InterfaceError)


@shared_task(name="portal.tasks.webhook_deliver", acks_late=True, autoretry_for=TRANSIENT, max_retries=3,
             retry_backoff=True)
def webhook_deliver(delivery_id: int) -> bool:
    """One attempt of a webhook delivery (portal.webhooks)."""
    from portal.webhooks import delivery_send

    return delivery_send(delivery_id=delivery_id)


@shared_task(name="portal.tasks.webhooks_sweep", autoretry_for=TRANSIENT, max_retries=2)
def webhooks_sweep() -> int:
    """Scheduled by beat: due retries, and deliveries whose task was lost or whose worker died, each
    handed to a task of its own (one slow receiver never holds up the others)."""
    from portal.dispatch import enqueue
    from portal.webhooks import deliveries_due

    due = deliveries_due()
    enqueue(webhook_deliver, due)
    return len(due)


@shared_task(name="portal.tasks.test_clock_advance", acks_late=True, autoretry_for=TRANSIENT, max_retries=3)
def test_clock_advance(organisation_id: int) -> dict:
    """Run an organisation's test clock advance (portal.test_clocks)."""
    from portal.test_clocks import clock_advance_run

    return clock_advance_run(organisation_id=organisation_id)


@shared_task(name="portal.tasks.test_clocks_sweep", autoretry_for=TRANSIENT, max_retries=2)
def test_clocks_sweep() -> int:
    """Scheduled by beat: advances whose task was lost run now."""
    from portal.test_clocks import clock_advance_run, clocks_stuck

    stuck = clocks_stuck()
    for organisation_id in stuck:
        clock_advance_run(organisation_id=organisation_id)
    return len(stuck)


@worker_ready.connect
def _heartbeat_at_start(**_kwargs) -> None:
    """A worker that just started says so at once, not only at beat's next heartbeat."""
    worker_heartbeat()
