"""After commit, work is handed to the worker. A broker that cannot be reached never turns saved
work into an error page: what was not enqueued is found again by the sweeps (beat)."""

import logging

logger = logging.getLogger(__name__)


def enqueue(task, ids: list) -> bool:
    """`task.delay(id)` for each id; at the first failure the rest is left to the sweeps."""
    for item in ids:
        try:
            task.delay(item)
        except Exception:
            logger.warning("could not enqueue %s(%s) and what follows; the sweeps will pick them up", task.name,
                           item, exc_info=True)
            return False
    return True
