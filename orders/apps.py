from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("お申し込み")

    def ready(self) -> None:
        from portal.services import clock_moved, clock_reset, demo_accounts_asked, next_due_asked

        clock_moved.connect(_run_due, dispatch_uid="orders.run_due")
        clock_reset.connect(_records_back, dispatch_uid="orders.records_back")
        next_due_asked.connect(_next_due, dispatch_uid="orders.next_due")
        demo_accounts_asked.connect(_demo_accounts, dispatch_uid="orders.demo_accounts")
        from django.db.models.signals import post_save

        post_save.connect(_order_saved, sender="orders.Order", dispatch_uid="orders.api_cache")


def _order_saved(sender, instance, **kwargs) -> None:
    from orders.api import order_cache_forget

    order_cache_forget(instance.pk)


def _records_back(sender, *, now, organisation_id=None, **kwargs) -> dict:
    """A clock went back (the demo clock, or one organisation's test clock: then its records only):
    orders, events, mails and drafts recorded ahead of it come back."""
    from orders.models import Attachment, Draft, Order, OrderEvent, SentMail
    from portal.models import OrganisationClock
    from portal.services import records_clamp

    own = OrganisationClock.objects.values("organisation_id")  # on clocks of their own: not the demo clock's

    def of(model, path="organisation_id"):
        rows = model.objects.all()
        if organisation_id is None:
            return rows.exclude(**{f"{path}__in": own})
        return rows.filter(**{path: organisation_id})

    orders = of(Order)
    done = orders.filter(activated_on__isnull=False)  # its dates are records now, not plans
    moved = (records_clamp(orders, now=now, fields=("submitted_at", "activated_on", "completed_on", "next_attempt_at"))
             + records_clamp(done, now=now, fields=("scheduled_on",))
             + records_clamp(done.filter(completed_on__isnull=False), now=now, fields=("completion_due_on",))
             + records_clamp(of(OrderEvent, "order__organisation_id"), now=now, fields=("at",))
             + records_clamp(of(SentMail), now=now, fields=("created_at", "delivered_at"))
             + records_clamp(of(Draft), now=now, fields=("created_at", "updated_at", "submitted_at"))
             + records_clamp(of(Attachment), now=now, fields=("uploaded_at",)))
    from orders.api import orders_cache_bump

    orders_cache_bump()
    return {"orders_moved": moved}


def _next_due(sender, **kwargs) -> dict:
    """The next moment an order waits for (JST): a scheduled or sales order's 工事日 at its desired
    time (工事希望時間, when it has one), or a 竣工予定日."""
    import datetime as dt

    from django.db.models import Min

    from orders.models import Flow, Order, Status
    from portal import clock

    now = clock.now().astimezone(clock.JST)
    moments = []
    orders = Order.objects.all()
    if kwargs.get("organisation_id") is not None:  # one organisation's test clock asks
        orders = orders.filter(organisation_id=kwargs["organisation_id"])
    waiting = (orders.filter(status=Status.ACCEPTED, scheduled_on__gte=now.date())
               .exclude(flow=Flow.IMMEDIATE).order_by("scheduled_on", "desired_time")
               .values_list("scheduled_on", "desired_time"))
    for day, hhmm in waiting.iterator():
        at = dt.time.fromisoformat(hhmm) if hhmm else dt.time(0, 0)
        moment = dt.datetime.combine(day, at, tzinfo=clock.JST)
        if moment > now or (day > now.date()):
            moments.append(moment)
            break
    completion = (orders.filter(status=Status.ACTIVATED, completion_due_on__gt=now.date())
                  .aggregate(d=Min("completion_due_on"))["d"])
    if completion:
        moments.append(dt.datetime.combine(completion, dt.time(0, 0), tzinfo=clock.JST))
    # The network's own work: a losing carrier's answer, an attempt after a transient failure.
    answer = (orders.filter(status=Status.ACCEPTED, porting_answer_on__gt=now.date())
              .aggregate(d=Min("porting_answer_on"))["d"])
    if answer:
        moments.append(dt.datetime.combine(answer, dt.time(0, 0), tzinfo=clock.JST))
    attempt = (orders.filter(status=Status.IN_CONSTRUCTION, next_attempt_at__gt=now)
               .aggregate(t=Min("next_attempt_at"))["t"])
    if attempt:
        moments.append(attempt)
    return {"next_due": min(moments, default=None)}


def _demo_accounts(sender, **kwargs) -> dict:
    from orders.demo import demo_accounts

    return {"accounts": demo_accounts()}


def _run_due(sender, **kwargs) -> dict:
    """A clock moved: activate and complete what became due, at once (one organisation's, when its
    test clock moved)."""
    from orders.activation import orders_run_due

    return orders_run_due(organisation_id=kwargs.get("organisation_id"))
