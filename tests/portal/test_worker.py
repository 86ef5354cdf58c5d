"""The wiring: a real Celery worker on Redis runs the scheduled heartbeat task."""

import pytest

from portal.models import WorkerHeartbeat
from portal.tasks import worker_heartbeat

pytestmark = [pytest.mark.worker]


def test_a_real_worker_records_its_heartbeat(transactional_db, celery_session_app,
                                             celery_session_worker):
    result = worker_heartbeat.delay()
    result.get(timeout=20)
    beat = WorkerHeartbeat.objects.get(name="worker")
    assert beat.hostname
