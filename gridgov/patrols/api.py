"""Patrols in the JSON API (/api/v1/patrols…).

The phone queues every write (docs/architecture-app.md) and may send it again; each is
idempotent by a natural key, so a retry after a lost answer changes nothing:

- `POST /patrols {key, grid_id, started_at}`: the phone's UUID `key` names the patrol (the same
  key again answers 200 with it);
- `POST /patrols/{id}/points {seq, points: [{at, lng, lat, accuracy}]}`: a batch is stored once
  per (patrol, seq); the same batch again answers `duplicate: true`, another body under a used
  seq 409; positions after the patrol's end 409;
- `POST /patrols/{id}/checkins {building_id, lng, lat, accuracy, at}` or `{code, at}` (a scanned
  QR or the typed six-character code): once per building per patrol; a building outside the
  patrol's grid 403, too far for a position check-in 400 naming `lng`;
- `POST /patrols/{id}/findings {kind, report_key | resident_id | household_id}`: links what was
  reported during the patrol (by the Idempotency-Key of its report).

Bodies are JSON; every bad field is a 400 naming it.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, require
from gridgov.api.params import Page
from gridgov.core import inputs
from gridgov.hierarchy.models import Level, Node
from gridgov.patrols import rules, selectors, services
from gridgov.patrols.forms import WeeksForm
from gridgov.patrols.models import CheckIn, Finding, Patrol

router = Router(tags=["patrols"])


class Error(Schema):
    detail: str


class PatrolOut(Schema):
    id: int
    key: str
    worker_id: int
    worker_name: str
    grid_id: int
    grid_name: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    duration_s: int | None
    distance_m: float
    point_count: int
    checkin_count: int
    version: int


class PatrolPage(Schema):
    items: list[PatrolOut]
    limit: int
    offset: int
    next_offset: int | None


class CheckinOut(Schema):
    id: int
    patrol_id: int
    building_id: int
    building_name: str
    at: datetime
    method: str
    distance_m: float | None


class BatchOut(Schema):
    seq: int
    stored: int
    duplicate: bool
    distance_m: float
    point_count: int


class FindingOut(Schema):
    id: int
    patrol_id: int
    kind: str
    report_key: str
    event_id: int | None
    event_number: str | None
    resident_id: int | None
    household_id: int | None
    note: str
    at: datetime


class TrackOut(Schema):
    patrol: PatrolOut
    line: list[list[float]]
    purged: bool
    checkins: list[dict[str, Any]]
    findings: list[FindingOut]


class DueOut(Schema):
    id: int
    code: str
    name: str
    lng: float | None
    lat: float | None
    last_checkin_at: datetime | None
    due: bool


class DueList(Schema):
    grid_id: int
    grid_name: str
    period_days: int
    radius_m: int
    due: int
    buildings: list[DueOut]


class RuleOut(Schema):
    grid_kind: str
    grid_kind_name: str
    period_days: int
    checkins_per_period: int
    radius_m: int
    patrols_per_week: int


class GridCoverageOut(Schema):
    grid_id: int
    name: str
    grid_kind: str
    buildings: int
    buildings_checked: int
    share: float
    checkins: int
    patrols: int
    distance_m: float
    duration_s: int
    due_now: int


class WorkerCoverageOut(Schema):
    worker_id: int
    name: str
    patrols: int
    buildings_checked: int
    checkins: int
    distance_m: float
    duration_s: int


class CoverageOut(Schema):
    node_id: int
    start: datetime
    end: datetime
    buildings: int
    buildings_checked: int
    share: float
    grids: list[GridCoverageOut]
    workers: list[WorkerCoverageOut]


class WeekCellOut(Schema):
    buildings_checked: int
    checkins: int
    patrols: int
    grids_complete: int = Field(description="grids where every building was checked in that week")
    share: float


class WeekRowOut(Schema):
    node_id: int
    name: str
    kind: str = Field(description="grid, or area: a child area of a county or the city, its grids summed")
    buildings: int
    grids: int
    weeks: list[WeekCellOut]


class WeeklyCoverageOut(Schema):
    node_id: int
    weeks: list[date] = Field(description="each week's Monday (weeks run Monday to Sunday, the city's time)")
    buildings: int
    grids: int
    rows: list[WeekRowOut]
    totals: list[WeekCellOut]


def patrol_out(patrol: Patrol) -> dict[str, Any]:
    return {
        "id": patrol.pk,
        "key": str(patrol.key),
        "worker_id": patrol.worker_id,
        "worker_name": patrol.worker.full_name or patrol.worker.username,
        "grid_id": patrol.grid_id,
        "grid_name": patrol.grid.name,
        "status": patrol.status,
        "started_at": patrol.started_at,
        "ended_at": patrol.ended_at,
        "duration_s": patrol.duration_s,
        "distance_m": round(patrol.distance_m, 1),
        "point_count": patrol.point_count,
        "checkin_count": patrol.checkin_count,
        "version": patrol.version,
    }


def checkin_out(checkin: CheckIn) -> dict[str, Any]:
    return {
        "id": checkin.pk,
        "patrol_id": checkin.patrol_id,
        "building_id": checkin.building_id,
        "building_name": checkin.building.name,
        "at": checkin.at,
        "method": checkin.method,
        "distance_m": checkin.distance_m,
    }


def finding_out(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.pk,
        "patrol_id": finding.patrol_id,
        "kind": finding.kind,
        "report_key": finding.report_key,
        "event_id": finding.event_id,
        "event_number": finding.event.number if finding.event_id and finding.event else None,
        "resident_id": finding.resident_id,
        "household_id": finding.household_id,
        "note": finding.note,
        "at": finding.at,
    }


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        return inputs.request_object(request)
    except inputs.JSONRefused as exc:
        raise ValidationError({"body": str(exc)}) from None


def _no_store(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


def _load(request: HttpRequest, patrol_id: int) -> Patrol:
    return selectors.patrol_of(request.user, patrol_id)


def _time(value: str | None, name: str, default: datetime) -> datetime:
    return services.parse_time(value, name, default=default)


@router.get("/patrols", response=PatrolPage)
def list_patrols(
    request: HttpRequest,
    response: HttpResponse,
    page: Query[Page],
    node_id: int | None = None,
    worker_id: int | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    """Patrols the caller may see (their own; a superior's: those of their subtree), newest first."""
    _no_store(response)
    limit, offset = page.limit, page.offset
    queryset = selectors.patrols_for(request.user)
    if node_id is not None:
        node = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
        queryset = queryset.filter(path__startswith=node.path)
    if worker_id is not None:
        queryset = queryset.filter(worker_id=worker_id)
    if since:
        queryset = queryset.filter(started_at__gte=_time(since, "since", timezone.now()))
    if until:
        queryset = queryset.filter(started_at__lt=_time(until, "until", timezone.now()))
    rows = list(queryset.order_by("-started_at", "-pk")[offset : offset + limit + 1])
    return {
        "items": [patrol_out(p) for p in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }


@router.post("/patrols", response={200: PatrolOut, 201: PatrolOut, 400: Error, 403: Error})
def start(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    """Start a patrol: `{key (UUID made on the phone), grid_id, started_at}`."""
    data = _body(request)
    patrol, created = services.start_patrol(
        user=request.user,
        grid=_int(data.get("grid_id"), "grid_id"),
        key=data.get("key"),
        started_at=data.get("started_at"),
    )
    _no_store(response)
    return Status(201 if created else 200, patrol_out(patrol))


def _int(value: Any, name: str) -> int | None:
    return None if value in (None, "") else services.whole(value, name)


@router.get("/patrols/active", response={200: PatrolOut, 204: None})
def active(request: HttpRequest, response: HttpResponse) -> Any:
    """The caller's patrol under way (204: none)."""
    _no_store(response)
    patrol = selectors.active_patrol_of(request.user)
    return Status(204, None) if patrol is None else patrol_out(patrol)


@router.get("/patrols/due", response=list[DueList])
def due(request: HttpRequest, response: HttpResponse, grid_id: int | None = None) -> list[dict[str, Any]]:
    """The buildings of the caller's grids (or of `grid_id`), those due by the rule first."""
    _no_store(response)
    if grid_id is not None:
        grids = [get_visible_or_404(Node.objects.filter(level=Level.GRID), request.user, pk=grid_id)]
    else:
        grids = selectors.worker_grids(request.user)
    out = []
    now = timezone.now()
    for grid in grids:
        rule = rules.rule_for(grid)
        rows = selectors.buildings_due(request.user, grid, now)
        out.append(
            {
                "grid_id": grid.pk,
                "grid_name": grid.name,
                "period_days": rule.period_days,
                "radius_m": rule.radius_m,
                "due": sum(1 for b in rows if b.due),
                "buildings": [b.__dict__ for b in rows],
            }
        )
    return out


@router.get("/patrol-rules", response=list[RuleOut])
def patrol_rules(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "grid_kind": r.grid_kind,
            "grid_kind_name": selectors.kind_name(r.grid_kind),
            "period_days": r.period_days,
            "checkins_per_period": r.checkins_per_period,
            "radius_m": r.radius_m,
            "patrols_per_week": r.patrols_per_week,
        }
        for r in selectors.rules()
    ]


@router.get("/patrol-coverage", response={200: CoverageOut, 400: Error, 403: Error, 404: Error})
def coverage(
    request: HttpRequest,
    response: HttpResponse,
    node_id: int,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """Coverage under a node for [start, end) (default: the last 30 days): per grid and per worker.
    Superiors only (the grid chief, instructor and the centres above)."""
    node = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
    require(request.user, Cap.VIEW_TRACKS, node.path, node)
    now = timezone.now()
    end_at = _time(end, "end", now)
    start_at = _time(start, "start", end_at - timedelta(days=30))
    if start_at >= end_at:
        raise ValidationError({"start": "start 必须早于 end"})
    if end_at - start_at > timedelta(days=366):
        raise ValidationError({"start": "时间段最长一年"})
    result = selectors.coverage(request.user, node, start_at, end_at, now)
    _no_store(response)
    return {
        "node_id": node.pk,
        "start": start_at,
        "end": end_at,
        "buildings": result.buildings,
        "buildings_checked": result.buildings_checked,
        "share": round(result.share, 4),
        "grids": [{**g.__dict__, "share": round(g.share, 4)} for g in result.grids],
        "workers": [w.__dict__ for w in result.workers],
    }


def _cells(cells: list[selectors.WeekCell], buildings: int) -> list[dict[str, Any]]:
    return [
        {**c.__dict__, "share": round(c.buildings_checked / buildings, 4) if buildings else 0.0}
        for c in cells
    ]


@router.get("/patrol-coverage/weekly", response={200: WeeklyCoverageOut, 400: Error, 403: Error, 404: Error})
def weekly_coverage(
    request: HttpRequest,
    response: HttpResponse,
    node_id: int,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """Coverage under a node week by week for the weeks holding [start, end] (dates; default the
    last eight weeks): per grid, or per child area under a county or the city. Superiors only."""
    node = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
    require(request.user, Cap.VIEW_TRACKS, node.path, node)
    form = WeeksForm({k: v for k, v in (("start", start), ("end", end)) if v})
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    result = selectors.weekly_coverage(
        request.user, node, form.cleaned_data["start"], form.cleaned_data["end"]
    )
    _no_store(response)
    return {
        "node_id": node.pk,
        "weeks": result.weeks,
        "buildings": result.buildings,
        "grids": result.grids,
        "rows": [{**row.__dict__, "weeks": _cells(row.weeks, row.buildings)} for row in result.rows],
        "totals": _cells(result.totals(), result.buildings),
    }


@router.get("/patrols/{patrol_id}", response=PatrolOut)
def detail(request: HttpRequest, response: HttpResponse, patrol_id: int) -> dict[str, Any]:
    _no_store(response)
    return patrol_out(_load(request, patrol_id))


@router.get("/patrols/{patrol_id}/track", response=TrackOut)
def track(request: HttpRequest, response: HttpResponse, patrol_id: int) -> dict[str, Any]:
    """The track (simplified), the check-ins and the findings; a superior's view is audited."""
    _no_store(response)
    patrol = _load(request, patrol_id)
    return {
        "patrol": patrol_out(patrol),
        **selectors.track_of(request.user, patrol),
        "findings": [finding_out(f) for f in selectors.findings_of(patrol)],
    }


@router.post("/patrols/{patrol_id}/points", response={200: BatchOut, 400: Error, 403: Error, 409: Error})
def points(request: HttpRequest, patrol_id: int) -> dict[str, Any]:
    """A batch of positions (see the module doc)."""
    data = _body(request)
    patrol = selectors.patrol_to_write(request.user, patrol_id)
    result = services.add_points(
        user=request.user, patrol=patrol, seq=data.get("seq"), points=data.get("points")
    )
    return result.__dict__


@router.post(
    "/patrols/{patrol_id}/checkins",
    response={200: CheckinOut, 201: CheckinOut, 400: Error, 403: Error, 409: Error},
)
def checkin(request: HttpRequest, patrol_id: int) -> Status[dict[str, Any]]:
    data = _body(request)
    patrol = _load(request, patrol_id)
    made, created = services.check_in(
        user=request.user,
        patrol=patrol,
        building_id=data.get("building_id"),
        code=str(data.get("code") or ""),
        lng=data.get("lng"),
        lat=data.get("lat"),
        accuracy=data.get("accuracy"),
        at=data.get("at"),
    )
    return Status(201 if created else 200, checkin_out(made))


@router.post("/patrols/{patrol_id}/end", response={200: PatrolOut, 400: Error, 403: Error})
def end(request: HttpRequest, patrol_id: int) -> dict[str, Any]:
    data = _body(request)
    patrol = _load(request, patrol_id)
    return patrol_out(services.end_patrol(user=request.user, patrol=patrol, ended_at=data.get("ended_at")))


@router.post(
    "/patrols/{patrol_id}/findings", response={200: FindingOut, 201: FindingOut, 400: Error, 403: Error}
)
def finding(request: HttpRequest, patrol_id: int) -> Status[dict[str, Any]]:
    data = _body(request)
    patrol = _load(request, patrol_id)
    made, created = services.link_finding(
        user=request.user,
        patrol=patrol,
        kind=str(data.get("kind") or ""),
        report_key=str(data.get("report_key") or ""),
        resident_id=data.get("resident_id"),
        household_id=data.get("household_id"),
        note=str(data.get("note") or ""),
    )
    return Status(201 if created else 200, finding_out(made))
