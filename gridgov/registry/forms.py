"""Page forms. They only collect text; services validate it (the same rules as the API and imports)."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.registry.choices import (
    ETHNICITIES,
    CareTag,
    HouseholdKind,
    Relation,
    ResidenceStatus,
    Sex,
    SpecialTag,
)
from gridgov.registry.rules import ACTIVE_STATUSES
from gridgov.registry.sheets import ACCEPTED

_STATUS_CHOICES = [(value, label) for value, label in ResidenceStatus.choices if value in ACTIVE_STATUSES]


class ConcurrencyMixin(forms.Form):
    """`version` and `seen` (the snapshot the user saw) travel with the form; only changed fields are saved."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    # Fields where an empty input means "keep what is stored" (the stored value is shown masked).
    keep_if_blank: tuple[str, ...] = ()

    def seen_values(self) -> dict[str, Any]:
        try:
            value = json.loads(self.data.get("seen") or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def changes(self) -> dict[str, Any]:
        """The fields the user changed compared with what they saw."""
        seen = self.seen_values()
        changed: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name in {"version", "seen"}:
                continue
            if name in self.keep_if_blank:
                if value not in (None, ""):
                    changed[name] = value
                continue
            if isinstance(value, list):
                if value != list(seen.get(name) or []):
                    changed[name] = value
            elif (value or "") != (seen.get(name) or ""):
                changed[name] = value
        return changed


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form's fields (or the top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class HouseholdForm(ConcurrencyMixin):
    unit = forms.CharField(label=_("单元"), required=False, max_length=20)
    room = forms.CharField(label=_("室"), required=False, max_length=20)
    kind = forms.ChoiceField(label=_("户类型"), choices=HouseholdKind.choices)
    phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=30,
        help_text=_("手机 11 位；座机写区号-号码，如 0471-6123456"),
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    keep_if_blank: tuple[str, ...] = ("phone",)

    def __init__(self, *args: Any, creating: bool = False, buildings: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if buildings:
            # Registering from a grid (or above): choose the building first.
            self.fields["building"] = forms.ChoiceField(
                label=_("楼栋"), choices=[(str(b.pk), b.address or b.name) for b in buildings]
            )
            self.order_fields(["building"])
        if creating:
            for name in ("version", "seen"):
                self.fields[name].required = False
        else:
            self.fields["phone"].help_text = _("留空则不修改；当前号码见上方（已遮挡）")


class ResidentForm(ConcurrencyMixin):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"),
        required=False,
        max_length=40,
        help_text=_("18 位；15 位旧号码会自动转换。出生日期和性别按身份证号计算"),
    )
    birth_date = forms.CharField(
        label=_("出生日期"), required=False, max_length=20, widget=forms.DateInput(attrs={"type": "date"})
    )
    sex = forms.ChoiceField(label=_("性别"), required=False, choices=[("", "—"), *Sex.choices])
    phone = forms.CharField(
        label=_("电话"),
        required=False,
        max_length=30,
        help_text=_("手机 11 位；座机写区号-号码，如 0471-6123456"),
    )
    ethnicity = forms.ChoiceField(
        label=_("民族"), required=False, choices=[("", "—")] + [(e, e) for e in ETHNICITIES]
    )
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices, initial=Relation.OTHER)
    status = forms.ChoiceField(label=_("居住状态"), choices=_STATUS_CHOICES, initial=ResidenceStatus.PRESENT)
    care_tags = forms.MultipleChoiceField(
        label=_("关爱标签"), required=False, choices=CareTag.choices, widget=forms.CheckboxSelectMultiple
    )
    special_tags = forms.MultipleChoiceField(
        label=_("特殊人群标签"),
        required=False,
        choices=SpecialTag.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    date = forms.DateField(
        label=_("迁入日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空为今天"),
    )

    keep_if_blank: tuple[str, ...] = ("id_number", "phone")

    def __init__(
        self, *args: Any, mode: str = "edit", allow_special: bool = False, has_id: bool = False, **kwargs: Any
    ) -> None:
        """mode: "edit" (correct a resident), "move_in" (a new member) or "birth" (a newborn)."""
        super().__init__(*args, **kwargs)
        self.mode = mode
        if not allow_special:
            # Not "hidden": absent, so the page does not reveal that such tags exist.
            del self.fields["special_tags"]
        if mode != "move_in":
            del self.fields["date"]
        if mode == "edit":
            self.fields["id_number"].help_text = _("留空则不修改；当前号码见上方（已遮挡）")
            self.fields["phone"].help_text = _("留空则不修改；当前号码见上方（已遮挡）")
            if has_id:
                # Birth date and sex come from the ID number.
                del self.fields["birth_date"]
                del self.fields["sex"]
        else:
            for name in ("version", "seen"):
                self.fields[name].required = False
            self.keep_if_blank = ()
        if mode == "move_in":
            self.fields["id_number"].required = True
            self.fields["birth_date"].help_text = _("可不填；若填写须与身份证号一致")
        if mode == "birth":
            self.fields["id_number"].help_text = _("可暂不填写，办好后再补录")
            self.fields["birth_date"].required = True
            self.fields["sex"].required = True
            self.fields["relation"].initial = Relation.CHILD
            self.fields["name"].label = _("新生儿姓名")
            for name in ("status", "phone", "special_tags"):
                self.fields.pop(name, None)


class LifeEventForm(forms.Form):
    """Move out, death, whole-household move out; with `transfer`, the target household's number."""

    date = forms.DateField(
        label=_("日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空为今天"),
    )
    to_household = forms.CharField(label=_("迁入户的户编号"), max_length=32)
    relation = forms.ChoiceField(
        label=_("在新户中与户主关系"), choices=Relation.choices, initial=Relation.OTHER
    )
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, transfer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not transfer:
            del self.fields["to_household"]
            del self.fields["relation"]


class ImportForm(forms.Form):
    grid = forms.ChoiceField(label=_("导入到网格"))
    file = forms.FileField(
        label=_("表格文件（Excel .xlsx/.xls、WPS、.ods 或 .csv，不超过 10 MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}),
    )

    def __init__(self, *args: Any, grids: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [(g.code, f"{g.name}（{g.code}）") for g in grids]  # type: ignore[attr-defined]
