"""Patrol reads: a worker's patrols and due buildings, a leader's coverage, a track.

Every read goes through the scoping door (`restrict`, `get_visible_or_404`): a track is the
worker's and their superiors' only (Cap.VIEW_TRACKS), and a superior's view of another person's
track is written to the audit log (`track_of`).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, subtree_q
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import GridKind, Level, Node
from gridgov.hierarchy.paths import CODE_LENGTH, LEVEL_ORDER
from gridgov.patrols.models import BuildingCoverage, CheckIn, Finding, Patrol, PatrolRule, PatrolStatus
from gridgov.patrols.rules import DEFAULT_RULES, rule_for


def patrols_for(user: Any) -> QuerySet[Patrol]:
    return Patrol.objects.restrict(user).select_related("grid", "worker")


def active_patrol_of(user: Any) -> Patrol | None:
    return Patrol.objects.filter(worker=user, status=PatrolStatus.ACTIVE).select_related("grid").first()


def patrol_of(user: Any, patrol_id: int) -> Patrol:
    """One patrol the caller may see (404 outside: the worker's own or their superiors')."""
    return get_visible_or_404(patrols_for(user), user, pk=patrol_id)


def patrol_to_write(user: Any, patrol_id: int) -> Patrol:
    """The same door as `patrol_of` without the grid and the worker joined: a batch of positions
    needs the row only (the service locks and reads it again), and a grid's boundary is not
    small."""
    return get_visible_or_404(Patrol.objects.all(), user, pk=patrol_id)


def track_of(user: Any, patrol: Patrol) -> dict[str, Any]:
    """The patrol's track for a map: the simplified line once ended, the positions so far while
    it lasts. A view by anyone but the worker is audited (PIPL)."""
    if patrol.worker_id != getattr(user, "pk", None):
        record(Action.READ_SENSITIVE, patrol, message=f"patrol track of {patrol.worker.username} viewed")
    if patrol.status == PatrolStatus.ACTIVE:
        from gridgov.patrols.geo import simplified

        coords = list(patrol.points.order_by("at", "pk").values_list("lng", "lat"))
        line = simplified(coords)
    else:
        line = list(patrol.track or [])
    checkins = [
        {
            "building_id": c.building_id,
            "name": c.building.name,
            "at": c.at,
            "method": c.method,
            "method_name": c.get_method_display(),
            "lng": c.building.lng,
            "lat": c.building.lat,
            "distance_m": c.distance_m,
        }
        for c in patrol.checkins.select_related("building").order_by("at")
    ]
    return {"line": line, "purged": patrol.track_purged, "checkins": checkins}


def findings_of(patrol: Patrol) -> list[Finding]:
    return list(patrol.findings.select_related("event", "event__category", "resident", "household"))


# --- due buildings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DueBuilding:
    id: int
    code: str
    name: str
    lng: float | None
    lat: float | None
    last_checkin_at: datetime | None
    due: bool


def buildings_due(user: Any, grid: Node, now: datetime | None = None) -> list[DueBuilding]:
    """The grid's buildings with their last check-in, those due first (never checked in, or not
    within the rule's period), then by code."""
    now = now or timezone.now()
    rule = rule_for(grid)
    since = now - timedelta(days=rule.period_days)
    buildings = list(
        Node.objects.restrict(user)
        .filter(parent=grid, level=Level.BUILDING)
        .values_list("pk", "code", "name", "lng", "lat")
    )
    last = dict(
        BuildingCoverage.objects.restrict(user)
        .filter(grid=grid)
        .values_list("building_id", "last_checkin_at")
    )
    rows = [
        DueBuilding(pk, code, name, lng, lat, last.get(pk), last.get(pk) is None or last[pk] < since)
        for pk, code, name, lng, lat in buildings
    ]
    rows.sort(key=lambda b: (not b.due, b.code))
    return rows


