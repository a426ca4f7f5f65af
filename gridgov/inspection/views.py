"""Officials' pages of supervision and inspection: plans (list, make with a random draw or picked
grids), a plan's grids, a grid's inspection (scores, findings with photos, rectifications), the
rectification list (overdue first) with report and re-inspection, scores per grid and worker for
a period with the Excel export, and the photos, served only through the scope check. Thin."""

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from gridgov.accounts.scope import get_visible_or_404
from gridgov.core.errors import ConflictError
from gridgov.core.forms import add_service_errors
from gridgov.core.uploads import serve_upload
from gridgov.hierarchy.models import Node
from gridgov.inspection import excel, selectors, services
from gridgov.inspection.forms import FindingForm, PlanForm, RectifyForm, ScoreForm
from gridgov.inspection.models import RectificationState


def _error_text(exc: Exception) -> str:
    return "；".join(getattr(exc, "messages", None) or [getattr(exc, "message", str(exc))])


def _node(request: HttpRequest) -> Node | None:
    raw = request.GET.get("node") or request.POST.get("node") or ""
    if not raw:
        return selectors.start_node(request.user)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):  # no id the database cannot hold
        raise Http404("not found")
    return get_visible_or_404(Node.objects.all(), request.user, None, pk=int(raw))


def _plan_form(request: HttpRequest, node: Node | None) -> PlanForm:
    nodes = selectors.plan_nodes(request.user)
    chosen = (
        node if node is not None and any(n.pk == node.pk for n in nodes) else (nodes[0] if nodes else None)
    )
    return PlanForm(
        request.POST or None,
        nodes=nodes,
        inspectors=selectors.inspector_choices(request.user, chosen) if chosen else [],
        grids=selectors.grids_under(request.user, chosen) if chosen else [],
        initial={"node": chosen.pk if chosen else None, "inspectors": [request.user.pk]},
    )


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    form = _plan_form(request, node)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        area = get_visible_or_404(Node.objects.all(), request.user, None, pk=data["node"])
        draw = data["mode"] == "draw"
        try:
            plan = services.create_plan(
                user=request.user,
                node=area,
                title=data["title"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                inspector_ids=data["inspectors"],
                grid_ids=[] if draw else data["grid_ids"],
                draw_count=data["draw_count"] if draw else None,
                draw_seed=data["draw_seed"] if draw else None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"计划已制定，{plan.visits.count()} 个网格")
            return redirect(plan)
    plans = list(selectors.plans_for(request.user, node)[:100]) if node else []
    return render(
        request,
        "inspection/plans.html",
        {
            "node": node,
            "plans": plans,
            "form": form,
            "can_plan": bool(form.fields["node"].choices),  # type: ignore[attr-defined]
            "overdue": selectors.overdue_count(request.user, node) if node else 0,
        },
    )


@login_required
def plan_form_part(request: HttpRequest) -> HttpResponse:
    """The grids and inspectors of the area picked in the plan form (htmx)."""
    node = _node(request)
    form = _plan_form(request, node)
    return render(request, "inspection/_plan_choices.html", {"form": form})


@login_required
def draw_preview(request: HttpRequest) -> HttpResponse:
    """The grids a draw would pick with this area, count and seed (htmx): check before making."""
    node = _node(request)
    grids: list[Node] = []
    error = ""
    try:
        count, seed = int(request.GET.get("draw_count", "")), int(request.GET.get("draw_seed", ""))
        if node is None:
            raise ValidationError({"node": "请选择检查范围"})
        if not 0 <= seed < services.MAX_SEED:
            raise ValidationError({"draw_seed": "抽签种子须为非负整数"})
        grids = services.draw_grids(node, count, seed)
    except ValueError:
        error = "请填写抽取网格数和抽签种子（整数）"
    except ValidationError as exc:
        error = _error_text(exc)
    return render(request, "inspection/_draw.html", {"grids": grids, "error": error})


@login_required
def plan_detail(request: HttpRequest, inspectionplan_id: int) -> HttpResponse:
    plan = selectors.get_plan(request.user, inspectionplan_id)
    return render(
        request,
        "inspection/plan.html",
        {
            "plan": plan,
            "visits": list(selectors.visits_of(request.user, plan)),
            "inspectors": list(plan.inspectors.all()),
            "rectifications": list(selectors.rectifications_for(request.user, plan_id=plan.pk)[:200]),
            "may_inspect": services.may_inspect(request.user, plan),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def plan_close(request: HttpRequest, inspectionplan_id: int) -> HttpResponse:
    plan = selectors.get_plan(request.user, inspectionplan_id)
    try:
        services.close_plan(user=request.user, plan=plan)
        messages.success(request, "计划已结束")
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect(plan)


@login_required
def visit_detail(request: HttpRequest, inspectionvisit_id: int) -> HttpResponse:
    visit = selectors.get_visit(request.user, inspectionvisit_id)
    items = services.checklist()
    form = ScoreForm(
        request.POST or None,
        items=items,
        initial_points=selectors.item_points(visit),
        initial={"note": visit.note, "version": visit.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.score_visit(
                user=request.user,
                visit=visit,
                points=form.points(),
                note=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "评分已保存")
            return redirect(visit)
    return _visit_page(request, visit, form, FindingForm(items=items))


def _visit_page(request: HttpRequest, visit: Any, form: ScoreForm, finding_form: FindingForm) -> HttpResponse:
    by_duty: dict[str, list[Any]] = {}
    for item in services.checklist():
        by_duty.setdefault(item.duty.name, []).append(form[f"points_{item.pk}"])
    return render(
        request,
        "inspection/visit.html",
        {
            "visit": visit,
            "form": form,
            "by_duty": by_duty,
            "finding_form": finding_form,
            "findings": selectors.findings_of(request.user, visit),
            "may_inspect": services.may_inspect(request.user, visit.plan)
            and visit.worker_id != request.user.pk,
        },
    )


@login_required
@require_POST
def add_finding(request: HttpRequest, inspectionvisit_id: int) -> HttpResponse:
    visit = selectors.get_visit(request.user, inspectionvisit_id)
    items = services.checklist()
    form = FindingForm(request.POST, items=items)
    if form.is_valid():
        data = form.cleaned_data
        try:
            finding = services.add_finding(
                user=request.user,
                visit=visit,
                description=data["description"],
                item_id=data["item_id"],
                photos=request.FILES.getlist("photos"),
            )
            if data["requirement"]:
                services.issue_rectification(
                    user=request.user,
                    finding=finding,
                    requirement=data["requirement"],
                    deadline=data["deadline"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "问题已记录" + ("，整改已下达" if data["requirement"] else ""))
            return redirect(visit)
    score_form = ScoreForm(
        items=items, initial_points=selectors.item_points(visit), initial={"note": visit.note}
    )
    return _visit_page(request, visit, score_form, form)


@login_required
@require_POST
def rectify(request: HttpRequest, inspectionfinding_id: int) -> HttpResponse:
    finding = selectors.get_finding(request.user, inspectionfinding_id)
    form = RectifyForm(request.POST)
    if not form.is_valid():
        labels = {"requirement": "整改要求", "deadline": "整改时限"}
        messages.error(
            request,
            "；".join(f"{labels.get(k, k)}：{'；'.join(str(m) for m in v)}" for k, v in form.errors.items()),
        )
        return redirect(finding.visit)
    try:
        rect = services.issue_rectification(
            user=request.user,
            finding=finding,
            requirement=form.cleaned_data["requirement"],
            deadline=form.cleaned_data["deadline"],
        )
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return redirect(finding.visit)
    messages.success(request, "整改已下达")
    return redirect(rect)


@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    state = request.GET.get("state", "")
    overdue = request.GET.get("overdue") == "1"
    try:
        rows = list(selectors.rectifications_for(request.user, node=node, state=state, overdue=overdue)[:300])
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        rows, state = [], ""
    return render(
        request,
        "inspection/rectifications.html",
        {
            "node": node,
            "rows": rows,
            "state": state,
            "overdue": overdue,
            "states": RectificationState.choices,
            "now": timezone.now(),
        },
    )


@login_required
def rectification_detail(request: HttpRequest, rectification_id: int) -> HttpResponse:
    rect = selectors.get_rectification(request.user, rectification_id)
    from gridgov.accounts.roles import Cap
    from gridgov.accounts.scope import can

    return render(
        request,
        "inspection/rectification.html",
        {
            "rect": rect,
            "steps": selectors.steps_of(rect),
            "may_report": rect.state == RectificationState.OPEN
            and can(request.user, Cap.REPORT_EVENT, rect.path),
            "may_review": rect.state == RectificationState.REPORTED
            and services.may_inspect(request.user, rect.finding.visit.plan),
            "overdue": rect.state == RectificationState.OPEN and rect.deadline < timezone.now(),
        },
    )


@login_required
@require_POST
def rectification_report(request: HttpRequest, rectification_id: int) -> HttpResponse:
    rect = selectors.get_rectification(request.user, rectification_id)
    try:
        services.report_rectification(
            user=request.user,
            rectification=rect,
            text=request.POST.get("text", ""),
            photos=request.FILES.getlist("photos"),
        )
        messages.success(request, "整改情况已报告，等待复查")
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect(rect)


@login_required
@require_POST
def rectification_review(request: HttpRequest, rectification_id: int) -> HttpResponse:
    rect = selectors.get_rectification(request.user, rectification_id)
    raw_deadline = request.POST.get("deadline", "")
    try:
        deadline = date.fromisoformat(raw_deadline) if raw_deadline else None
        services.review_rectification(
            user=request.user,
            rectification=rect,
            accept=request.POST.get("accept") == "1",
            reason=request.POST.get("reason", ""),
            deadline=deadline,
        )
        messages.success(request, "已复查")
    except ValueError:
        messages.error(request, "新的整改时限格式为 YYYY-MM-DD")
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect(rect)


@login_required
def photo(request: HttpRequest, inspectionphoto_id: int) -> FileResponse:
    """A finding's or report's photo, to those who may see its inspection (never from /media/)."""
    found = selectors.get_photo(request.user, inspectionphoto_id)
    return serve_upload(found.image, found.content_type)


def _period(request: HttpRequest) -> tuple[date | None, date | None]:
    try:
        start = date.fromisoformat(request.GET["start"]) if request.GET.get("start") else None
        end = date.fromisoformat(request.GET["end"]) if request.GET.get("end") else None
    except ValueError:
        raise ValidationError({"start": "日期格式为 YYYY-MM-DD"}) from None
    return start, end


@login_required
def scores(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    grids: list[Any] = []
    workers: list[Any] = []
    start = end = None
    try:
        start, end = _period(request)
        _f, _a, start, end = selectors.period_bounds(start, end)
        if node is not None:
            grids = selectors.grid_scores(request.user, node, start, end)
            workers = selectors.worker_scores(request.user, node, start, end)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return render(
        request,
        "inspection/scores.html",
        {"node": node, "grids": grids, "workers": workers, "start": start, "end": end},
    )


@login_required
def scores_xlsx(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    if node is None:
        raise Http404("not found")
    try:
        start, end = _period(request)
        _f, _a, start, end = selectors.period_bounds(start, end)
    except ValidationError as exc:
        return HttpResponse(_error_text(exc), status=400, content_type="text/plain; charset=utf-8")
    content = excel.scores_bytes(
        node.name,
        start,
        end,
        selectors.grid_scores(request.user, node, start, end),
        selectors.worker_scores(request.user, node, start, end),
    )
    response = HttpResponse(content, content_type=excel.XLSX_MIME)
    response["Content-Disposition"] = (
        f'attachment; filename="inspection-scores-{node.code}-{start}-{end}.xlsx"'
    )
    response["Cache-Control"] = "no-store"
    return response
