from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NumberingConfig(AppConfig):
    name = "numbering"
    verbose_name = _("契約・番号管理")

    def ready(self) -> None:
        from portal.services import clock_reset

        clock_reset.connect(_records_back, dispatch_uid="numbering.records_back")


def _records_back(sender, *, now, **kwargs) -> dict:
    """The demo clock went back: numbers issued and codes issued or used ahead of it come back."""
    from numbering.models import DialInNumber, ReservationCode
    from portal.services import records_clamp

    return {"numbers_moved": records_clamp(DialInNumber, now=now, fields=("activated_on",))
            + records_clamp(ReservationCode, now=now, fields=("used_at", "created_at"))}
