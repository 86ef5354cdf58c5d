"""After commit, the work is handed to the worker (the simulated network). A broker that cannot be
reached never turns saved work into an error page: what was not enqueued is found again by the
sweeps (beat) when the broker is back."""

from portal.dispatch import enqueue


def activations_enqueue(order_ids: list, mail_ids: list[int]) -> None:
    """A submit's orders to activate, then its mails (mails wait if the broker is down)."""
    from orders import tasks  # tasks call the services, which call this

    if enqueue(tasks.order_activate, [str(order_id) for order_id in order_ids]):
        enqueue(tasks.mail_deliver, mail_ids)


def mails_enqueue(mail_ids: list[int]) -> None:
    from orders import tasks

    enqueue(tasks.mail_deliver, mail_ids)


def attempt_again_enqueue(order_id, seconds: int) -> None:
    """The next activation attempt after a transient failure, in `seconds` (the sweep runs it if
    this is lost)."""
    from orders import tasks

    try:
        tasks.order_attempt_again.apply_async((str(order_id),), countdown=seconds)
    except Exception:
        import logging

        logging.getLogger(__name__).warning("could not enqueue the next attempt of %s; the sweep will", order_id,
                                            exc_info=True)
