"""Desktop forms of a county's workforce settings: the yearly pay table (grades 1–12) and the
social-insurance contribution base and rates. Thin: the services check every value and decide
who may write; a rejected value is shown on the form beside its field and nothing is saved."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce import selectors, services
from gridgov.workforce.models import MAX_GRADE, MIN_GRADE, ContributionRates, PayScale


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


def field_errors(exc: ValidationError) -> dict[str, str]:
    """A service's ValidationError as {field: message} for the form ("" for a general one)."""
    if hasattr(exc, "error_dict"):
        return {field: "；".join(lines) for field, lines in exc.message_dict.items()}
    return {"": "；".join(exc.messages)}


def county_and_year(request: HttpRequest, user: User) -> tuple[Node, int]:
    """The county (one the user manages, else 404) and the year a settings page is about."""
    data = request.POST if request.method == "POST" else request.GET
    if data.get("county"):
        county = get_visible_or_404(
            Node.objects.filter(level=Level.COUNTY), user, Cap.MANAGE_STAFF, pk=data["county"]
        )
    else:
        counties = selectors.counties_for(user)
        if not counties:
            raise Http404("no county in scope")
        county = counties[0]
    this_year = timezone.localdate().year
    try:
        year = int(data.get("year") or this_year)
    except ValueError:
        year = this_year
    if not 2000 <= year <= 2100:
        year = this_year
    return county, year


def _back_to_budget(county: Node, year: int) -> HttpResponse:
    return redirect(f"{reverse('workforce:budget')}?county={county.pk}&year={year}")


GRADES = range(MIN_GRADE, MAX_GRADE + 1)


@never_cache
@login_required
def pay_scale(request: HttpRequest) -> HttpResponse:
    """The pay table of a county and year: the monthly pay of each of the 12 grades."""
    user = _user(request)
    county, year = county_and_year(request, user)
    errors: dict[str, str] = {}
    stored = {
        row.grade: str(row.monthly_pay)
        for row in PayScale.objects.filter(county_code=county.county_code, year=year)
    }
    values = {g: stored.get(g, "") for g in GRADES}
    if request.method == "POST":
        values = {g: request.POST.get(f"grade_{g}", "").strip() for g in GRADES}
        try:
            # The year as posted: a mangled one is an error on the form, not this year's table.
            services.set_pay_scale(
                user=user, county=county, year=request.POST.get("year"), monthly_pay=dict(values)
            )
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, f"已保存{county.name}{year}年度薪酬标准")
            return _back_to_budget(county, year)
    rows = [(g, f"grade_{g}", values[g], errors.get(f"grade_{g}", "")) for g in GRADES]
    return render(
        request,
        "workforce/pay_scale.html",
        {
            "county": county,
            "year": year,
            "counties": selectors.counties_for(user),
            "rows": rows,
            "errors": errors,
            "stored": bool(stored),
        },
        status=400 if errors else 200,
    )


RATE_LABELS = {
    "base_floor": "缴费基数下限（元/月）",
    "base_ceiling": "缴费基数上限（元/月）",
    **services.RATE_FIELDS,
}


@never_cache
@login_required
def contribution_rates(request: HttpRequest) -> HttpResponse:
    """The contribution base's floor and ceiling and the employer's rates of a county and year."""
    user = _user(request)
    county, year = county_and_year(request, user)
    errors: dict[str, str] = {}
    current = ContributionRates.objects.filter(county_code=county.county_code, year=year).first()
    values: dict[str, Any] = {
        name: (str(getattr(current, name)) if current is not None else "") for name in RATE_LABELS
    }
    if request.method == "POST":
        values = {name: request.POST.get(name, "").strip() for name in RATE_LABELS}
        try:
            services.set_contribution_rates(user=user, county=county, year=request.POST.get("year"), **values)
        except ValidationError as exc:
            errors = field_errors(exc)
        else:
            messages.success(request, f"已保存{county.name}{year}年度缴费基数与费率")
            return _back_to_budget(county, year)
    fields = [(name, label, values[name], errors.get(name, "")) for name, label in RATE_LABELS.items()]
    return render(
        request,
        "workforce/contribution_rates.html",
        {
            "county": county,
            "year": year,
            "counties": selectors.counties_for(user),
            "fields": fields,
            "errors": errors,
            "stored": current is not None,
        },
        status=400 if errors else 200,
    )
