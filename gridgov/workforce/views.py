"""Desktop pages of the workforce: worker files, the turnover report, promotion runs and the
county budget with its what-if and Excel export. Thin: parse, call a service or selector, render."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, has, scope_of
from gridgov.core.errors import ConflictError
from gridgov.hierarchy.models import Node
from gridgov.workforce import budget, excel, runs, selectors, services
from gridgov.workforce.budget import ITEM_NAMES, ITEMS
from gridgov.workforce.models import DepartureReason, RecordKind, WorkerStatus

PAGE = 200


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {'；'.join(msgs)}" for field, msgs in exc.message_dict.items()]
    return list(exc.messages)


def _year(raw: str | None, default: int) -> int:
    try:
        return int(raw or default)
    except ValueError:
        return default


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Worker files of the official's subtree, with the turnover and tenure report."""
    user = _user(request)
    if not has(user, Cap.MANAGE_STAFF):
        return redirect("workforce:me")
    node = selectors.top_node(user)
    if request.GET.get("node"):
        node = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.GET["node"])
    status = request.GET.get("status", WorkerStatus.ACTIVE)
    status = status if status in WorkerStatus.values or status == "" else WorkerStatus.ACTIVE
    text = request.GET.get("q", "").strip()[:50]
    year = _year(request.GET.get("year"), timezone.localdate().year)
    workers = selectors.workers_for(user, node=node, status=status, text=text)
    return render(
        request,
        "workforce/home.html",
        {
            "node": node,
            "workers": workers[:PAGE],
            "count": workers.count(),
            "status": status,
            "statuses": WorkerStatus.choices,
            "q": text,
            "year": year,
            "turnover": selectors.turnover(user, node, year) if node is not None else [],
            "counties": selectors.counties_for(user),
        },
    )


@never_cache
@login_required
def worker(request: HttpRequest, workerfile_id: int) -> HttpResponse:
    user = _user(request)
    found = selectors.worker_detail(user, workerfile_id)
    may_manage = scope_of(user, Cap.MANAGE_STAFF).covers(found.path)
    return render(
        request,
        "workforce/worker.html",
        {
            "worker": found,
            "may_manage": may_manage,
            "reasons": DepartureReason.choices,
            "record_kinds": RecordKind.choices,
            "this_year": timezone.localdate().year,
            **selectors.file_of(found),
        },
    )


@login_required
@require_POST
def worker_action(request: HttpRequest, workerfile_id: int, action: str) -> HttpResponse:
    user = _user(request)
    found = selectors.worker_detail(user, workerfile_id)
    post = request.POST
    try:
        if action == "depart":
            services.record_departure(
                user=user,
                worker=found,
                departed_on=post.get("departed_on"),
                reason=post.get("reason", ""),
                note=post.get("note", ""),
                version=_year(post.get("version"), found.version),
            )
            messages.success(request, "已登记离职")
        elif action == "grade":
            services.adjust_grade(
                user=user,
                worker=found,
                grade=post.get("grade"),
                year=post.get("year"),
                reason=post.get("reason", ""),
                version=_year(post.get("version"), found.version),
            )
            messages.success(request, "档次已调整")
        elif action == "record":
            services.add_record(
                user=user,
                worker=found,
                kind=post.get("kind", ""),
                date=post.get("date"),
                title=post.get("title", ""),
                issuer=post.get("issuer", ""),
                note=post.get("note", ""),
            )
            messages.success(request, "已记录")
        else:
            raise Http404("unknown action")
    except ValidationError as exc:
        for line in _errors(exc):
            messages.error(request, line)
    except ConflictError as exc:
        messages.error(request, exc.message)
    return redirect("workforce:worker", workerfile_id=found.pk)


@never_cache
@login_required
def me(request: HttpRequest) -> HttpResponse:
    """The worker's own file: grade and its history, assessments, rewards and sanctions."""
    user = _user(request)
    own = selectors.own_file(user)
    context: dict[str, Any] = {"worker": own, "own": True}
    if own is not None:
        context.update(selectors.file_of(own))
    return render(request, "workforce/me.html", context)


