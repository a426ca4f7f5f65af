"""Reads of the tasks app through the scoping door: the duties, a worker's tasks, the admission
queue, tasks of an area, and the burden per worker and month (by duty, by source, refused)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.care.selectors import own_grid_ids
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Node
from gridgov.tasks.models import Admission, AssignmentState, Duty, Source, Task, TaskAssignment


def duties() -> QuerySet[Duty]:
    return Duty.objects.filter(active=True)


def my_tasks(user: Any, *, include_done_since: datetime | None = None) -> QuerySet[TaskAssignment]:
    """The tasks of the user's own grids that reached them (never held or refused ones)."""
    states = [AssignmentState.OPEN]
    found = TaskAssignment.objects.restrict(user).filter(grid_id__in=own_grid_ids(user))
    if include_done_since is not None:
        from django.db.models import Q

        found = found.filter(
            Q(state=AssignmentState.OPEN)
            | Q(state=AssignmentState.DONE, completed_at__gte=include_done_since)
        )
    else:
        found = found.filter(state__in=states)
    return found.select_related("task", "task__duty").order_by("state", "task__deadline", "pk")


def get_assignment(user: Any, assignment_id: int) -> TaskAssignment:
    return get_visible_or_404(
        TaskAssignment.objects.select_related("task", "task__duty", "grid"), user, Cap.VIEW, pk=assignment_id
    )


def get_task(user: Any, task_id: int) -> Task:
    return get_visible_or_404(
        Task.objects.select_related("duty", "node", "issued_by", "decided_by"), user, Cap.VIEW, pk=task_id
    )


def tasks_of(user: Any, node: Node | None = None) -> QuerySet[Task]:
    found = Task.objects.restrict(user).select_related("duty", "node", "issued_by")
    if node is not None:
        found = found.filter(path__startswith=node.path)
    return found.order_by("-created_at", "-pk")


def _local_day(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def grid_tasks(
    user: Any, node: Node, *, start: date | None = None, end: date | None = None, state: str = ""
) -> QuerySet[TaskAssignment]:
    """The tasks as the grids under `node` have them — one row per grid a task reached or was
    held for, what the overview counts (下达任务, 准入拒绝) — given between two local dates
    (inclusive), in one state (e.g. refused at admission), newest first."""
    found = TaskAssignment.objects.restrict(user).filter(path__under=node.path)
    if start is not None:
        found = found.filter(created_at__gte=_local_day(start))
    if end is not None:
        found = found.filter(created_at__lt=_local_day(end + timedelta(days=1)))
    if state in AssignmentState.values:
        found = found.filter(state=state)
    return found.select_related("task", "task__duty", "grid", "worker").order_by("-created_at", "-pk")


def admission_queue(user: Any) -> list[Task]:
    """Tasks waiting for the admission review that this user decides (county administrators)."""
    from gridgov.tasks.services import admission_path

    pending = Task.objects.restrict(user, Cap.HANDLE_EVENT).filter(admission=Admission.PENDING)
    scope = scope_of(user, Cap.HANDLE_EVENT)
    return [
        t
        for t in pending.select_related("node", "issued_by").order_by("created_at")
        if scope.covers(admission_path(t))
    ]


def assignment_counts(task: Task) -> dict[str, int]:
    rows = TaskAssignment.objects.filter(task=task).values("state").annotate(n=Count("pk"))
    return {r["state"]: r["n"] for r in rows}


@dataclass
class Burden:
    worker_id: int | None
    worker: str
    grid: str
    total: int = 0
    done: int = 0
    refused: int = 0
    by_duty: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)

    @property
    def refused_share(self) -> float:
        return self.refused / self.total if self.total else 0.0


def month_bounds(month: str | None) -> tuple[datetime, datetime]:
    """The first instant of the month "YYYY-MM" (this month when empty) and of the next."""
    today = timezone.localdate()
    if month:
        try:
            year, number = (int(p) for p in month.split("-"))
            first = date(year, number, 1)
        except ValueError:
            from django.core.exceptions import ValidationError

            raise ValidationError({"month": "月份格式为 YYYY-MM"}) from None
    else:
        first = today.replace(day=1)
    after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, datetime.min.time(), tzinfo=zone),
        datetime.combine(after, datetime.min.time(), tzinfo=zone),
    )


def burden(user: Any, node: Node, month: str | None = None) -> list[Burden]:
    """Per grid worker under `node`, the tasks given to them in the month: by duty (职责外 for
    tasks outside the ten), by source, done, and how many were refused at admission."""
    start, end = month_bounds(month)
    rows = (
        TaskAssignment.objects.restrict(user)
        .filter(path__startswith=node.path, created_at__gte=start, created_at__lt=end)
        .values(
            "worker_id",
            "worker__full_name",
            "worker__username",
            "grid__name",
            "state",
            "task__duty__name",
            "task__source",
        )
        .annotate(n=Count("pk"))
    )
    sources = dict(Source.choices)
    found: dict[tuple[Any, str], Burden] = {}
    for r in rows:
        key = (r["worker_id"], r["grid__name"])
        item = found.get(key)
        if item is None:
            name = r["worker__full_name"] or r["worker__username"] or "（无专职网格员）"
            item = found[key] = Burden(r["worker_id"], name, r["grid__name"])
        n = r["n"]
        item.total += n
        if r["state"] == AssignmentState.DONE:
            item.done += n
        if r["state"] == AssignmentState.REFUSED:
            item.refused += n
        duty = r["task__duty__name"] or "职责外"
        item.by_duty[duty] = item.by_duty.get(duty, 0) + n
        source = str(sources.get(r["task__source"], r["task__source"]))
        item.by_source[source] = item.by_source.get(source, 0) + n
    return sorted(found.values(), key=lambda b: (-b.total, b.grid))


def county_of(task: Task) -> str:
    return paths.at_level(task.path, "county")
