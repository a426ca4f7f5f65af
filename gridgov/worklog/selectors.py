"""Reads of the work log and the household load, through the scoping door.

A day's log is assembled from the day's records the reader may see: the worker's patrols and
check-ins, home visits, reported events, completed tasks, screening answers, and his note. The
household load counts active households per grid against the target of about 300 per grid (one
full-time worker each) and names the grids that need splitting.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.apps import apps
from django.db.models import Count
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import can, restrict, scope_of
from gridgov.hierarchy.models import Level, Node
from gridgov.hierarchy.paths import CODE_LENGTH, LEVEL_ORDER
from gridgov.registry.choices import HouseholdStatus
from gridgov.registry.models import Household
from gridgov.worklog.models import WorkLogNote

TARGET_HOUSEHOLDS = 300
# A grid above this many households needs splitting; below LOW it may be merged.
SPLIT_ABOVE = 360
LOW = 150


@dataclass
class Entry:
    at: datetime
    kind: str
    kind_name: str
    text: str


def _day_range(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start, start + timedelta(days=1)


def worker_grids(worker: User) -> list[Node]:
    return list(
        Node.objects.filter(
            assignments__user=worker,
            assignments__role__in=[Role.GRID_WORKER, Role.PART_TIME_WORKER],
            level=Level.GRID,
        ).distinct()
    )


def may_read(viewer: Any, worker: User) -> bool:
    """The worker himself, and those who see his grid (chief, instructor, the centres above)."""
    if viewer.pk == worker.pk:
        return True
    return any(can(viewer, Cap.VIEW, g.path) for g in worker_grids(worker))


def readable_worker(viewer: Any, worker_id: int) -> User:
    """A worker whose log the viewer reads (the one door: users are visible where their posts are);
    404, logged, otherwise."""
    from gridgov.accounts.scope import get_visible_or_404

    worker = get_visible_or_404(User.objects.all(), viewer, Cap.VIEW, pk=worker_id)
    if not may_read(viewer, worker):
        from django.http import Http404

        from gridgov.accounts.scope import deny

        deny(viewer, "work log outside scope", worker)
        raise Http404
    return cast(User, worker)


def day_log(viewer: Any, worker: User, day: date) -> dict[str, Any]:
    """The worker's day as the viewer may see it: entries in time order and the note."""
    start, end = _day_range(day)
    entries: list[Entry] = []
    visit = apps.get_model("care", "HomeVisit")
    for v in (
        restrict(visit.objects.all(), viewer, Cap.VIEW_REGISTRY)
        .filter(worker=worker, visited_at__gte=start, visited_at__lt=end)
        .select_related("resident")
    ):
        text = f"{v.resident.name}（{v.get_method_display()}）{v.found}" + (
            f"；需求：{v.needs}" if v.needs else ""
        )
        entries.append(Entry(v.visited_at, "visit", "入户走访", text))
    event = apps.get_model("events", "Event")
    for e in (
        restrict(event.objects.all(), viewer)
        .filter(reporter=worker, created_at__gte=start, created_at__lt=end)
        .select_related("category")
    ):
        entries.append(Entry(e.created_at, "event", "上报事件", f"{e.category.name}：{e.description[:80]}"))
    assignment = apps.get_model("tasks", "TaskAssignment")
    for a in (
        restrict(assignment.objects.all(), viewer)
        .filter(completed_by=worker, completed_at__gte=start, completed_at__lt=end)
        .select_related("task")
    ):
        entries.append(Entry(a.completed_at, "task", "完成任务", f"{a.task.title}：{a.result}"))
    answer = apps.get_model("screening", "ScreeningReturn")
    for r in (
        restrict(answer.objects.all(), viewer)
        .filter(answered_by=worker, answered_at__gte=start, answered_at__lt=end)
        .select_related("round")
    ):
        entries.append(
            Entry(r.answered_at, "screening", "排查报送", f"{r.round.title}：{r.get_state_display()}")
        )
    if apps.is_installed("gridgov.patrols"):
        patrol = apps.get_model("patrols", "Patrol")
        for p in restrict(patrol.objects.all(), viewer).filter(
            worker=worker, started_at__gte=start, started_at__lt=end
        ):
            minutes = int(((p.ended_at or timezone.now()) - p.started_at).total_seconds() // 60)
            entries.append(
                Entry(
                    p.started_at,
                    "patrol",
                    "巡网走格",
                    f"{p.distance_m / 1000:.1f} 公里，{minutes} 分钟，签到 {p.checkin_count} 栋",
                )
            )
    entries.sort(key=lambda e: e.at)
    note = restrict(WorkLogNote.objects.all(), viewer).filter(worker=worker, day=day).first()
    return {"worker": worker, "day": day, "entries": entries, "note": note.text if note else ""}


def readable_workers(viewer: Any) -> list[dict[str, Any]]:
    """The grid workers whose logs the viewer reads (their grids in the viewer's scope)."""
    scope = scope_of(viewer, Cap.VIEW)
    rows = (
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, node__level=Level.GRID)
        .filter(scope.q("node__path"))
        .select_related("user", "node")
        .order_by("node__path")[:300]
    )
    return [{"user": r.user, "grid": r.node} for r in rows]


