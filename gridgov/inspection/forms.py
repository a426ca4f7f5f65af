"""The desktop forms of supervision and inspection (the services check everything again)."""

from typing import Any

from django import forms

from gridgov.inspection.models import ChecklistItem


class PlanForm(forms.Form):
    node = forms.TypedChoiceField(label="检查范围（街道或区县）", coerce=int)
    title = forms.CharField(label="计划名称", max_length=100)
    starts_on = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.TypedMultipleChoiceField(label="检查人员", coerce=int, required=False)
    mode = forms.ChoiceField(
        label="网格",
        choices=[("draw", "随机抽取"), ("pick", "指定网格")],
        widget=forms.RadioSelect,
        initial="draw",
    )
    draw_count = forms.IntegerField(label="抽取网格数", min_value=1, max_value=500, required=False)
    draw_seed = forms.IntegerField(
        label="抽签种子（可不填，系统生成并记录）", min_value=0, max_value=2**62 - 1, required=False
    )
    grid_ids = forms.TypedMultipleChoiceField(label="指定网格", coerce=int, required=False)

    def __init__(self, *args: Any, nodes: list[Any], inspectors: list[Any], grids: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.set_choices("node", [(n.pk, f"{n.name}（{n.get_level_display()}）") for n in nodes])
        self.set_choices("inspectors", [(u.pk, u.full_name or u.username) for u in inspectors])
        self.set_choices("grid_ids", [(g.pk, f"{g.parent.name if g.parent else ''} {g.name}") for g in grids])

    def set_choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class ScoreForm(forms.Form):
    """One number field per checklist item (`points_<id>`) and the inspector's note."""

    note = forms.CharField(
        label="检查意见", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, items: list[ChecklistItem], initial_points: dict[int, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for item in items:
            self.fields[f"points_{item.pk}"] = forms.DecimalField(
                label=item.text,
                min_value=0,
                max_value=item.max_points,
                decimal_places=1,
                initial=initial_points.get(item.pk, item.max_points),
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0", "max": str(item.max_points)}),
            )

    def points(self) -> dict[int, Any]:
        return {
            int(name.removeprefix("points_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("points_")
        }


class FindingForm(forms.Form):
    item_id = forms.TypedChoiceField(label="检查项目", coerce=int, required=False, empty_value=None)
    description = forms.CharField(label="问题描述", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    requirement = forms.CharField(
        label="整改要求（填写则同时下达整改）",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    deadline = forms.DateTimeField(
        label="整改时限", required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, items: list[ChecklistItem], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["item_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "（综合）")] + [(i.pk, f"{i.duty.name}：{i.text}") for i in items]


class RectifyForm(forms.Form):
    requirement = forms.CharField(label="整改要求", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateTimeField(
        label="整改时限", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
