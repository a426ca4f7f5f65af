import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.events.models import Category


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; their content is checked by the service, not here."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(item, initial) for item in items]


def category_choices() -> list[tuple[str, Any]]:
    """Categories grouped under their parents, for a <select> with <optgroup>s."""
    groups: list[tuple[str, Any]] = [("", _("请选择"))]
    categories = list(Category.objects.filter(active=True).select_related("parent").order_by("code"))
    parents = [c for c in categories if c.parent_id is None]
    for parent in parents:
        children = [(c.code, c.name) for c in categories if c.parent_id == parent.pk]
        groups.append((parent.name, [(parent.code, f"{parent.name}（其他）"), *children]))
    return groups


class IdListField(forms.Field):
    """Ids picked with the type-ahead (gridgov/residents.js): hidden inputs, one per pick. Whether
    each is one the user may name is checked by the service, in its scope."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        ids: list[int] = []
        for item in value or ():
            try:
                number = int(str(item).strip())
            except ValueError:
                raise ValidationError(_("请从检索结果中选择居民")) from None
            if not 0 < number < 2**63:
                raise ValidationError(_("请从检索结果中选择居民"))
            ids.append(number)
        return ids


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("事件分类"))
    description = forms.CharField(
        label=_("事件描述"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, required=False
    )
    grid = forms.TypedChoiceField(
        label=_("所在网格"), coerce=int, required=False, help_text=_("有定位时按定位自动确定网格")
    )
    address = forms.CharField(label=_("地点"), max_length=200, required=False)
    lng = forms.FloatField(widget=forms.HiddenInput, required=False)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False)
    residents = IdListField(label=_("涉及居民"), required=False)
    photos = MultipleImageField(label=_("照片（最多 9 张，每张不超过 5 MB）"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args: Any, grids: list[tuple[int, str]], pick_residents: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]
        self.fields["grid"].choices = [("", _("按定位确定")), *grids]  # type: ignore[attr-defined]
        if not pick_residents:
            del self.fields["residents"]
        if not self.is_bound:
            # One key per rendered form: a double tap or a resend makes one event.
            self.initial["idempotency_key"] = uuid.uuid4().hex


class FilterForm(forms.Form):
    STATES = [("", _("全部状态")), ("open", _("未办结")), ("done", _("已办结/合并"))]

    state = forms.ChoiceField(label=_("状态"), required=False)
    category = forms.ChoiceField(label=_("分类"), required=False)
    overdue = forms.ChoiceField(
        label=_("超期"), required=False, choices=[("", _("全部")), ("1", _("仅超期")), ("0", _("未超期"))]
    )
    q = forms.CharField(label=_("编号或关键词"), required=False, max_length=100)
    mine = forms.BooleanField(label=_("只看我上报的"), required=False)
    node = forms.TypedChoiceField(label=_("区域"), required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(label=_("自"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(
        label=_("日期按"), required=False, choices=[("created", _("上报时间")), ("closed", _("办结时间"))]
    )
    supervision = forms.ChoiceField(
        label=_("督办"),
        required=False,
        choices=[("", _("全部")), ("red", _("红牌督办")), ("yellow", _("黄牌督办"))],
    )

    def __init__(self, *args: Any, areas: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        from gridgov.events.models import State

        data = args[0] if args else kwargs.get("data")
        if data is not None and ("from" in data or "to" in data):
            # The overview's links say from/to (the figures' period).
            data = data.copy()
            data.setdefault("date_from", data.get("from", ""))
            data.setdefault("date_to", data.get("to", ""))
            args = (data, *args[1:]) if args else args
            if "data" in kwargs:
                kwargs["data"] = data
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [*self.STATES, *State.choices]  # type: ignore[attr-defined]
        choices = category_choices()
        choices[0] = ("", _("全部分类"))
        self.fields["category"].choices = choices  # type: ignore[attr-defined]
        self.fields["node"].choices = [("", _("全部辖区")), *(areas or [])]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return cleaned
