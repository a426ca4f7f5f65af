from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.disputes.models import DisputeType, Outcome, PartyRole, RiskLevel, TeamRole, VisitKind

PARTY_ROWS = 4


class DisputeReportForm(forms.Form):
    category = forms.ChoiceField(label=_("纠纷分类"))
    dispute_type = forms.ChoiceField(label=_("纠纷类型"), choices=DisputeType.choices)
    description = forms.CharField(
        label=_("情况描述"), widget=forms.Textarea(attrs={"rows": 5}), max_length=2000
    )
    grid = forms.ChoiceField(label=_("所在网格"), required=False)
    address = forms.CharField(label=_("地点"), required=False, max_length=200)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, categories: list[tuple[str, str]], grids: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = categories  # type: ignore[attr-defined]
        self.fields["grid"].choices = [("", _("按定位自动确定")), *grids]  # type: ignore[attr-defined]
        for n in range(1, PARTY_ROWS + 1):
            self.fields[f"party{n}_name"] = forms.CharField(
                label=_("当事人%(n)s 姓名") % {"n": n}, required=False, max_length=50
            )
            self.fields[f"party{n}_phone"] = forms.CharField(label=_("电话"), required=False, max_length=30)
            # Set by the type-ahead over the registry's search (gridgov/residents.js), not typed.
            self.fields[f"party{n}_resident"] = forms.IntegerField(
                label=_("关联登记居民"),
                required=False,
                min_value=1,
                max_value=2**63 - 1,
                widget=forms.HiddenInput,
            )
            self.fields[f"party{n}_role"] = forms.ChoiceField(
                label=_("身份"),
                choices=PartyRole.choices,
                initial=PartyRole.APPLICANT if n == 1 else PartyRole.RESPONDENT,
            )

    def party_rows(self) -> list[dict[str, Any]]:
        """Each party's visible fields, and the hidden resident id the picker sets."""
        return [
            {
                "n": n,
                "fields": [self[f"party{n}_{part}"] for part in ("name", "phone", "role")],
                "resident": self[f"party{n}_resident"],
                "name": self[f"party{n}_name"],
            }
            for n in range(1, PARTY_ROWS + 1)
        ]

    def parties(self) -> list[dict[str, Any]]:
        rows = []
        for n in range(1, PARTY_ROWS + 1):
            name = self.cleaned_data.get(f"party{n}_name") or ""
            resident = self.cleaned_data.get(f"party{n}_resident")
            if not name.strip() and not resident:
                continue
            rows.append(
                {
                    "name": name,
                    "phone": self.cleaned_data.get(f"party{n}_phone") or "",
                    "resident_id": resident,
                    "role": self.cleaned_data.get(f"party{n}_role"),
                }
            )
        return rows


class TeamForm(forms.Form):
    member = forms.ChoiceField(label=_("邀请加入调解"))
    role = forms.ChoiceField(
        label=_("团队角色"), required=False, choices=[("", _("按其单位或职务确定")), *TeamRole.choices]
    )

    def __init__(self, *args: Any, candidates: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = candidates  # type: ignore[attr-defined]


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("团队角色"))

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]


class TeamRemoveForm(forms.Form):
    reason = forms.CharField(label=_("退出原因"), max_length=200)


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=VisitKind.choices)
    visited_at = forms.DateTimeField(
        label=_("走访时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    visitors = forms.MultipleChoiceField(label=_("参加人员"), widget=forms.CheckboxSelectMultiple)
    others_present = forms.CharField(label=_("其他在场人员"), required=False, max_length=200)
    summary = forms.CharField(
        label=_("经过与结果"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )

    def __init__(self, *args: Any, team: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visitors"].choices = team  # type: ignore[attr-defined]
        self.fields["visited_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("化解结果"), choices=Outcome.choices)
    terms = forms.CharField(
        label=_("协议内容 / 移交去向 / 撤回原因"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    follow_up_days = forms.IntegerField(
        label=_("几天后回访"), initial=30, min_value=1, max_value=365, required=False
    )


class RiskForm(forms.Form):
    level = forms.ChoiceField(
        label=_("风险等级"), choices=[("", _("恢复系统研判")), *list(RiskLevel.choices)], required=False
    )
    reason = forms.CharField(label=_("调整理由"), max_length=500)


class FollowUpPlanForm(forms.Form):
    """Up to three dates at a time on a phone; more by submitting again."""

    date1 = forms.DateField(label=_("回访日期"), widget=forms.DateInput(attrs={"type": "date"}))
    date2 = forms.DateField(
        label=_("再次回访"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date3 = forms.DateField(
        label=_("再次回访"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = forms.CharField(label=_("回访重点"), required=False, max_length=200)

    def dates(self) -> list[date | None]:
        return [self.cleaned_data.get(f"date{n}") for n in (1, 2, 3)]