def worker_grids(user: Any) -> list[Node]:
    """The grids where the caller patrols (where they report, as a grid's worker)."""
    from gridgov.mobile.kinds import grid_roots

    roots = grid_roots(user)
    return list(Node.objects.filter(path__in=roots, level=Level.GRID).order_by("path")) if roots else []


def rules() -> list[PatrolRule]:
    saved = {r.grid_kind: r for r in PatrolRule.objects.all()}
    return [saved.get(kind) or PatrolRule(grid_kind=kind, **values) for kind, values in DEFAULT_RULES.items()]


# --- coverage ------------------------------------------------------------------------------------


@dataclass
class GridCoverage:
    grid_id: int
    name: str
    code: str
    grid_kind: str
    buildings: int = 0
    buildings_checked: int = 0
    checkins: int = 0
    patrols: int = 0
    distance_m: float = 0.0
    duration_s: int = 0
    due_now: int = 0

    @property
    def share(self) -> float:
        return self.buildings_checked / self.buildings if self.buildings else 0.0


@dataclass
class WorkerCoverage:
    worker_id: int
    name: str
    patrols: int = 0
    buildings_checked: int = 0
    checkins: int = 0
    distance_m: float = 0.0
    duration_s: int = 0


@dataclass
class Coverage:
    node: Node
    start: datetime
    end: datetime
    grids: list[GridCoverage]
    workers: list[WorkerCoverage]

    @property
    def buildings(self) -> int:
        return sum(g.buildings for g in self.grids)

    @property
    def buildings_checked(self) -> int:
        return sum(g.buildings_checked for g in self.grids)

    @property
    def share(self) -> float:
        return self.buildings_checked / self.buildings if self.buildings else 0.0


def _seconds(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value) // 1_000_000  # SQLite answers microseconds


def coverage(user: Any, node: Node, start: datetime, end: datetime, now: datetime | None = None) -> Coverage:
    """Per grid and per worker under `node` for [start, end): buildings checked in (distinct, and
    their share of the grid's buildings), check-ins, patrols, distance and time walked, and the
    buildings due now by the grid's rule. The caller holds VIEW_TRACKS on `node` (the view checks)."""
    now = now or timezone.now()
    under = subtree_q(node.path)
    grids = {
        pk: GridCoverage(pk, name, code, kind)
        for pk, name, code, kind in Node.objects.restrict(user)
        .filter(under, level=Level.GRID)
        .values_list("pk", "name", "code", "grid_kind")
    }
    for grid_id, count in (
        Node.objects.filter(under, level=Level.BUILDING).values_list("parent_id").annotate(n=Count("pk"))
    ):
        if grid_id in grids:
            grids[grid_id].buildings = count
    checkins = CheckIn.objects.restrict(user).filter(under, at__gte=start, at__lt=end)
    if node.level == Level.COUNTY:
        checkins = checkins.filter(county_code=node.code)
    for grid_id, buildings, count in checkins.values_list("grid_id").annotate(
        b=Count("building_id", distinct=True), n=Count("pk")
    ):
        if grid_id in grids:
            grids[grid_id].buildings_checked, grids[grid_id].checkins = buildings, count
    patrols = Patrol.objects.restrict(user).filter(under, started_at__gte=start, started_at__lt=end)
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    for grid_id, count, distance, seconds in patrols.values_list("grid_id").annotate(
        n=Count("pk"), d=Sum("distance_m"), t=Sum(duration)
    ):
        if grid_id in grids:
            row = grids[grid_id]
            row.patrols, row.distance_m, row.duration_s = count, float(distance or 0), _seconds(seconds)
    recent = Q()
    for rule in rules():
        recent |= Q(
            grid__grid_kind=rule.grid_kind, last_checkin_at__gte=now - timedelta(days=rule.period_days)
        )
    for grid_id, count in (
        BuildingCoverage.objects.restrict(user)
        .filter(under)
        .filter(recent)
        .values_list("grid_id")
        .annotate(n=Count("pk"))
    ):
        if grid_id in grids:
            grids[grid_id].due_now = -count
    for row in grids.values():
        row.due_now = row.buildings + row.due_now
    workers: dict[int, WorkerCoverage] = {}
    names = {}
    for worker_id, count, distance, seconds in patrols.values_list("worker_id").annotate(
        n=Count("pk"), d=Sum("distance_m"), t=Sum(duration)
    ):
        workers[worker_id] = WorkerCoverage(
            worker_id, "", count, 0, 0, float(distance or 0), _seconds(seconds)
        )
    for worker_id, buildings, count in checkins.values_list("worker_id").annotate(
        b=Count("building_id", distinct=True), n=Count("pk")
    ):
        person = workers.setdefault(worker_id, WorkerCoverage(worker_id, ""))
        person.buildings_checked, person.checkins = buildings, count
    if workers:
        names = dict(User.objects.filter(pk__in=list(workers)).values_list("pk", "full_name"))
    for worker_id, person in workers.items():
        person.name = names.get(worker_id) or f"#{worker_id}"
    grid_rows = sorted(grids.values(), key=lambda g: g.code)
    return Coverage(node, start, end, grid_rows, sorted(workers.values(), key=lambda w: (-w.patrols, w.name)))


