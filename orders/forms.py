from django import forms
from django.utils.translation import gettext_lazy as _

from numbering import phone
from numbering.models import Organisation, VoiceContract
from orders.eligibility import Wish

YES_NO = [("no", _("いいえ")), ("yes", _("はい"))]


class PrecheckForm(forms.Form):
    """お申し込みの前にご確認ください: only what the portal cannot know from its own data."""

    contract = forms.ModelChoiceField(
        label=_("音声契約番号（N番）"), queryset=VoiceContract.objects.none(), to_field_name="number",
        empty_label=_("選択して下さい"),
    )
    kinds = forms.ChoiceField(
        label=_("追加するダイヤルイン番号の種類"),
        choices=[("0AJ", _("0AJ番号（03、06～番号）")), ("050", _("050番号")), ("both", _("0AJ番号と050番号"))],
        widget=forms.RadioSelect, initial="050",
    )
    porting = forms.ChoiceField(
        label=_("番号ポータビリティで、他社で利用中の番号をダイヤルイン番号に追加したい。"),
        choices=YES_NO, widget=forms.RadioSelect, initial="no",
    )
    special_options = forms.ChoiceField(
        label=_("追加するダイヤルイン番号で、特定番号通知または転送先特定番号を利用したい。"),
        choices=YES_NO, widget=forms.RadioSelect, initial="no",
    )

    def __init__(self, *args, organisation: Organisation, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = VoiceContract.objects.filter(
            voice_group__organisation=organisation
        ).select_related("voice_group")
        self.fields["contract"].label_from_instance = (
            lambda c: f"{c.number}（{c.voice_group.group_id} / {c.get_service_type_display()}）"
        )

    def wish(self) -> Wish:
        data = self.cleaned_data
        kinds = {"0AJ": {phone.KIND_0AJ}, "050": {phone.KIND_050}}.get(
            data["kinds"], {phone.KIND_0AJ, phone.KIND_050})
        return Wish(kinds=frozenset(kinds), porting=data["porting"] == "yes",
                    special_options=data["special_options"] == "yes")