@dataclass
class LoadRow:
    node: Node
    households: int
    grids: int
    workers: int
    over: list[str] = field(default_factory=list)

    @property
    def per_grid(self) -> int:
        return round(self.households / self.grids) if self.grids else 0

    @property
    def per_worker(self) -> int:
        return round(self.households / self.workers) if self.workers else 0


def household_load(viewer: Any, node: Node) -> list[LoadRow]:
    """Per child of `node`: active households, grids, full-time workers, households per grid and
    per worker, and the grids above SPLIT_ABOVE households (which need splitting)."""
    index = LEVEL_ORDER.index(node.level)
    if node.level in (Level.GRID, Level.BUILDING):
        return []
    width = len(node.path) + CODE_LENGTH[LEVEL_ORDER[index + 1]]
    per_grid = dict(
        restrict(Household.objects.all(), viewer, Cap.VIEW_REGISTRY)
        .filter(path__startswith=node.path, status=HouseholdStatus.ACTIVE)
        .values_list("grid_id")
        .annotate(n=Count("pk"))
    )
    grids = list(
        Node.objects.filter(level=Level.GRID, path__startswith=node.path).values_list("pk", "path", "name")
    )
    workers = set(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, node__path__startswith=node.path).values_list(
            "node_id", flat=True
        )
    )
    children = [
        c
        for c in Node.objects.filter(parent=node).order_by("code")
        if scope_of(viewer, Cap.VIEW_REGISTRY).covers(c.path)
    ]
    rows = {c.path: LoadRow(c, 0, 0, 0) for c in children}
    for pk, path, name in grids:
        row = rows.get(path[:width])
        if row is None:
            continue
        count = per_grid.get(pk, 0)
        row.households += count
        row.grids += 1
        row.workers += 1 if pk in workers else 0
        if count > SPLIT_ABOVE:
            row.over.append(f"{name}（{count} 户）")
    return list(rows.values())


def grid_loads(viewer: Any, node: Node, *, limit: int = 200) -> list[dict[str, Any]]:
    """The grids under `node` with the most households first (those above SPLIT_ABOVE flagged)."""
    rows = (
        restrict(Household.objects.all(), viewer, Cap.VIEW_REGISTRY)
        .filter(path__startswith=node.path, status=HouseholdStatus.ACTIVE)
        .values("grid_id", "grid__name")
        .annotate(n=Count("pk"))
        .order_by("-n")[:limit]
    )
    return [
        {
            "grid_id": r["grid_id"],
            "name": r["grid__name"],
            "households": r["n"],
            "split": r["n"] > SPLIT_ABOVE,
        }
        for r in rows
    ]
