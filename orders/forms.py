import dataclasses
import re

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from numbering import phone
from numbering.models import VoiceContract
from orders.csv_input import MAX_BYTES as CSV_MAX_BYTES
from orders.csv_input import MAX_ROWS
from orders.eligibility import Wish
from orders.models import Draft
from orders.state import AmlAnswers, BlueRow, NetworkRow, Options, PortRow, RedRow, RemainingRow, Schedule
from portal.i18n import paren_text
from portal.models import Organisation

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
            lambda c: c.number + paren_text(f"{c.voice_group.group_id} / {c.get_service_type_display()}")
        )

    def wish(self) -> Wish:
        data = self.cleaned_data
        kinds = {"0AJ": {phone.KIND_0AJ}, "050": {phone.KIND_050}}.get(
            data["kinds"], {phone.KIND_0AJ, phone.KIND_050})
        return Wish(kinds=frozenset(kinds), porting=data["porting"] == "yes",
                    special_options=data["special_options"] == "yes")


class ContractChoiceForm(forms.Form):
    """音声契約番号の選択 (scheduled): one of the voice group's N番 that may take an order here."""

    contract = forms.ModelChoiceField(
        label=_("音声契約番号"), queryset=VoiceContract.objects.none(), to_field_name="number",
        widget=forms.RadioSelect, error_messages={
            "required": _("音声契約番号を選択してください。"),
            "invalid_choice": _("音声契約番号を選択してください。")},
    )

    def __init__(self, *args, orderable: list[VoiceContract], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = VoiceContract.objects.filter(pk__in=[c.pk for c in orderable])


class AgreementForm(forms.Form):
    agree = forms.BooleanField(
        label=_("お申し込みにあたってのご確認内容（プライバシーポリシー）に同意する"),
        error_messages={"required": _("お申し込みにあたってのご確認内容に同意してください。")},
    )


class MethodForm(forms.Form):
    method = forms.ChoiceField(
        label=_("お申し込み方法"), choices=Draft.Method.choices, widget=forms.RadioSelect,
        error_messages={"required": _("お申し込み方法を選択してください。")},
    )


class ContactForm(forms.Form):
    """お申し込みご担当者情報: the e-mails go to this person."""

    contact_name = forms.CharField(label=_("ご担当者名"), max_length=100,
                                   error_messages={"required": _("ご担当者名を入力してください。")})
    contact_department = forms.CharField(label=_("部署名"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("電話番号"), max_length=20, help_text=_("例: 03-1234-5678"),
                                    error_messages={"required": _("電話番号を入力してください。")})
    contact_email = forms.EmailField(
        label=_("メールアドレス"), help_text=_("申し込み完了通知メール・工事完了通知メールの送付先です。"),
        error_messages={"required": _("メールアドレスを入力してください。"),
                        "invalid": _("メールアドレスの形式が正しくありません。")})

    def clean_contact_phone(self) -> str:
        number = phone.normalise(self.cleaned_data["contact_phone"])
        if not number.isdigit() or not 10 <= len(number) <= 11 or not number.startswith("0"):
            raise forms.ValidationError(
                _("電話番号は0から始まる10桁または11桁の数字で入力してください（ハイフン可）。"))
        return number


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSVファイル"),
        help_text=format_lazy(_("UTF-8（BOM付き・なし）またはShift_JISのCSVファイル、{max}行まで。"),
                              max=f"{MAX_ROWS:,}"),
        error_messages={"required": _("CSVファイルを選択してください。")},
    )

    def __init__(self, *args, too_large: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if too_large:  # refused while it streamed in (portal.uploads): no file arrived
            self.fields["file"].error_messages["required"] = _("ファイルが大きすぎます（5MBまで）。")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:  # before it is read
            raise forms.ValidationError(_("ファイルが大きすぎます（5MBまで）。"))
        return upload


class ScheduleForm(forms.Form):
    """その他ご確認事項・工事希望日, what the step posts besides the NW rows and the file: bound and
    normalised here; its rules (AML, date, time, reason) are scheduled_checks.schedule_check's."""

    date = forms.CharField(required=False)
    time = forms.CharField(required=False)
    reason = forms.CharField(required=False)
    aml_changed = forms.CharField(required=False)
    aml_person = forms.CharField(required=False)
    aml_dept = forms.CharField(required=False)
    aml_recipient = forms.CharField(required=False)

    def clean_time(self) -> str:
        return phone.normalise(self.cleaned_data["time"]).replace("：", ":")

    def schedule(self, *, network: list[NetworkRow], desired_time: bool, aml_applies: bool) -> Schedule:
        """The step's typed state: the time only when an item allows one, the AML answers only when
        they apply."""
        data = self.cleaned_data
        aml = AmlAnswers(changed=data["aml_changed"], person=data["aml_person"], dept=data["aml_dept"],
                         recipient=data["aml_recipient"]) if aml_applies else None
        return Schedule(network=network, date=data["date"], time=data["time"] if desired_time else "",
                        reason=data["reason"], aml=aml)


class NetworkRowForm(forms.Form):
    """0AJ利用拠点NWアドレス, one row: 申込種別 and the network (the address rules are
    scheduled_checks.network_rows_check's, against what is registered)."""

    action = forms.ChoiceField(choices=[("add", _("追加")), ("delete", _("削除"))], error_messages={
        "required": _("申込種別（追加・削除）を選択してください。"),
        "invalid_choice": _("申込種別（追加・削除）を選択してください。")})
    network = forms.CharField(required=False, max_length=64)
    prefix = forms.CharField(required=False, max_length=8)

    def row(self) -> NetworkRow:
        """The row as typed (what failed the form is kept, so the screen shows it again)."""
        data = self.cleaned_data if self.is_valid() else {
            name: str(self.data.get(self.add_prefix(name), "")) for name in self.fields}
        return NetworkRow(action=data.get("action", ""), network=data.get("network", "").strip(),
                          prefix=data.get("prefix", "").strip())


NW_ROWS_MAX = 20
NetworkRowFormSet = forms.formset_factory(NetworkRowForm, extra=0, max_num=NW_ROWS_MAX, absolute_max=NW_ROWS_MAX)


# --- Rows of a screen table (番号の内容, 番号ポータビリティの内容, 残回線構成表) --------------------------------
# Each table posts a formset (`<box>-TOTAL_FORMS`, `<box>-<i>-<field>`). A row form takes the row as
# typed; whether it is right is the content check's to say (orders.content, porting_rows_check), by
# row and field, with what the customer typed shown again.

SCREEN_ROWS_MAX = 100  # more rows than this: the CSV method


def _typed() -> forms.CharField:
    """A cell as typed: any length and text (the checks say what is wrong, in Japanese, by row)."""
    return forms.CharField(required=False, strip=False)


class RowForm(forms.Form):
    """One row of a screen table; `row_type` is its state class (its FIELDS are the form's)."""

    row_type: type

    def row(self):
        data = self.cleaned_data if self.is_valid() else {}
        return self.row_type(**{name: data.get(name) or "" for name in self.row_type.FIELDS})


class RedRowForm(RowForm):
    row_type = RedRow
    base = _typed()
    kind = _typed()
    quantity = _typed()


class BlueRowForm(RowForm):
    row_type = BlueRow
    base = _typed()
    number = _typed()
    code = _typed()


class PortRowForm(RowForm):
    row_type = PortRow
    base = _typed()
    number = _typed()
    carrier1 = _typed()
    carrier2 = _typed()
    line_type = _typed()
    holder = _typed()
    holder_name = _typed()
    address = _typed()
    address_text = _typed()
    contractor_address = _typed()
    dsu = _typed()


class RemainingRowForm(RowForm):
    row_type = RemainingRow
    number = _typed()
    usage = _typed()


class RowFormSet(forms.BaseFormSet):
    """A screen table's rows. Posted without its management form, or announcing more rows than the
    screen has, it has none (a hand-made POST; the step then asks for its content)."""

    def rows(self) -> list:
        management = self.management_form
        if not management.is_valid() or management.cleaned_data["TOTAL_FORMS"] > self.absolute_max:
            return []
        return [form.row() for form in self.forms]

    @classmethod
    def shown(cls, rows: list, prefix: str):
        """The unbound formset of rows already typed (for its management form on screen)."""
        return cls(prefix=prefix, initial=[{} for _row in rows])


def _rows(form: type[RowForm], limit: int = SCREEN_ROWS_MAX) -> type[RowFormSet]:
    return forms.formset_factory(form, formset=RowFormSet, extra=0, max_num=limit, absolute_max=limit)


RedRowFormSet = _rows(RedRowForm)
BlueRowFormSet = _rows(BlueRowForm)
PortRowFormSet = _rows(PortRowForm)
RemainingRowFormSet = _rows(RemainingRowForm, limit=50)


def posted_rows(post, box: str) -> list:
    """The rows of table `box` ("red", "blue", "port", "rem") as posted, as state rows."""
    formset = {"red": RedRowFormSet, "blue": BlueRowFormSet, "port": PortRowFormSet,
               "rem": RemainingRowFormSet}[box]
    return formset(post, prefix=box).rows()


CONTRACT_CHOICES = [("", _("契約しない")), ("1", _("契約する"))]


class OptionsForm(forms.Form):
    """付加機能 of one row or number (prefix: the row's key, e.g. "red-0"): 契約しない/契約する for
    each option, and the two numbers behind their switches. O1–O4 are scheduled_checks'."""

    message_box = forms.ChoiceField(choices=CONTRACT_CHOICES, required=False)
    anonymous_call_rejection = forms.ChoiceField(choices=CONTRACT_CHOICES, required=False)
    nuisance_call_rejection = forms.ChoiceField(choices=CONTRACT_CHOICES, required=False)
    notification_on = forms.ChoiceField(choices=CONTRACT_CHOICES, required=False)
    specific_number_notification = forms.CharField(required=False, max_length=32)
    forwarding_on = forms.ChoiceField(choices=CONTRACT_CHOICES, required=False)
    forwarding_specific_number = forms.CharField(required=False, max_length=32)

    def options(self) -> Options:
        """The options as typed; a value outside the choices counts as 契約しない."""
        data = self.cleaned_data if self.is_valid() else {
            name: (self.cleaned_data or {}).get(name, "") for name in self.fields}
        return Options(
            message_box=data.get("message_box") == "1",
            anonymous_call_rejection=data.get("anonymous_call_rejection") == "1",
            nuisance_call_rejection=data.get("nuisance_call_rejection") == "1",
            specific_number_notification=data.get("specific_number_notification") or "",
            forwarding_specific_number=data.get("forwarding_specific_number") or "",
            notification_on=data.get("notification_on") == "1",
            forwarding_on=data.get("forwarding_on") == "1")


# --- Query parameters and buttons, parsed here (never sliced from strings or int()ed by hand) -----

PAGE_SIZES = (20, 50, 100)  # 表示件数
QUERY_MAX = 100  # a search term longer than this is cut: nothing the chooser lists is that long


class ChooserForm(forms.Form):
    """The base-number chooser's query (番号の選択): 電話番号 search, 音声契約番号, page and 表示件数.
    A value that does not parse falls back to its default (a bad link still shows the list)."""

    q = forms.CharField(required=False)
    n = forms.CharField(required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)
    size = forms.TypedChoiceField(required=False, choices=[(str(s), str(s)) for s in PAGE_SIZES], coerce=int,
                                  empty_value=PAGE_SIZES[-1])

    DEFAULTS = {"q": "", "n": "", "page": None, "size": PAGE_SIZES[-1]}

    def params(self) -> dict:
        """The query as understood: each field's value, or its default where it did not parse."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name, default) for name, default in self.DEFAULTS.items()}
        data["q"] = data["q"][:QUERY_MAX]
        data["n"] = data["n"].strip().upper()[:QUERY_MAX]
        data["size"] = data["size"] or PAGE_SIZES[-1]
        return data


@dataclasses.dataclass(frozen=True)
class RowAction:
    """A row button: `verb` (add, del, edit …) on table `box` at row `index` (None: the table's end)."""

    box: str
    verb: str
    index: int | None = None

    def target(self, size: int) -> int | None:
        """The row it names, if one of `size` rows."""
        return self.index if self.index is not None and self.index < size else None


class ActionForm(forms.Form):
    """The button a step's POST came from (`action`): "next", or a row button "<box>:<verb>[:<row>]"
    (red:add:3, nw:del:2, port:add, edit:1 on the menu's items). `action()` is the named action;
    `row_action()` the parsed row button, or None."""

    ROW_BUTTON = re.compile(r"^(?:(?P<box>[a-z]+):)?(?P<verb>add|del|edit|delete):?(?P<index>[0-9]{1,4})?$")

    action = forms.CharField(required=False, max_length=32)

    def __init__(self, data=None, *, default: str = "next", **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.default = default

    def name(self) -> str:
        return (self.cleaned_data.get("action") or self.default) if self.is_valid() else ""

    def row_action(self) -> RowAction | None:
        match = self.ROW_BUTTON.match(self.name())
        if match is None:
            return None
        index = match["index"]
        return RowAction(box=match["box"] or "", verb=match["verb"], index=int(index) if index else None)