# --- week by week ----------------------------------------------------------------------------

# A year of days touches at most 54 calendar weeks.
MAX_WEEKS = 54
# Above these levels a row is a child area (its grids summed), not a grid: a county has hundreds.
AREA_ROWS = (Level.CITY, Level.COUNTY)


@dataclass
class WeekCell:
    buildings_checked: int = 0
    checkins: int = 0
    patrols: int = 0
    grids_complete: int = 0  # grids where every building was checked in that week


@dataclass
class WeekRow:
    """A grid (or a child area, its grids summed) week by week."""

    node_id: int
    name: str
    code: str
    kind: str  # "grid" or "area"
    buildings: int
    grids: int
    weeks: list[WeekCell]

    def shares(self) -> list[float]:
        return [c.buildings_checked / self.buildings if self.buildings else 0.0 for c in self.weeks]


@dataclass
class WeeklyCoverage:
    node: Node
    weeks: list[date]  # each week's Monday
    rows: list[WeekRow]

    @property
    def buildings(self) -> int:
        return sum(r.buildings for r in self.rows)

    @property
    def grids(self) -> int:
        return sum(r.grids for r in self.rows)

    def totals(self) -> list[WeekCell]:
        out = [WeekCell() for _ in self.weeks]
        for row in self.rows:
            for total, cell in zip(out, row.weeks, strict=True):
                total.buildings_checked += cell.buildings_checked
                total.checkins += cell.checkins
                total.patrols += cell.patrols
                total.grids_complete += cell.grids_complete
        return out


def week_starts(start: date, end: date) -> list[date]:
    """The Mondays of the weeks from the one holding `start` to the one holding `end`."""
    first = start - timedelta(days=start.weekday())
    return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]


