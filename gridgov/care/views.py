"""Leader pages for care: due and overdue visits per area (drilling down to grids and their
workers), the visits, the stale list, the care rules. Thin."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from gridgov.accounts.scope import deny
from gridgov.accounts.selectors import city_settings_access
from gridgov.care import selectors, services
from gridgov.care.models import CareRule
from gridgov.core.forms import add_service_errors
from gridgov.registry.choices import CareTag


def _node(request: HttpRequest):  # type: ignore[no-untyped-def]
    raw = request.GET.get("node", "")
    return (
        selectors.get_node(request.user, int(raw)) if raw.isdigit() else selectors.default_node(request.user)
    )


@login_required
def due(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    rows = selectors.due_by_child(request.user, node) if node else []
    visits = list(selectors.visits(request.user, node=node)[:30]) if node else []
    return render(
        request,
        "care/due.html",
        {
            "node": node,
            "rows": rows,
            "visits": visits,
            "rules": selectors.rules(),
            "horizon": selectors.DUE_HORIZON_DAYS,
            "settings_access": city_settings_access(request.user),
        },
    )


@login_required
def stale(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 3650 else None
    if raw and days is None:
        messages.error(request, "天数须为 1 至 3650")
    found = selectors.stale_households(request.user, node, days=days) if node else None
    return render(
        request,
        "care/stale.html",
        {
            "node": node,
            "days": days or selectors.stale_after_days(),
            "households": list(found[:200]) if found is not None else [],
            "total": found.count() if found is not None else 0,
        },
    )


class RuleForm(forms.Form):
    name = forms.CharField(label="名称", max_length=50)
    interval_days = forms.IntegerField(label="走访周期（天）", min_value=1, max_value=366)
    active = forms.BooleanField(label="启用", required=False, initial=True)


class NewRuleForm(forms.Form):
    tag = forms.ChoiceField(label="关爱标签")
    name = forms.CharField(label="名称", max_length=50, required=False)
    interval_days = forms.IntegerField(label="走访周期（天）", min_value=1, max_value=366)

    def __init__(self, *args: Any, free: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tag = self.fields["tag"]
        assert isinstance(tag, forms.ChoiceField)
        tag.choices = free


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The care rules (how often each tagged group is visited): county administrators read them,
    city administrators edit and add them; every schedule follows a change (audited)."""
    access = city_settings_access(request.user)
    if not access:
        deny(request.user, "care rule pages are for county and city administrators")
        raise PermissionDenied("此页面供区县和市级管理员使用")
    saved = list(CareRule.objects.all())
    free = [(value, str(label)) for value, label in CareTag.choices if value not in {r.tag for r in saved}]
    failed: tuple[int, forms.Form] | None = None
    new = NewRuleForm(prefix="new", free=free)
    if request.method == "POST":
        raw = request.POST.get("rule", "")
        if raw.isdigit():
            rule = get_object_or_404(CareRule, pk=int(raw))
            form: forms.Form = RuleForm(request.POST, prefix=f"r{rule.pk}")
            if form.is_valid():
                try:
                    services.update_rule(rule, user=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, f"已保存“{form.cleaned_data['name']}”，走访计划已按新规则更新")
                    return redirect("care:rules")
            failed = (rule.pk, form)
        else:
            new = NewRuleForm(request.POST, prefix="new", free=free)
            if new.is_valid():
                try:
                    services.create_rule(user=request.user, **new.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(new, exc)
                else:
                    messages.success(request, "已新增走访规则，走访计划已更新")
                    return redirect("care:rules")
    rows = []
    for rule in saved:
        if failed is not None and failed[0] == rule.pk:
            rows.append((rule, failed[1]))
            continue
        initial = {"name": rule.name, "interval_days": rule.interval_days, "active": rule.active}
        rows.append((rule, RuleForm(initial=initial, prefix=f"r{rule.pk}")))
    return render(
        request,
        "care/rules.html",
        {
            "rows": rows,
            "new": new if free else None,
            "may_edit": access == "edit",
            "labels": dict(CareTag.choices),
        },
        status=400 if request.method == "POST" else 200,
    )
