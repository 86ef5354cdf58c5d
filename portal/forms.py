from django import forms
from django.utils.translation import gettext_lazy as _


class ApiKeyForm(forms.Form):
    """A new API key: what it is for (shown in the list)."""

    name = forms.CharField(label=_("キーの名前"), max_length=100, help_text=_("例: 本番連携、CI テスト"),
                           error_messages={"required": _("キーの名前を入力してください。")})


class WebhookEndpointForm(forms.Form):
    """A webhook endpoint: where events are sent, what it is, which events (none ticked: all)."""

    url = forms.URLField(label=_("送信先 URL"), max_length=500, assume_scheme="https",
                         help_text=_("例: https://example.com/hooks/ipvoice"),
                         error_messages={"required": _("送信先 URL を入力してください。"),
                                         "invalid": _("URL の形式が正しくありません。")})
    description = forms.CharField(label=_("説明"), max_length=200, required=False)
    events = forms.MultipleChoiceField(label=_("送るイベント"), required=False, widget=forms.CheckboxSelectMultiple,
                                       help_text=_("何も選ばなければすべてのイベントを送ります。"))

    def __init__(self, *args, **kwargs) -> None:
        from portal.webhooks import EVENT_TYPES

        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(t, t) for t in EVENT_TYPES]

    def clean_url(self) -> str:
        from django.core.exceptions import ValidationError

        from portal.webhooks import url_check

        try:
            return url_check(self.cleaned_data["url"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from exc
