"""Training hours per level: each active full-time worker's hours in the year against the
county's minimum, who is below it first; the county's minimum and training recorded offline."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from gridgov.academy import excel, selectors, services
from gridgov.academy.models import Requirement
from gridgov.academy.views import attempt, user_of
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.audit import services as audit
from gridgov.audit.models import Action
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce.models import WorkerFile


def _year(raw: str | None) -> int:
    try:
        year = int(raw or selectors.this_year())
    except ValueError:
        return selectors.this_year()
    return year if 2000 <= year <= 2100 else selectors.this_year()


@never_cache
@login_required
def hours(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if not selectors.may_manage(user):
        return redirect("academy:home")
    nodes = selectors.managed_nodes(user)
    year = _year(request.GET.get("year"))
    node = nodes[0] if nodes else None
    if (request.GET.get("node") or "").isdigit():
        node = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.GET["node"])
    below = request.GET.get("below") == "1"
    every = selectors.hours_report(user, node, year) if node is not None else []
    rows = [r for r in every if r.below] if below else every
    counties = [n for n in nodes if n.level == Level.COUNTY]
    return render(
        request,
        "academy/hours.html",
        {
            "node": node,
            "nodes": nodes,
            "year": year,
            "below": below,
            "rows": rows[:2000],
            "count": len(rows),
            "short": sum(1 for r in every if r.below),
            "units": selectors.hours_by_unit(node, every) if node is not None else [],
            "counties": counties,
            "requirements": Requirement.objects.restrict(user).filter(year=year).select_related("county"),
        },
    )


@never_cache
@login_required
def hours_export(request: HttpRequest) -> HttpResponse:
    """The report of one node and year as Excel (officials who manage staff there; audited)."""
    user = user_of(request)
    node = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.GET.get("node") or 0)
    year = _year(request.GET.get("year"))
    rows = selectors.hours_report(user, node, year, below_only=request.GET.get("below") == "1")
    audit.record(Action.EXPORT, node, message=f"training hours {year} exported ({len(rows)} workers)")
    return excel.hours_response(node, year, rows)


@login_required
def requirement(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method != "POST":
        return redirect("academy:hours")
    county = get_visible_or_404(
        Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.POST.get("county_id") or 0
    )
    return attempt(
        request,
        lambda: services.set_requirement(
            user=user, county=county, year=request.POST.get("year"), min_hours=request.POST.get("min_hours")
        ),
        "已保存学时要求",
        "academy:hours",
    )


@login_required
def record(request: HttpRequest) -> HttpResponse:
    """Training done elsewhere, recorded for one worker (by their file, in the official's scope)."""
    user = user_of(request)
    if request.method != "POST":
        return redirect("academy:hours")
    worker = get_visible_or_404(
        WorkerFile.objects.all(), user, Cap.MANAGE_STAFF, pk=request.POST.get("worker_id") or 0
    )
    learner = worker.user
    return attempt(
        request,
        lambda: services.record_training(
            user=user,
            learner=learner,
            hours=request.POST.get("hours"),
            on=request.POST.get("on"),
            note=request.POST.get("note"),
        ),
        "已登记学时",
        "academy:hours",
    )