@never_cache
@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "POST":
        county = get_visible_or_404(
            Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.POST.get("county") or 0
        )
        try:
            run = runs.preview_run(
                user=user, county=county, assessment_year=request.POST.get("assessment_year")
            )
            return redirect("workforce:run", promotionrun_id=run.pk)
        except ValidationError as exc:
            for line in _errors(exc):
                messages.error(request, line)
        except ConflictError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "workforce/runs.html",
        {
            "runs": selectors.runs_for(user)[:100],
            "counties": selectors.counties_for(user),
            "last_year": timezone.localdate().year - 1,
        },
    )


@never_cache
@login_required
def run(request: HttpRequest, promotionrun_id: int) -> HttpResponse:
    user = _user(request)
    found = selectors.run_detail(user, promotionrun_id)
    moved_only = request.GET.get("moved") == "1"
    return render(
        request,
        "workforce/run.html",
        {"run": found, "lines": selectors.run_lines(found, moved_only=moved_only), "moved_only": moved_only},
    )


ACTIONS = {"refresh": runs.refresh_run, "approve": runs.approve_run, "cancel": runs.cancel_run}
DONE = {"refresh": "预览已重新计算", "approve": "已批准并执行晋档", "cancel": "批次已撤销"}


@login_required
@require_POST
def run_action(request: HttpRequest, promotionrun_id: int, action: str) -> HttpResponse:
    user = _user(request)
    found = selectors.run_detail(user, promotionrun_id)
    if action not in ACTIONS:
        raise Http404("unknown action")
    try:
        ACTIONS[action](user=user, run=found, version=request.POST.get("version") or None)
        messages.success(request, DONE[action])
    except ConflictError as exc:
        messages.error(request, exc.message)
    return redirect("workforce:run", promotionrun_id=found.pk)


WHAT_IF_FIELDS = ("base_floor", "base_ceiling", *(f"{item}_rate" for item in ITEMS))


def _budget_args(request: HttpRequest, user: User) -> tuple[Node | None, int, dict[str, str]]:
    counties = selectors.counties_for(user)
    if not counties:
        raise PermissionDenied("no county")
    county = counties[0]
    if request.GET.get("county"):
        county = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=request.GET["county"])
    year = _year(request.GET.get("year"), timezone.localdate().year)
    what_if = {
        name: request.GET[name].strip() for name in WHAT_IF_FIELDS if request.GET.get(name, "").strip()
    }
    return county, year, what_if


@never_cache
@login_required
def budget_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    county, year, what_if = _budget_args(request, user)
    assert county is not None
    context: dict[str, Any] = {
        "county": county,
        "year": year,
        "counties": selectors.counties_for(user),
        "what_if": what_if,
        "items": [(item, ITEM_NAMES[item]) for item in ITEMS],
        "errors": [],
    }
    try:
        current = budget.county_budget(county.county_code, year)
        context["budget"] = current
        if what_if:
            context["scenario"] = budget.county_budget(county.county_code, year, what_if)
            context["difference"] = context["scenario"].annual_total - current.annual_total
        scenario = context.get("scenario", current)
        context["rates"] = [
            (ITEM_NAMES[item], current.params.rate(item), scenario.params.rate(item)) for item in ITEMS
        ]
    except ValidationError as exc:
        context["errors"] = _errors(exc)
    context["query"] = request.GET.urlencode()
    return render(request, "workforce/budget.html", context)


@never_cache
@login_required
def budget_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    county, year, what_if = _budget_args(request, user)
    assert county is not None
    try:
        result = budget.county_budget(county.county_code, year, what_if or None)
    except ValidationError as exc:
        return HttpResponse("；".join(_errors(exc)), status=400, content_type="text/plain; charset=utf-8")
    from gridgov.audit.models import Action
    from gridgov.audit.services import record

    record(Action.EXPORT, county, message=f"budget {year} exported{' (what-if)' if what_if else ''}")
    return excel.budget_response(result, county.name)
