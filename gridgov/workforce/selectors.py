"""Reads of worker files, grade history, promotion runs and the turnover report; every one
through the scoping door. ID numbers and phones leave this module masked only."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.assessment.models import Assessment
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce import pii
from gridgov.workforce.models import PromotionLine, PromotionRun, WorkerFile, WorkerStatus


def workers_for(
    user: User, *, node: Node | None = None, status: str = "", text: str = ""
) -> QuerySet[WorkerFile]:
    workers = WorkerFile.objects.restrict(user, Cap.MANAGE_STAFF).select_related("grid")
    if node is not None:
        workers = workers.filter(path__under=node.path)
    if status:
        workers = workers.filter(status=status)
    if text:
        workers = workers.filter(Q(name__contains=text) | Q(grid__name__contains=text))
    return workers.order_by("path", "pk")


def worker_detail(user: User, pk: int) -> WorkerFile:
    return get_visible_or_404(WorkerFile.objects.select_related("grid", "user"), user, pk=pk)


def own_file(user: User) -> WorkerFile | None:
    return WorkerFile.objects.restrict(user).select_related("grid").filter(user=user).first()


def masked(worker: WorkerFile) -> dict[str, str]:
    """The file's ID number and phone as every page and answer shows them."""
    return {"id_number": pii.masked_id_number(worker), "phone": pii.masked_phone(worker)}


def file_of(worker: WorkerFile) -> dict[str, Any]:
    """Everything a file page shows: grade history, assessments, rewards and sanctions, and this
    year's training hours against the county's minimum (gridgov.academy)."""
    from gridgov.academy.selectors import worker_hours

    return {
        **worker_hours(worker, timezone.localdate().year),
        "grades": list(worker.grade_changes.order_by("year", "pk")),
        "assessments": list(Assessment.objects.filter(worker=worker).order_by("-year")),
        "records": list(worker.records.all()),
        "tenure_years": tenure_years(worker.hire_date, worker.departed_on),
        **masked(worker),
    }


def tenure_years(hired: datetime.date, until: datetime.date | None = None) -> float:
    end = until or timezone.localdate()
    return round(max((end - hired).days, 0) / 365.25, 1)


def runs_for(user: User) -> QuerySet[PromotionRun]:
    return PromotionRun.objects.restrict(user).select_related("county").order_by("-assessment_year", "path")


def run_detail(user: User, pk: int) -> PromotionRun:
    return get_visible_or_404(PromotionRun.objects.select_related("county"), user, pk=pk)


def run_lines(run: PromotionRun, *, moved_only: bool = False) -> QuerySet[PromotionLine]:
    lines = run.lines.select_related("worker", "worker__grid").order_by("path", "pk")
    return lines.filter(step__gt=0) if moved_only else lines


def top_node(user: User) -> Node | None:
    """The highest node where the user manages staff (their workforce page's starting point)."""
    roots = scope_of(user, Cap.MANAGE_STAFF)
    nodes = Node.objects.restrict(user, Cap.MANAGE_STAFF)
    if roots.everything:
        return nodes.filter(parent__isnull=True).first()
    return nodes.filter(path__in=roots.roots).order_by("path").first()


def counties_for(user: User) -> list[Node]:
    """Counties whose workforce the user manages (a county or the city official)."""
    scope = scope_of(user, Cap.MANAGE_STAFF)
    counties = Node.objects.filter(level=Level.COUNTY).order_by("path")
    return [c for c in counties if scope.covers(c.path)]


@dataclass
class TurnoverRow:
    node: Node
    active: int = 0
    hired: int = 0
    departed: int = 0
    tenure_total: float = 0.0

    @property
    def turnover_rate(self) -> float:
        """Departures over the average headcount of the year (start and end)."""
        start = self.active + self.departed - self.hired
        average = (start + self.active) / 2
        return round(100 * self.departed / average, 1) if average else 0.0

    @property
    def average_tenure(self) -> float:
        return round(self.tenure_total / self.active, 1) if self.active else 0.0


def turnover(user: User, node: Node, year: int) -> list[TurnoverRow]:
    """Per child of `node` (and the node's total, last): active workers at the end of `year`,
    hires and departures in it, the turnover rate and the average tenure of those active."""
    children = list(
        Node.objects.restrict(user).filter(parent=node).exclude(level=Level.BUILDING).order_by("path")
    )
    rows = {child.path: TurnoverRow(child) for child in children}
    total = TurnoverRow(node)
    end = datetime.date(year, 12, 31)
    child_end = paths.PATH_END.get(children[0].level) if children else None
    workers = (
        workers_for(user, node=node)
        .filter(hire_date__lte=end)
        .values_list("path", "status", "hire_date", "departed_on")
    )
    for path, status, hired, departed in workers:
        targets = [total]
        if child_end is not None and path[:child_end] in rows:
            targets.append(rows[path[:child_end]])
        left = status == WorkerStatus.DEPARTED and departed is not None and departed <= end
        for row in targets:
            if hired.year == year:
                row.hired += 1
            if left and departed is not None and departed.year == year:
                row.departed += 1
            if not left:
                row.active += 1
                row.tenure_total += tenure_years(hired, end)
    return [*rows.values(), total]


def workers_without_file(user: User) -> list[tuple[User, Node]]:
    """Full-time grid workers on grids where the user manages staff who have no file yet, with
    their grid (the choices of the page that opens a file)."""
    from gridgov.accounts.models import RoleAssignment
    from gridgov.accounts.roles import Role

    scope = scope_of(user, Cap.MANAGE_STAFF)
    rows = (
        RoleAssignment.objects.filter(
            scope.q("node__path"), role=Role.GRID_WORKER, user__is_active=True, user__worker_file__isnull=True
        )
        .select_related("user", "node")
        .order_by("node__path", "user__username")
    )
    return [(row.user, row.node) for row in rows[:500]]
