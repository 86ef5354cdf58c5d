"""Thin tasks: take ids, call a service. The services claim their work with conditional
updates, so a retried or duplicated task does nothing twice (hence acks_late is safe)."""

from celery import shared_task

from orders import mail, services


@shared_task(name="orders.tasks.order_activate", acks_late=True, autoretry_for=(ConnectionError,),
             retry_backoff=True, max_retries=5)
def order_activate(order_id: str) -> bool:
    return services.order_activate(order_id=order_id)


@shared_task(name="orders.tasks.mail_deliver", acks_late=True, autoretry_for=(OSError,), retry_backoff=True,
             max_retries=8)
def mail_deliver(mail_id: int) -> bool:
    return mail.mail_deliver(mail_id=mail_id)


@shared_task(name="orders.tasks.drafts_expire")
def drafts_expire() -> int:
    return services.drafts_expire()


@shared_task(name="orders.tasks.orders_run_due")
def orders_run_due() -> dict:
    """Beat: scheduled activation on the date and 竣工 two business days later."""
    return services.orders_run_due()