def weekly_coverage(user: Any, node: Node, start: date, end: date) -> WeeklyCoverage:
    """Per grid under `node` (per child area under a county or the city) and per calendar week
    (Monday to Sunday, the city's time) of the weeks holding [start, end]: buildings checked in
    (distinct), check-ins, patrols, grids fully covered. Two grouped queries over the period,
    whatever its length. The caller holds VIEW_TRACKS on `node`."""
    weeks = week_starts(start, end)
    if len(weeks) > MAX_WEEKS:
        raise ValueError(f"at most {MAX_WEEKS} weeks")
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(weeks[0], time.min), tz)
    until = timezone.make_aware(datetime.combine(weeks[-1] + timedelta(weeks=1), time.min), tz)
    under = subtree_q(node.path)
    buildings = dict(
        Node.objects.filter(under, level=Level.BUILDING).values_list("parent_id").annotate(n=Count("pk"))
    )
    grids: dict[int, WeekRow] = {}
    paths: dict[int, str] = {}
    for pk, name, code, path in (
        Node.objects.restrict(user).filter(under, level=Level.GRID).values_list("pk", "name", "code", "path")
    ):
        grids[pk] = WeekRow(pk, name, code, "grid", buildings.get(pk, 0), 1, [WeekCell() for _ in weeks])
        paths[pk] = path
    column = {monday: i for i, monday in enumerate(weeks)}

    def cell(grid_id: int, week: Any) -> WeekCell | None:
        monday = timezone.localtime(week, tz).date() if isinstance(week, datetime) else week
        i = column.get(monday)
        return grids[grid_id].weeks[i] if grid_id in grids and i is not None else None

    checkins = CheckIn.objects.restrict(user).filter(under, at__gte=since, at__lt=until)
    if node.level == Level.COUNTY:
        checkins = checkins.filter(county_code=node.code)
    for grid_id, week, checked, count in (
        checkins.annotate(week=TruncWeek("at", tzinfo=tz))
        .values_list("grid_id", "week")
        .annotate(b=Count("building_id", distinct=True), n=Count("pk"))
    ):
        found = cell(grid_id, week)
        if found is not None:
            found.buildings_checked, found.checkins = checked, count
            found.grids_complete = int(0 < grids[grid_id].buildings <= checked)
    patrols = Patrol.objects.restrict(user).filter(under, started_at__gte=since, started_at__lt=until)
    for grid_id, week, count in (
        patrols.annotate(week=TruncWeek("started_at", tzinfo=tz))
        .values_list("grid_id", "week")
        .annotate(n=Count("pk"))
    ):
        found = cell(grid_id, week)
        if found is not None:
            found.patrols = count
    rows = sorted(grids.values(), key=lambda r: r.code)
    if node.level in AREA_ROWS:
        rows = _by_area(user, node, rows, paths, len(weeks))
    return WeeklyCoverage(node, weeks, rows)


def _by_area(user: Any, node: Node, grids: list[WeekRow], paths: dict[int, str], weeks: int) -> list[WeekRow]:
    """Grid rows summed per child area of `node` (by path prefix)."""
    level = LEVEL_ORDER[LEVEL_ORDER.index(node.level) + 1]
    width = len(node.path) + CODE_LENGTH[level]
    # The child areas the user sees, and those holding grids they see (a narrower scope).
    visible = set(Node.objects.restrict(user).filter(parent=node).values_list("pk", flat=True))
    areas = {
        path: WeekRow(pk, name, code, "area", 0, 0, [WeekCell() for _ in range(weeks)])
        for pk, name, code, path in Node.objects.filter(parent=node).values_list("pk", "name", "code", "path")
    }
    for grid in grids:
        area = areas.get(paths[grid.node_id][:width])
        if area is None:
            continue
        area.buildings += grid.buildings
        area.grids += 1
        for total, cell in zip(area.weeks, grid.weeks, strict=True):
            total.buildings_checked += cell.buildings_checked
            total.checkins += cell.checkins
            total.patrols += cell.patrols
            total.grids_complete += cell.grids_complete
    return sorted((a for a in areas.values() if a.grids or a.node_id in visible), key=lambda r: r.code)


def kind_name(kind: str) -> str:
    return str(dict(GridKind.choices).get(kind, kind))


def visible_patrols(user: Any, node: Node, start: datetime, end: datetime) -> QuerySet[Patrol]:
    return (
        patrols_for(user)
        .filter(subtree_q(node.path), started_at__gte=start, started_at__lt=end)
        .order_by("-started_at")
    )


def top_node_for_tracks(user: Any) -> Node | None:
    """The top of the subtree where `user` sees others' patrols (the first, if several)."""
    from gridgov.accounts.scope import scope_of

    scope = scope_of(user, Cap.VIEW_TRACKS)
    if scope.everything:
        return Node.objects.filter(level=Level.CITY).first()
    return Node.objects.restrict(user).filter(path__in=scope.roots).order_by("path").first()


def can_see_tracks(user: Any, node: Node) -> bool:
    from gridgov.accounts.scope import can

    return can(user, Cap.VIEW_TRACKS, node.path)
