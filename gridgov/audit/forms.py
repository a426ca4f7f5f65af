from typing import Any

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from gridgov.audit.models import Action
from gridgov.audit.selectors import AuditFilter


def _object_types() -> list[tuple[str, Any]]:
    models = [m for m in apps.get_models() if m.__module__.startswith("gridgov.")]
    return [
        ("", _("全部")),
        *sorted(((m._meta.label_lower, str(m._meta.verbose_name)) for m in models), key=lambda c: c[1]),
    ]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("动作"), required=False, choices=[("", _("全部")), *Action.choices])
    actor = forms.CharField(label=_("操作人账号"), required=False, max_length=150)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    success = forms.ChoiceField(
        label=_("结果"), required=False, choices=[("", _("全部")), ("1", _("成功")), ("0", _("失败/拒绝"))]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = _object_types()  # type: ignore[attr-defined]

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data if self.is_valid() else {}
        success = data.get("success", "")
        return AuditFilter(
            action=data.get("action", ""),
            actor=data.get("actor", "").strip(),
            object_type=data.get("object_type", ""),
            object_id=data.get("object_id", "").strip(),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            success=None if success == "" else success == "1",
        )
