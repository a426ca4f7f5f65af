"""Forms for the hierarchy pages. They only parse input; the rules live in hierarchy.services."""

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core import inputs
from gridgov.hierarchy.models import DERIVED_LEVELS, DedicatedKind, GridKind, Level, Node
from gridgov.hierarchy.paths import CODE_LENGTH

_BOUNDARY_HELP = _(
    "粘贴测绘或地图软件导出的 GeoJSON 多边形（WGS84 经纬度，单个或多个多边形均可）；留空表示不设边界。"
)


class BoundaryField(forms.CharField):
    """A GeoJSON textarea; returns the parsed object (or None when empty)."""

    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("边界（GeoJSON）"))
        kwargs.setdefault("help_text", _BOUNDARY_HELP)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return inputs.parse_json(text)
        except inputs.JSONRefused as exc:
            raise forms.ValidationError(str(exc)) from None


def _grid_fields() -> dict[str, forms.Field]:
    return {
        "grid_kind": forms.ChoiceField(label=_("网格类型"), choices=GridKind.choices, initial=GridKind.BASIC),
        "dedicated_kind": forms.ChoiceField(
            label=_("专属网格类别"),
            required=False,
            choices=[("", _("（基础网格不填）")), *DedicatedKind.choices],
            help_text=_("专属网格必须选择类别"),
        ),
    }


class NodeCreateForm(forms.Form):
    """A new child of a node; which fields apply depends on the child's level."""

    name = forms.CharField(label=_("名称"), max_length=100)
    code = forms.CharField(label=_("代码"), max_length=18, required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    def __init__(self, *args: Any, level: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level = level
        width = CODE_LENGTH[level]
        if level in DERIVED_LEVELS:
            self.fields["code"].help_text = _("留空则自动编号（上级代码 + 三位序号，共 %(n)s 位）") % {
                "n": width
            }
        else:
            self.fields["code"].required = True
            self.fields["code"].help_text = _("%(n)s 位统计用区划代码，前几位须与上级一致") % {"n": width}
        if level == Level.GRID:
            self.fields.update(_grid_fields())
        if level == Level.BUILDING:
            self.fields["lng"] = forms.FloatField(
                label=_("经度"), required=False, min_value=-180, max_value=180
            )
            self.fields["lat"] = forms.FloatField(
                label=_("纬度"), required=False, min_value=-90, max_value=90
            )
        else:
            self.fields["boundary"] = BoundaryField()


class NodeEditForm(forms.Form):
    """Rename a node and edit its attributes; `version` detects a concurrent edit."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    def __init__(self, *args: Any, node: Node, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "version": node.version,
                "name": node.name,
                "address": node.address,
                "grid_kind": node.grid_kind,
                "dedicated_kind": node.dedicated_kind,
                "boundary": node.boundary,
                "lng": node.lng,
                "lat": node.lat,
            },
        )
        super().__init__(*args, **kwargs)
        self.node = node
        if node.level == Level.GRID:
            self.fields.update(_grid_fields())
        if node.level == Level.BUILDING:
            self.fields["lng"] = forms.FloatField(
                label=_("经度"), required=False, min_value=-180, max_value=180
            )
            self.fields["lat"] = forms.FloatField(
                label=_("纬度"), required=False, min_value=-90, max_value=90
            )
        else:
            self.fields["boundary"] = BoundaryField()

    def changes(self) -> dict[str, Any]:
        """The edited fields that differ from the node as loaded (what update_node receives)."""
        data = {key: value for key, value in self.cleaned_data.items() if key != "version"}
        return {key: value for key, value in data.items() if getattr(self.node, key) != value}


class NodeMoveForm(forms.Form):
    """Choose the new parent by id; the view checks it against the user's scope."""

    parent = forms.IntegerField(label=_("新的上级"), widget=forms.Select)
    code = forms.CharField(
        label=_("新代码"),
        max_length=18,
        required=False,
        help_text=_("移到其他上级时，统计用区划代码的前几位须与新上级一致；网格和楼栋自动重新编号"),
    )

    def __init__(self, *args: Any, node: Node, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].widget.choices = [("", _("— 请选择 —")), *choices]
        if node.level in DERIVED_LEVELS:
            del self.fields["code"]
