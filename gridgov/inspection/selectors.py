"""Reads of supervision and inspection through the scoping door: plans, a grid's inspection,
findings, rectifications (the overdue ones first), photos, and the scores per grid and per
worker for a period."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Max, Min, Q, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.care.selectors import own_grid_ids
from gridgov.hierarchy.models import Node
from gridgov.inspection.models import (
    ChecklistItem,
    InspectionFinding,
    InspectionPhoto,
    InspectionPlan,
    InspectionVisit,
    Rectification,
    RectificationState,
    VisitState,
)


def checklist_by_duty() -> list[tuple[str, list[ChecklistItem]]]:
    """The active checklist grouped by duty, in the duties' order."""
    groups: dict[str, list[ChecklistItem]] = {}
    for item in ChecklistItem.objects.filter(active=True, duty__active=True).select_related("duty"):
        groups.setdefault(item.duty.name, []).append(item)
    return list(groups.items())


def plans_for(user: Any, node: Node | None = None) -> QuerySet[InspectionPlan]:
    found = InspectionPlan.objects.restrict(user).select_related("node", "created_by")
    if node is not None:
        found = found.filter(Q(path__startswith=node.path) | Q(path__in=_above(node)))
    return found.annotate(
        grids=Count("visits", distinct=True),
        done=Count("visits", filter=Q(visits__state=VisitState.DONE), distinct=True),
    ).order_by("-starts_on", "-pk")


def _above(node: Node) -> list[str]:
    from gridgov.hierarchy import paths

    return list(paths.ancestors(node.path, include_self=False))


def get_plan(user: Any, plan_id: int) -> InspectionPlan:
    return get_visible_or_404(
        InspectionPlan.objects.select_related("node", "created_by"), user, Cap.VIEW, pk=plan_id
    )


def visits_of(user: Any, plan: InspectionPlan) -> QuerySet[InspectionVisit]:
    return (
        InspectionVisit.objects.restrict(user)
        .filter(plan=plan)
        .select_related("grid", "worker", "inspected_by")
        .annotate(findings_count=Count("findings"))
        .order_by("path")
    )


def get_visit(user: Any, visit_id: int) -> InspectionVisit:
    return get_visible_or_404(
        InspectionVisit.objects.select_related("plan", "grid", "worker", "inspected_by"),
        user,
        Cap.VIEW,
        pk=visit_id,
    )


def item_points(visit: InspectionVisit) -> dict[int, Decimal]:
    return dict(visit.item_scores.values_list("item_id", "points"))


def findings_of(user: Any, visit: InspectionVisit) -> list[InspectionFinding]:
    return list(
        InspectionFinding.objects.restrict(user)
        .filter(visit=visit)
        .select_related("item", "rectification")
        .prefetch_related("photos")
    )


def get_finding(user: Any, finding_id: int) -> InspectionFinding:
    return get_visible_or_404(
        InspectionFinding.objects.select_related("visit", "visit__plan", "visit__grid", "item"),
        user,
        Cap.VIEW,
        pk=finding_id,
    )


def get_rectification(user: Any, rectification_id: int) -> Rectification:
    return get_visible_or_404(
        Rectification.objects.select_related(
            "finding",
            "finding__item",
            "finding__visit",
            "finding__visit__plan",
            "grid",
            "worker",
            "issued_by",
        ),
        user,
        Cap.VIEW,
        pk=rectification_id,
    )


def steps_of(rectification: Rectification) -> list[Any]:
    """A rectification's history with its photos (read with the rectification already let in)."""
    return list(rectification.steps.select_related("by").prefetch_related("photos"))


def get_photo(user: Any, photo_id: int) -> InspectionPhoto:
    return get_visible_or_404(InspectionPhoto.objects.all(), user, Cap.VIEW, pk=photo_id)


def overdue_q(now: datetime | None = None) -> Q:
    """Rectifications past their deadline and not reported back."""
    return Q(state=RectificationState.OPEN, deadline__lt=now or timezone.now())


def rectifications_for(
    user: Any, *, node: Node | None = None, state: str = "", overdue: bool = False, plan_id: int | None = None
) -> QuerySet[Rectification]:
    if state and state not in RectificationState.values:
        raise ValidationError({"state": f"未知的状态：{state}"})
    found = Rectification.objects.restrict(user).select_related(
        "grid", "worker", "finding", "finding__visit__plan"
    )
    if node is not None:
        found = found.filter(path__startswith=node.path)
    if state:
        found = found.filter(state=state)
    if overdue:
        found = found.filter(overdue_q())
    if plan_id is not None:
        found = found.filter(finding__visit__plan_id=plan_id)
    return found.order_by("state", "deadline", "pk")


def my_rectifications(user: Any) -> QuerySet[Rectification]:
    """The open rectifications of the user's own grids (the worker's list)."""
    return (
        Rectification.objects.restrict(user)
        .filter(grid_id__in=own_grid_ids(user), state=RectificationState.OPEN)
        .select_related("finding", "finding__item", "finding__visit__plan", "grid")
        .order_by("deadline", "pk")
    )


# --- scores for a period -------------------------------------------------------------------------


def period_bounds(start: date | None, end: date | None) -> tuple[datetime, datetime, date, date]:
    """The instants of a period of days (the current year when not given), end day included."""
    today = timezone.localdate()
    start = start or date(today.year, 1, 1)
    end = end or date(today.year, 12, 31)
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    if (end - start).days > 3 * 366:
        raise ValidationError({"end": "统计期最长三年"})
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        start,
        end,
    )


