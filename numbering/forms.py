import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from numbering import services
from numbering.models import ReservationCode, VoiceContract
from portal import clock


class StockRangeForm(forms.Form):
    first = forms.CharField(label=_("先頭番号"), max_length=20, help_text=_("例: 0312340000"))
    last = forms.CharField(label=_("末尾番号"), max_length=20, help_text=_("例: 0312349999"))

    def clean(self) -> dict:
        data = super().clean()
        if "first" in data and "last" in data:
            first, last, kind, count = services.check_stock_range(
                first=data["first"], last=data["last"]
            )
            data.update(first=first, last=last, kind=kind, count=count)
        return data


class ReservationCodeIssueForm(forms.ModelForm):
    numbers = forms.CharField(
        label=_("予約する空き番号"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("1行に1番号、または「0312340000~0312340009」の形式で範囲を指定します。"),
    )

    class Meta:
        model = ReservationCode
        fields = ["contract", "code", "expires_at"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["code"].help_text = _("空欄のときは自動で発行します。")
        self.fields["expires_at"].initial = clock.now() + dt.timedelta(days=30)
        self.fields["contract"].queryset = VoiceContract.objects.select_related("voice_group")

    def clean_numbers(self) -> list[str]:
        try:
            return services.parse_number_list(self.cleaned_data["numbers"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper() or services.new_reservation_code()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("contract") and data.get("numbers"):
            try:
                data["numbers"] = services.check_reservation_numbers(
                    contract=data["contract"], numbers=data["numbers"]
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return data
