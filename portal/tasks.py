import socket

from celery import shared_task
from celery.signals import worker_ready

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


@worker_ready.connect
def _heartbeat_at_start(**_kwargs) -> None:
    """A worker that just started says so at once, not only at beat's next heartbeat."""
    worker_heartbeat()
