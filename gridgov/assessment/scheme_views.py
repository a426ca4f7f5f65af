"""The desktop form of a county's assessment scheme for a year: each indicator's weight, the
committee's weight and the cap on the share of 优秀, all in percent. Thin: the service checks the
values and decides who may write; a rejected value is shown beside its field, nothing saved."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from gridgov.accounts.models import User
from gridgov.assessment import indicators, selectors, services
from gridgov.core.errors import PreconditionFailed
from gridgov.workforce.selectors import counties_for
from gridgov.workforce.settings_views import county_and_year, field_errors


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


def _percent(fraction: Any) -> str:
    """A stored fraction (0.15) as the form shows it (15)."""
    share = (Decimal(str(fraction)) * 100).normalize()
    return f"{share:f}"


@never_cache
@login_required
def scheme(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    county, year = county_and_year(request, user)
    errors: dict[str, str] = {}
    current = selectors.scheme_of(county, year)
    values: dict[str, str] = {f"weight_{key}": "" for key in indicators.NAMES}
    values.update(committee_weight="", excellent_cap="", version="")
    if current is not None:
        for key in indicators.NAMES:
            values[f"weight_{key}"] = _percent(current.weights.get(key, 0))
        values.update(
            committee_weight=_percent(current.committee_weight),
            excellent_cap=_percent(current.excellent_cap),
            version=str(current.version),
        )
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in values}
        try:
            services.set_scheme(
                user=user,
                county=county,
                year=request.POST.get("year"),  # as posted: a mangled year is a form error
                weights={key: values[f"weight_{key}"] for key in indicators.NAMES},
                committee_weight=values["committee_weight"],
                excellent_cap=values["excellent_cap"],
                version=values["version"] or None,
            )
        except ValidationError as exc:
            errors = field_errors(exc)
        except PreconditionFailed as exc:
            errors = {"": exc.message}
        else:
            messages.success(request, f"已保存{county.name}{year}年度考核方案")
            return redirect(f"/assessment/?node={county.pk}&year={year}")
    rows = [
        (f"weight_{key}", f"{label}权重（%）", values[f"weight_{key}"], errors.get(f"weight_{key}", ""))
        for key, label in indicators.NAMES.items()
    ]
    rows.append(
        (
            "committee_weight",
            "考核委员会评分权重（%）",
            values["committee_weight"],
            errors.get("committee_weight", ""),
        )
    )
    return render(
        request,
        "assessment/scheme.html",
        {
            "county": county,
            "year": year,
            "counties": counties_for(user),
            "rows": rows,
            "cap": ("excellent_cap", values["excellent_cap"], errors.get("excellent_cap", "")),
            "version": values["version"],
            "errors": errors,
            "stored": current is not None,
        },
        status=400 if errors and "" not in errors else (409 if errors else 200),
    )
