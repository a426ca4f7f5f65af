"""Dispute pages (mobile first): the list, reporting, one dispute with its team, visits, outcome
and risk, and the early-warning list. Thin: the services and selectors do the work."""

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, get_visible_or_404, scope_of
from gridgov.core.errors import ConflictError
from gridgov.core.forms import add_service_errors
from gridgov.core.paging import page_param
from gridgov.disputes import exports, follow_ups, selectors, services, team
from gridgov.disputes.forms import (
    DisputeReportForm,
    FollowUpPlanForm,
    OutcomeForm,
    RiskForm,
    TeamForm,
    TeamRemoveForm,
    TeamRoleForm,
    VisitForm,
)
from gridgov.disputes.models import DisputeType, FollowUp, Outcome, RiskLevel, TeamRole
from gridgov.events.models import Category
from gridgov.events.selectors import area_choices
from gridgov.hierarchy.models import Level, Node

PAGE_SIZE = 30
MAX_GRID_CHOICES = 300


def _messages_from(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    elif isinstance(exc, ConflictError):
        messages.error(request, exc.message)
    else:
        messages.error(request, str(exc) or _("没有权限"))


def _date_param(request: HttpRequest, name: str, errors: dict[str, str]) -> datetime.date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors[name] = _("日期格式应为 YYYY-MM-DD")
        return None


def _list_filters(request: HttpRequest) -> tuple[selectors.DisputeFilter, dict[str, str]]:
    """The list's filters from the query (the overview's links use the same names); a bad value
    is left out and named in the errors."""
    errors: dict[str, str] = {}
    risks = tuple(r for r in request.GET.get("risk", "").split(",") if r in RiskLevel.values)
    node_id: int | None = None
    if request.GET.get("node"):
        try:
            node_id = int(request.GET["node"])
        except ValueError:
            errors["node"] = _("区域编号无效")
    first, last = _date_param(request, "from", errors), _date_param(request, "to", errors)
    if first and last and last < first:
        errors["to"] = _("结束日期不能早于开始日期")
        last = None
    state = request.GET.get("state", "open")
    filters = selectors.DisputeFilter(
        state=state if state in ("open", "done", "all") else "open",
        risks=risks,
        dispute_type=request.GET.get("type", "") if request.GET.get("type", "") in DisputeType.values else "",
        category=request.GET.get("category", "")[:32],
        node_id=node_id,
        date_from=first,
        date_to=last,
        date_field="outcome" if request.GET.get("by") == "outcome" else "created",
        outcome=request.GET.get("outcome", "") if request.GET.get("outcome", "") in Outcome.values else "",
        follow_up_due=request.GET.get("follow_up") == "due",
        overdue=request.GET.get("overdue") == "1",
    )
    return filters, errors


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    filters, errors = _list_filters(request)
    queryset = selectors.filter_disputes(selectors.disputes_for(request.user), filters, request.user)
    page = page_param(request.GET.get("page", "1"), PAGE_SIZE)
    rows = list(
        selectors.with_follow_ups(selectors.ordered(queryset)).select_related(
            "event", "event__grid", "event__category"
        )[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1]
    )
    query = request.GET.copy()
    query.pop("page", None)
    area = None
    if filters.node_id is not None:
        area = get_visible_or_404(Node.objects.all(), request.user, pk=filters.node_id)
    return render(
        request,
        "disputes/list.html",
        {
            "disputes": rows[:PAGE_SIZE],
            "has_next": len(rows) > PAGE_SIZE,
            "page": page,
            "filters": filters,
            "risk": ",".join(filters.risks),
            "dispute_type": filters.dispute_type,
            "state": filters.state,
            "risks": RiskLevel.choices,
            "types": DisputeType.choices,
            "areas": area_choices(request.user, filters.node_id),
            "area": area,
            "errors": errors,
            "query": query.urlencode(),
            "can_report": not scope_of(request.user, Cap.REPORT_EVENT).empty,
        },
        status=400 if errors else 200,
    )


@login_required
def dispute_export(request: HttpRequest) -> HttpResponse:
    """The list with the same filters as an Excel file (masked as the viewer sees it, audited)."""
    filters, errors = _list_filters(request)
    if errors:
        return HttpResponse("；".join(errors.values()), status=400, content_type="text/plain; charset=utf-8")
    try:
        content, _count = exports.export_disputes(request.user, filters)
    except ValidationError as exc:
        return HttpResponse("；".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="disputes-{timezone.localdate():%Y%m%d}.xlsx"'
    return response


def _report_form(request: HttpRequest, data: Any = None) -> DisputeReportForm:
    categories = [
        (c.code, c.name) for c in Category.objects.filter(is_dispute=True, active=True).order_by("code")
    ]
    grids = Node.objects.filter(level=Level.GRID).restrict(request.user, Cap.REPORT_EVENT).order_by("path")
    choices = [(str(g.pk), g.name) for g in grids[: MAX_GRID_CHOICES + 1]]
    if len(choices) > MAX_GRID_CHOICES:
        choices = []  # too many to list: the phone's location picks the grid
    return DisputeReportForm(data, categories=categories, grids=choices)


@login_required
def dispute_report(request: HttpRequest) -> HttpResponse:
    if scope_of(request.user, Cap.REPORT_EVENT).empty:
        raise PermissionDenied(_("您没有上报事件的权限"))
    form = _report_form(request, request.POST or None)
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grid = None
        if data["grid"]:
            grid = get_visible_or_404(
                Node.objects.filter(level=Level.GRID), request.user, Cap.REPORT_EVENT, pk=int(data["grid"])
            )
        try:
            dispute, _created = services.report_dispute(
                user=request.user,
                category=data["category"],
                description=data["description"],
                dispute_type=data["dispute_type"],
                parties=form.parties(),
                lng=data["lng"],
                lat=data["lat"],
                grid=grid,
                address=data["address"],
                idempotency_key=f"page:{key}",
                channel="page",
                body_for_idempotency={k: str(v) for k, v in sorted(data.items())},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            _messages_from(request, exc)
        else:
            messages.success(
                request,
                _("已上报矛盾纠纷 %(number)s，风险等级：%(risk)s")
                % {"number": dispute.event.number, "risk": dispute.get_risk_level_display()},
            )
            return redirect("disputes:detail", dispute_id=dispute.pk)
    return render(request, "disputes/report.html", {"form": form, "idempotency_key": key})


@login_required
def dispute_detail(request: HttpRequest, dispute_id: int, reveal: bool = False) -> HttpResponse:
    dispute = selectors.get_dispute_or_404(request.user, dispute_id)
    can_work = selectors.user_can_work_on(request.user, dispute)
    members = selectors.team_of(dispute)
    context: dict[str, Any] = {
        "dispute": dispute,
        "event": dispute.event,
        "parties": selectors.parties_of(dispute, request.user, reveal=reveal),
        "may_reveal": False,
        "team": members,
        "visits": selectors.visits_of(dispute),
        "timeline": selectors.timeline_of(dispute),
        "can_work": can_work,
        "follow_ups": selectors.follow_ups_of(dispute),
    }
    context["may_reveal"] = any(p.phone_masked for p in context["parties"]) and can(
        request.user, Cap.SEE_PII, dispute.path
    )
    if can_work:
        candidates = [
            (
                str(u.pk),
                ("我自己 · " if u.pk == request.user.pk else "")
                + f"{TeamRole(roles[0][0]).label} · {u.full_name or u.username}"
                + (f"（{roles[0][1].name}）" if roles[0][1] else ""),
            )
            for u, roles in team.team_candidates(dispute)
        ]
        context["team_form"] = TeamForm(candidates=candidates) if candidates and not dispute.outcome else None
        if not dispute.outcome:
            # Each member's own choices: the roles they may take on this dispute.
            for m in members:
                m.role_form = TeamRoleForm(
                    initial={"role": m.role},
                    roles=[(r, str(TeamRole(r).label)) for r, _org in team.eligible_roles(m.user, dispute)],
                )
        context["remove_form"] = TeamRemoveForm()
        context["visit_form"] = (
            VisitForm(
                team=[
                    (str(m.user_id), f"{m.get_role_display()} · {m.user.full_name or m.user.username}")
                    for m in members
                ]
            )
            if members
            else None
        )
        context["outcome_form"] = OutcomeForm() if not dispute.outcome else None
        context["risk_form"] = RiskForm(initial={"level": dispute.risk_override})
        context["plan_form"] = FollowUpPlanForm()
    return render(request, "disputes/detail.html", context)


def _post(request: HttpRequest, dispute_id: int) -> Any:
    return selectors.get_dispute_or_404(request.user, dispute_id)


@login_required
@require_POST
def team_add(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    member_id = request.POST.get("member") or ""
    member = get_object_or_404(User, pk=int(member_id) if member_id.isdigit() else 0)
    try:
        team.add_team_member(dispute, user=request.user, member=member, role=request.POST.get("role") or "")
        messages.success(
            request, _("%(name)s 已加入调解团队") % {"name": member.full_name or member.username}
        )
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _messages_from(request, exc)
    return redirect("disputes:detail", dispute_id=dispute.pk)


@login_required
@require_POST
def team_role(request: HttpRequest, dispute_id: int, user_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    member = get_object_or_404(User, pk=user_id)
    try:
        team.change_team_role(dispute, user=request.user, member=member, role=request.POST.get("role") or "")
        messages.success(request, _("团队角色已调整"))
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _messages_from(request, exc)
    return redirect("disputes:detail", dispute_id=dispute.pk)


@login_required
@require_POST
def team_remove(request: HttpRequest, dispute_id: int, user_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    member = get_object_or_404(User, pk=user_id)
    try:
        team.remove_team_member(
            dispute, user=request.user, member=member, reason=request.POST.get("reason") or ""
        )
        messages.success(
            request, _("%(name)s 已退出调解团队") % {"name": member.full_name or member.username}
        )
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _messages_from(request, exc)
    return redirect("disputes:detail", dispute_id=dispute.pk)


@login_required
@require_POST
def visit_add(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    team = [(str(m.user_id), m.user.username) for m in selectors.team_of(dispute)]
    form = VisitForm(request.POST, team=team)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("disputes:detail", dispute_id=dispute.pk)
    data = form.cleaned_data
    try:
        services.record_visit(
            dispute,
            user=request.user,
            visited_at=data["visited_at"],
            visitor_ids=[int(v) for v in data["visitors"]],
            summary=data["summary"],
            kind=data["kind"],
            others_present=data["others_present"],
        )
        messages.success(request, _("走访记录已保存"))
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _messages_from(request, exc)
    return redirect("disputes:detail", dispute_id=dispute.pk)


@login_required
@require_POST
def outcome_set(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.record_outcome(
                dispute,
                user=request.user,
                outcome=form.cleaned_data["outcome"],
                terms=form.cleaned_data["terms"],
                follow_up_days=form.cleaned_data["follow_up_days"],
            )
            messages.success(request, _("化解结果已登记"))
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            _messages_from(request, exc)
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("disputes:detail", dispute_id=dispute.pk)


@login_required
@require_POST
def risk_set(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    form = RiskForm(request.POST)
    if form.is_valid():
        try:
            services.override_risk(
                dispute,
                user=request.user,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("风险等级已调整"))
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            _messages_from(request, exc)
    else:
        messages.error(request, _("请写明调整理由"))
    return redirect("disputes:detail", dispute_id=dispute.pk)


def _follow_up_section(request: HttpRequest, dispute: Any) -> HttpResponse:
    """The plan as a fragment for htmx (the page swaps it in place), or back to the page."""
    if request.headers.get("HX-Request") != "true":
        return redirect("disputes:detail", dispute_id=dispute.pk)
    dispute = selectors.get_dispute_or_404(request.user, dispute.pk)
    context = {
        "dispute": dispute,
        "can_work": selectors.user_can_work_on(request.user, dispute),
        "follow_ups": selectors.follow_ups_of(dispute),
        "plan_form": FollowUpPlanForm(),
        "htmx": True,
    }
    return render(request, "disputes/_follow_ups.html", context)


@login_required
@require_POST
def follow_up_plan(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    form = FollowUpPlanForm(request.POST)
    if form.is_valid():
        try:
            follow_ups.plan_follow_ups(
                dispute, user=request.user, dates=form.dates(), purpose=form.cleaned_data["purpose"]
            )
            messages.success(request, _("回访计划已更新"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            _messages_from(request, exc)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))
    return _follow_up_section(request, dispute)


@login_required
@require_POST
def follow_up_done(request: HttpRequest, dispute_id: int, item_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    item = get_object_or_404(FollowUp, pk=item_id, dispute_id=dispute.pk)
    try:
        follow_ups.complete_follow_up(
            dispute, user=request.user, item_id=item.pk, note=request.POST.get("note") or ""
        )
        messages.success(request, _("回访已登记"))
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _messages_from(request, exc)
    return _follow_up_section(request, dispute)


@login_required
@require_POST
def follow_up_cancel(request: HttpRequest, dispute_id: int, item_id: int) -> HttpResponse:
    dispute = _post(request, dispute_id)
    item = get_object_or_404(FollowUp, pk=item_id, dispute_id=dispute.pk)
    try:
        follow_ups.cancel_follow_up(
            dispute, user=request.user, item_id=item.pk, reason=request.POST.get("reason") or ""
        )
        messages.success(request, _("已取消该次回访"))
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        _messages_from(request, exc)
    return _follow_up_section(request, dispute)


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    """The early-warning list of the user's scope, or of one node inside it."""
    under = None
    node_id = request.GET.get("node")
    if node_id and node_id.isdigit():
        under = get_visible_or_404(Node.objects.all(), request.user, pk=int(node_id))
    items = selectors.warnings_for(request.user, under_path=under.path if under else "")
    return render(
        request,
        "disputes/warnings.html",
        {"items": items, "under": under, "flag_labels": selectors.FLAG_LABELS},
    )


@login_required
@require_POST
def parties_reveal(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """The "显示电话" button: the parties' full phones, for users who may see them; audited."""
    return dispute_detail(request, dispute_id, reveal=True)
