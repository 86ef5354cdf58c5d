"""Thin tasks: take ids, call a service. The services claim their work with conditional
updates, so a retried or duplicated task does nothing twice (hence acks_late is safe).
Database errors that can pass (a dropped connection, a deadlock, a lock or statement timeout)
are retried with backoff; what still fails is found again by the sweeps."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from orders import activation, attachments, drafts, mail

TRANSIENT = (ConnectionError, OperationalError, InterfaceError)


@shared_task(name="orders.tasks.order_activate", acks_late=True, autoretry_for=TRANSIENT,
             retry_backoff=True, retry_backoff_max=60, max_retries=8)
def order_activate(order_id: str) -> bool:
    return activation.order_activate(order_id=order_id)


@shared_task(name="orders.tasks.order_attempt_again", acks_late=True, autoretry_for=TRANSIENT,
             retry_backoff=True, retry_backoff_max=60, max_retries=8)
def order_attempt_again(order_id: str) -> bool:
    """The next activation attempt after the network failed for a moment."""
    return activation.order_attempt_again(order_id=order_id)


@shared_task(name="orders.tasks.mail_deliver", acks_late=True, autoretry_for=(OSError, *TRANSIENT),
             retry_backoff=True, retry_backoff_max=300, max_retries=8, soft_time_limit=40, time_limit=50)
def mail_deliver(mail_id: int) -> bool:
    return mail.mail_deliver(mail_id=mail_id)


@shared_task(name="orders.tasks.drafts_expire")
def drafts_expire() -> int:
    return drafts.drafts_expire()


@shared_task(name="orders.tasks.attachments_sweep")
def attachments_sweep() -> int:
    """Beat: uploaded files that neither a draft nor an order holds."""
    return attachments.attachments_sweep()


@shared_task(name="orders.tasks.orders_run_due", autoretry_for=TRANSIENT, max_retries=2)
def orders_run_due() -> dict:
    """Beat: scheduled activation on the date, 竣工 two business days later, and immediate orders
    whose task was lost."""
    return activation.orders_run_due()


@shared_task(name="orders.tasks.mails_sweep", autoretry_for=TRANSIENT, max_retries=2)
def mails_sweep() -> int:
    """Beat: deliver mails whose task was lost."""
    return activation.mails_sweep()
