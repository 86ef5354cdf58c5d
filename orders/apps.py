from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("お申し込み")

    def ready(self) -> None:
        from portal.services import clock_moved

        clock_moved.connect(_run_due, dispatch_uid="orders.run_due")


def _run_due(sender, **kwargs) -> dict:
    """The demo clock moved: activate and complete what became due, at once."""
    from orders.activation import orders_run_due

    return orders_run_due()
