from django import forms
from django.utils.translation import gettext_lazy as _


class ApiKeyForm(forms.Form):
    """A new API key: what it is for (shown in the list)."""

    name = forms.CharField(label=_("キーの名前"), max_length=100, help_text=_("例: 本番連携、CI テスト"),
                           error_messages={"required": _("キーの名前を入力してください。")})