@dataclass
class ScoreRow:
    key: int | None
    name: str
    place: str
    inspections: int
    mean: Decimal | None
    lowest: Decimal | None
    highest: Decimal | None
    open_rectifications: int = 0
    overdue: int = 0


def _done(user: Any, node: Node, start: date | None, end: date | None) -> QuerySet[InspectionVisit]:
    first, after, _s, _e = period_bounds(start, end)
    return InspectionVisit.objects.restrict(user).filter(
        path__startswith=node.path, state=VisitState.DONE, inspected_at__gte=first, inspected_at__lt=after
    )


def _rounded(value: Any) -> Decimal | None:
    return Decimal(value).quantize(Decimal("0.1")) if value is not None else None


def grid_scores(user: Any, node: Node, start: date | None = None, end: date | None = None) -> list[ScoreRow]:
    """Per grid under `node`: inspections in the period, mean, lowest and highest score, and its
    open and overdue rectifications (one GROUP BY each)."""
    rows = (
        _done(user, node, start, end)
        .values("grid_id", "grid__name", "grid__parent__name")
        .annotate(n=Count("pk"), mean=Avg("score"), low=Min("score"), high=Max("score"))
    )
    found = {
        r["grid_id"]: ScoreRow(
            r["grid_id"],
            r["grid__name"],
            r["grid__parent__name"] or "",
            r["n"],
            _rounded(r["mean"]),
            r["low"],
            r["high"],
        )
        for r in rows
    }
    open_rows = (
        Rectification.objects.restrict(user)
        .filter(path__startswith=node.path, grid_id__in=list(found), state=RectificationState.OPEN)
        .values("grid_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q()))
    )
    for r in open_rows:
        found[r["grid_id"]].open_rectifications, found[r["grid_id"]].overdue = r["n"], r["late"]
    return sorted(found.values(), key=lambda s: (s.mean is None, -(s.mean or 0), s.place, s.name))


def worker_scores(
    user: Any, node: Node, start: date | None = None, end: date | None = None
) -> list[ScoreRow]:
    """Per full-time worker (the grid's worker when inspected): inspections and scores."""
    rows = (
        _done(user, node, start, end)
        .values("worker_id", "worker__full_name", "worker__username", "grid__name")
        .annotate(n=Count("pk"), mean=Avg("score"), low=Min("score"), high=Max("score"))
    )
    found: dict[Any, ScoreRow] = {}
    for r in rows:
        name = r["worker__full_name"] or r["worker__username"] or "（无专职网格员）"
        key = r["worker_id"]
        if key in found:  # a worker inspected on two grids in the period: weighted together
            row = found[key]
            total = (row.mean or 0) * row.inspections + Decimal(r["mean"]) * r["n"]
            row.inspections += r["n"]
            row.mean = _rounded(total / row.inspections)
            row.lowest, row.highest = (
                min(row.lowest or r["low"], r["low"]),
                max(row.highest or r["high"], r["high"]),
            )
            row.place += f"、{r['grid__name']}"
            continue
        found[key] = ScoreRow(key, name, r["grid__name"], r["n"], _rounded(r["mean"]), r["low"], r["high"])
    return sorted(found.values(), key=lambda s: (s.mean is None, -(s.mean or 0), s.name))


def overdue_count(user: Any, node: Node | None = None) -> int:
    found = Rectification.objects.restrict(user).filter(overdue_q())
    if node is not None:
        found = found.filter(path__startswith=node.path)
    return found.count()


# --- what the plan form offers -------------------------------------------------------------------


def plan_nodes(user: Any) -> list[Node]:
    """The townships and counties where the user may make a plan."""
    from gridgov.hierarchy.models import Level

    return list(
        Node.objects.restrict(user, Cap.HANDLE_EVENT)
        .filter(level__in=[Level.COUNTY, Level.TOWNSHIP])
        .order_by("path")[:500]
    )


def grids_under(user: Any, node: Node) -> list[Node]:
    from gridgov.hierarchy.models import Level

    return list(
        Node.objects.restrict(user)
        .filter(path__startswith=node.path, level=Level.GRID)
        .select_related("parent")
        .order_by("path")[:2000]
    )


INSPECTOR_ROLES = ("city_admin", "county_admin", "township_admin", "community_admin", "grid_instructor")


def inspector_choices(user: Any, node: Node) -> list[Any]:
    """Officials who may be named inspectors of a plan over `node`: the maker's visible staff with
    an official's role at or under the area, or above it."""
    from gridgov.accounts.models import User
    from gridgov.hierarchy import paths

    above = list(paths.ancestors(node.path, include_self=False))
    return list(
        User.objects.restrict(user)
        .filter(is_active=True, assignments__role__in=INSPECTOR_ROLES)
        .filter(Q(assignments__node__path__startswith=node.path) | Q(assignments__node__path__in=above))
        .distinct()
        .order_by("username")[:300]
    )


def start_node(user: Any) -> Node | None:
    """Where an official's pages open: the top of what they see."""
    from gridgov.accounts.scope import scope_of

    scope = scope_of(user, Cap.VIEW)
    if scope.everything:
        return Node.objects.filter(parent__isnull=True).order_by("path").first()
    if not scope.roots:
        return None
    return Node.objects.filter(path=scope.roots[0]).first()
