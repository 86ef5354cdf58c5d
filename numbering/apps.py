from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NumberingConfig(AppConfig):
    name = "numbering"
    verbose_name = _("契約・番号管理")
