"""Reads of the care app, all through the scoping door: a worker's due visits, due and overdue
counts per area, grid and worker, the visits, and the stale list."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import get_visible_or_404, principal_of, scope_of
from gridgov.care.models import CareRule, CareSchedule, HomeVisit
from gridgov.hierarchy.models import Level, Node
from gridgov.hierarchy.paths import CODE_LENGTH, LEVEL_ORDER
from gridgov.registry.choices import HouseholdStatus
from gridgov.registry.models import Household

# "Due" is what falls within this many days (overdue: before today).
DUE_HORIZON_DAYS = 7
# The roles whose own grids make up "my" due list.
WORKER_ROLES = (Role.GRID_WORKER, Role.PART_TIME_WORKER, Role.GRID_CHIEF, Role.GRID_INSTRUCTOR)


def rules() -> QuerySet[CareRule]:
    return CareRule.objects.all()


def own_grid_ids(user: Any) -> list[int]:
    """The grids where the user holds a grid role (their own due list)."""
    roots = sorted({a.path for a in principal_of(user).assignments if a.role in WORKER_ROLES})
    if not roots:
        return []
    return list(Node.objects.filter(path__in=roots, level=Level.GRID).values_list("pk", flat=True))


def due_visits(
    user: Any,
    *,
    grid_ids: list[int] | None = None,
    horizon_days: int = DUE_HORIZON_DAYS,
    today: date | None = None,
) -> QuerySet[CareSchedule]:
    """The schedules due by the horizon in the user's own grids (or these grids), oldest first:
    one range of the (grid, next_due) index per grid."""
    today = today or timezone.localdate()
    ids = own_grid_ids(user) if grid_ids is None else grid_ids
    return (
        CareSchedule.objects.restrict(user, Cap.VIEW_REGISTRY)
        .filter(grid_id__in=ids, next_due__lte=today + timedelta(days=horizon_days))
        .select_related("resident", "resident__household")
        .order_by("next_due", "pk")
    )


def get_node(user: Any, node_id: int) -> Node:
    return get_visible_or_404(Node.objects.all(), user, Cap.VIEW_REGISTRY, pk=node_id)


def default_node(user: Any) -> Node | None:
    """Where a leader's page opens: the top of their registry scope (the city for everyone)."""
    scope = scope_of(user, Cap.VIEW_REGISTRY)
    if scope.everything:
        return Node.objects.filter(parent__isnull=True).order_by("path").first()
    if not scope.roots:
        return None
    return Node.objects.filter(path=scope.roots[0]).first()


@dataclass
class DueRow:
    node: Node
    total: int
    overdue: int
    due: int
    worker: str = ""


def _child_width(node: Node) -> tuple[str, int] | None:
    index = LEVEL_ORDER.index(node.level)
    if node.level in (Level.GRID, Level.BUILDING):
        return None
    level = LEVEL_ORDER[index + 1]
    return level, len(node.path) + CODE_LENGTH[level]


def grid_workers(grid_ids: list[int]) -> dict[int, str]:
    """The full-time worker of each grid (name), for per-worker reports."""
    rows = RoleAssignment.objects.filter(node_id__in=grid_ids, role=Role.GRID_WORKER).values_list(
        "node_id", "user__full_name", "user__username"
    )
    return {node_id: full or username for node_id, full, username in rows}


def due_by_child(user: Any, node: Node, *, today: date | None = None) -> list[DueRow]:
    """Due and overdue visits under `node`, per child area (per grid, with its worker, below a
    community): one GROUP BY over the schedules of the subtree."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=DUE_HORIZON_DAYS)
    child = _child_width(node)
    if child is None:
        return []
    level, width = child
    rows = (
        CareSchedule.objects.restrict(user, Cap.VIEW_REGISTRY)
        .filter(path__under=node.path)
        .annotate(prefix=Substr("path", 1, width))
        .values("prefix")
        .annotate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(next_due__lt=today)),
            due=Count("pk", filter=Q(next_due__gte=today, next_due__lte=horizon)),
        )
    )
    counts = {r["prefix"]: r for r in rows}
    children = list(Node.objects.filter(parent=node).order_by("code"))
    workers = grid_workers([c.pk for c in children]) if level == Level.GRID else {}
    return [
        DueRow(
            node=c,
            total=counts.get(c.path, {}).get("total", 0),
            overdue=counts.get(c.path, {}).get("overdue", 0),
            due=counts.get(c.path, {}).get("due", 0),
            worker=workers.get(c.pk, ""),
        )
        for c in children
        if scope_of(user, Cap.VIEW_REGISTRY).covers(c.path)
    ]


def visits(user: Any, *, node: Node | None = None, since: date | None = None) -> QuerySet[HomeVisit]:
    found = HomeVisit.objects.restrict(user, Cap.VIEW_REGISTRY).select_related(
        "resident", "household", "worker", "event"
    )
    if node is not None:
        found = found.filter(path__under=node.path)
    if since is not None:
        found = found.filter(visited_at__date__gte=since)
    return found.order_by("-visited_at", "-pk")


def stale_after_days() -> int:
    return int(settings.GRIDGOV_STALE_AFTER_DAYS)


def stale_households(
    user: Any, node: Node, *, days: int | None = None, now: Any = None
) -> QuerySet[Household]:
    """Active households under `node` not verified (visit, check or hand edit) in `days` days
    (by default GRIDGOV_STALE_AFTER_DAYS, 365): never verified first, then the oldest."""
    cutoff = (now or timezone.now()) - timedelta(days=days or stale_after_days())
    return (
        Household.objects.restrict(user, Cap.VIEW_REGISTRY)
        .filter(path__under=node.path, status=HouseholdStatus.ACTIVE)
        .filter(Q(verification__isnull=True) | Q(verification__verified_at__lt=cutoff))
        .select_related("verification", "grid")
        .order_by(F("verification__verified_at").asc(nulls_first=True), "path", "pk")
    )
