"""Database errors that mean "busy", not "broken" (PostgreSQL SQLSTATEs)."""

from django.db import OperationalError

# A second attempt clears these: deadlock, serialization failure, lock wait over lock_timeout.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
# Busy: the above, or a statement over statement_timeout (not retried: it would only wait again).
BUSY_SQLSTATES = RETRYABLE_SQLSTATES | {"57014"}


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None) if isinstance(exc, OperationalError) else None


def is_retryable(exc: BaseException) -> bool:
    return sqlstate(exc) in RETRYABLE_SQLSTATES


def is_busy(exc: BaseException) -> bool:
    return sqlstate(exc) in BUSY_SQLSTATES
