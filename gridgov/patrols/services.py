"""Patrol writes: start, positions in batches, building check-ins, findings, end; the purge.

Every write is the worker's own: positions and check-ins are taken only for a patrol the caller
started and has not ended (PIPL: nothing is recorded outside a patrol). Phones retry, so each
write is idempotent by a natural key: a patrol by the phone's `key`, a batch of positions by
(patrol, seq), a check-in by (patrol, building), a finding by (patrol, report key).
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Field
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import deny, require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.core.errors import ConflictError
from gridgov.core.idempotency import body_hash
from gridgov.hierarchy.models import Level, Node
from gridgov.patrols import codes, geo
from gridgov.patrols.models import (
    BuildingCoverage,
    CheckIn,
    CheckinMethod,
    Finding,
    FindingKind,
    Patrol,
    PatrolStatus,
    TrackBatch,
    TrackPoint,
)
from gridgov.patrols.rules import rule_for

MAX_BATCH_POINTS = 500
# A phone's clock may be a little ahead of the server's.
CLOCK_SLACK = timedelta(minutes=5)
# A patrol queued offline may be sent a day or two later; older starts are refused.
MAX_START_AGE = timedelta(days=3)
MAX_PATROL = timedelta(hours=16)


def parse_time(value: Any, name: str, *, default: datetime | None = None) -> datetime:
    if value in (None, ""):
        if default is None:
            raise ValidationError({name: f"请提供 {name}"})
        return default
    if isinstance(value, datetime):
        parsed: datetime | None = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError({name: f"{name} 不是有效的时间（ISO 8601，如 2026-12-03T09:30:00+08:00）"})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


MAX_ID = 2**63 - 1


def whole(value: Any, name: str, low: int = 0, high: int = MAX_ID) -> int:
    """An integer field of a request (an id, a sequence number), or a 400 naming it."""
    if isinstance(value, bool):
        raise ValidationError({name: f"{name} 必须是整数"})
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({name: f"{name} 必须是整数"}) from None
    if not (low <= number <= high) or (isinstance(value, float) and value != number):
        raise ValidationError({name: f"{name} 超出范围"})
    return number


def _coordinate(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} 必须是数字"}) from None
    if not (low <= number <= high) or number != number:
        raise ValidationError({name: f"{name} 超出范围（{low}～{high}）"})
    return number


def _own_active(user: Any, patrol: Patrol) -> None:
    """Positions and check-ins only for a patrol the caller started, while it lasts."""
    if patrol.worker_id != getattr(user, "pk", None):
        deny(user, "patrol of another worker", patrol)
        raise PermissionDenied("只能记录自己开始的巡查")
    if patrol.status != PatrolStatus.ACTIVE:
        raise ConflictError("巡查已结束，不再记录位置和签到", patrol_id=patrol.pk, status=patrol.status)


def _grid(grid: Node | int | None) -> Node:
    node = grid if isinstance(grid, Node) else Node.objects.filter(pk=grid).first() if grid else None
    if node is None or node.level != Level.GRID:
        raise ValidationError({"grid_id": "请选择一个网格"})
    return node


@logs_failures(Action.CREATE)
@transaction.atomic
def start_patrol(
    *,
    user: Any,
    grid: Node | int | None,
    key: str | None = None,
    started_at: Any = None,
    now: datetime | None = None,
) -> tuple[Patrol, bool]:
    """Start a patrol of `grid` (the caller must report in it). The same key again returns the
    patrol already started (created False)."""
    now = now or timezone.now()
    try:
        key_value = uuid.UUID(str(key)) if key else uuid.uuid4()
    except ValueError:
        raise ValidationError({"key": "key 必须是 UUID"}) from None
    existing = Patrol.objects.filter(worker=user, key=key_value).first()
    if existing is not None:
        return existing, False
    node = _grid(grid)
    require(user, Cap.REPORT_EVENT, node.path, node)
    started = parse_time(started_at, "started_at", default=now)
    if started > now + CLOCK_SLACK or started < now - MAX_START_AGE:
        raise ValidationError({"started_at": "开始时间不在合理范围内（三天内，且不晚于现在）"})
    # A patrol left open (another phone, a lost end): ended where its track ends, so one person
    # walks one patrol at a time.
    for stale in Patrol.objects.select_for_update().filter(worker=user, status=PatrolStatus.ACTIVE):
        last = _last_point_at(stale) or stale.started_at
        _finish(stale, min(max(last, stale.started_at), max(started, stale.started_at)))
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(
                key=key_value,
                worker=user,
                grid=node,
                path=node.path,
                county_code=node.county_code,
                started_at=started,
            )
    except IntegrityError:  # the same start sent twice at once: the first one stands
        return Patrol.objects.get(worker=user, key=key_value), False
    return patrol, True


@dataclass
class BatchResult:
    seq: int
    stored: int
    duplicate: bool
    distance_m: float
    point_count: int


# A position as the batch carries it once checked: (time, lng, lat, accuracy in metres or None).
Position = tuple[datetime, float, float, float | None]


def _points(raw: Any, patrol: Patrol, now: datetime) -> list[Position]:
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"points": "points 必须是非空列表"})
    if len(raw) > MAX_BATCH_POINTS:
        raise ValidationError({"points": f"每批最多 {MAX_BATCH_POINTS} 个点"})
    out = []
    earliest, latest = patrol.started_at - CLOCK_SLACK, now + CLOCK_SLACK
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValidationError({f"points[{i}]": "每个点须为 {at, lng, lat, accuracy}"})
        at = parse_time(item.get("at"), f"points[{i}].at")
        if at < earliest or at > latest:
            raise ValidationError({f"points[{i}].at": "位置时间不在本次巡查期间"})
        accuracy = item.get("accuracy")
        out.append(
            (
                at,
                _coordinate(item.get("lng"), f"points[{i}].lng", -180, 180),
                _coordinate(item.get("lat"), f"points[{i}].lat", -90, 90),
                None
                if accuracy in (None, "")
                else _coordinate(accuracy, f"points[{i}].accuracy", 0, 100_000),
            )
        )
    out.sort(key=lambda p: p[0])
    return out


def _as_geo(point: TrackPoint) -> geo.Point:
    return (point.at.timestamp(), point.lng, point.lat, point.accuracy_m)


def _last_point_at(patrol: Patrol) -> datetime | None:
    return TrackPoint.objects.filter(patrol=patrol).order_by("-at").values_list("at", flat=True).first()


# Rows per INSERT statement: 5 values a row within the 999 bound parameters any SQLite takes.
INSERT_ROWS = 199


def _insert_positions(patrol_id: int, rows: list[Position]) -> None:
    """One multi-row INSERT of the batch's positions (a few statements for the largest batch):
    values as the database takes them, no model instance per position (`bulk_create` spent most
    of a batch's time building and converting them)."""
    quote = connection.ops.quote_name
    meta = TrackPoint._meta
    names = ("patrol", "at", "lng", "lat", "accuracy_m")
    columns = ", ".join(quote(cast("Field[Any, Any]", meta.get_field(f)).column) for f in names)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_ROWS):
            chunk = rows[start : start + INSERT_ROWS]
            marks = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            params: list[Any] = []
            for at, lng, lat, accuracy in chunk:
                params += (patrol_id, adapt(at), lng, lat, accuracy)
            # Table and column names come from the model; values are bound parameters.
            cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {marks}", params)  # noqa: S608


@transaction.atomic
def add_points(
    *, user: Any, patrol: Patrol, seq: Any, points: Any, now: datetime | None = None
) -> BatchResult:
    """Store one batch of positions. The same (patrol, seq) again stores nothing and answers as
    the first time (duplicate True); another body under a used seq is a 409.

    A batch is a handful of statements whatever its size: lock the patrol, look for the batch,
    insert the batch row, read the position before it, insert the positions (one statement),
    update the patrol's running totals, one audit row."""
    now = now or timezone.now()
    seq_value = whole(seq, "seq", high=2**31 - 1)
    digest = body_hash(points)
    # The row lock orders this batch after an end or another batch of the same patrol: a retry
    # racing the first try waits for it here, then finds the batch stored. (SQLite: the
    # transaction's BEGIN IMMEDIATE already orders every writer.)
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    stored = (
        TrackBatch.objects.filter(patrol=patrol, seq=seq_value).values_list("body_hash", "points").first()
    )
    if stored is not None:
        if stored[0] != digest:
            raise ConflictError("这一批的序号已用于内容不同的位置", seq=seq_value)
        return BatchResult(seq_value, stored[1], True, float(patrol.distance_m), int(patrol.point_count))
    _own_active(user, patrol)
    rows = _points(points, patrol, now)
    TrackBatch.objects.bulk_create(
        [TrackBatch(patrol=patrol, seq=seq_value, body_hash=digest, points=len(rows))]
    )
    previous = (
        TrackPoint.objects.filter(patrol=patrol, at__lt=rows[0][0])
        .order_by("-at")
        .values_list("at", "lng", "lat", "accuracy_m")
        .first()
    )
    _insert_positions(patrol.pk, rows)
    walked = geo.walked_m(
        [(at.timestamp(), lng, lat, accuracy) for at, lng, lat, accuracy in rows],
        (previous[0].timestamp(), previous[1], previous[2], previous[3]) if previous else None,
    )
    before = int(patrol.point_count)
    # The row is locked: its totals are current, so the new ones are written as values.
    patrol.distance_m = float(patrol.distance_m) + walked
    patrol.point_count = before + len(rows)
    Patrol.objects.filter(pk=patrol.pk).update(distance_m=patrol.distance_m, point_count=patrol.point_count)
    record(
        Action.UPDATE,
        patrol,
        changes={"point_count": [before, patrol.point_count]},
        message=f"track batch {seq_value}: {len(rows)} positions",
    )
    return BatchResult(seq_value, len(rows), False, patrol.distance_m, patrol.point_count)


def _finish(patrol: Patrol, ended: datetime) -> Patrol:
    """End a patrol at `ended`: the exact distance and the simplified track from all its points."""
    points = list(TrackPoint.objects.filter(patrol=patrol).order_by("at", "pk"))
    patrol.distance_m = round(geo.walked_m([_as_geo(p) for p in points]), 1)
    patrol.point_count = len(points)
    good = [(p.lng, p.lat) for p in points if p.accuracy_m is None or p.accuracy_m <= geo.MAX_ACCURACY_M]
    patrol.track = geo.simplified(good)
    patrol.checkin_count = CheckIn.objects.filter(patrol=patrol).count()
    patrol.ended_at = max(ended, patrol.started_at)
    patrol.status = PatrolStatus.ENDED
    patrol.version += 1
    patrol.save()
    return patrol


@logs_failures(Action.UPDATE)
@transaction.atomic
def end_patrol(*, user: Any, patrol: Patrol, ended_at: Any = None, now: datetime | None = None) -> Patrol:
    """End the caller's patrol (again: the patrol as ended, nothing changes)."""
    now = now or timezone.now()
    patrol = Patrol.objects.select_for_update().get(pk=patrol.pk)
    if patrol.worker_id != getattr(user, "pk", None):
        deny(user, "patrol of another worker", patrol)
        raise PermissionDenied("只能结束自己开始的巡查")
    if patrol.status == PatrolStatus.ENDED:
        return patrol
    ended = parse_time(ended_at, "ended_at", default=now)
    if ended > now + CLOCK_SLACK:
        raise ValidationError({"ended_at": "结束时间不能晚于现在"})
    if ended < patrol.started_at:
        raise ValidationError({"ended_at": "结束时间不能早于开始时间"})
    last = _last_point_at(patrol)
    return _finish(patrol, max(ended, last) if last else ended)


def _building_for(patrol: Patrol, building_id: Any, code: str) -> tuple[Node | None, str]:
    """The building meant (by id or by code) and how it was named."""
    if code:
        full, short = codes.parse(code)
        if full:
            return Node.objects.filter(code=full, level=Level.BUILDING).first(), CheckinMethod.QR
        if short:
            for building in Node.objects.filter(parent=patrol.grid, level=Level.BUILDING):
                if codes.short_code(building.code) == short:
                    return building, CheckinMethod.CODE
            return None, CheckinMethod.CODE
        raise ValidationError({"code": "无法识别的楼栋码：请扫描楼栋二维码或输入码下方的六位楼栋码"})
    if building_id in (None, ""):
        raise ValidationError({"building_id": "请提供楼栋（building_id）或楼栋码（code）"})
    pk = whole(building_id, "building_id")
    return Node.objects.filter(pk=pk, level=Level.BUILDING).first(), CheckinMethod.GEOFENCE


@logs_failures(Action.CREATE)
@transaction.atomic
def check_in(
    *,
    user: Any,
    patrol: Patrol,
    building_id: Any = None,
    code: str = "",
    lng: Any = None,
    lat: Any = None,
    accuracy: Any = None,
    at: Any = None,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Check in at a building of the patrol's grid: by a scanned or typed building code, or by
    standing within the rule's radius of its point. Once per building per patrol (again: the
    first check-in, created False)."""
    now = now or timezone.now()
    patrol = Patrol.objects.select_related("grid").select_for_update(of=("self",)).get(pk=patrol.pk)
    _own_active(user, patrol)
    building, method = _building_for(patrol, building_id, (code or "").strip())
    if building is None and method == CheckinMethod.CODE:
        raise ValidationError({"code": "本网格没有这个楼栋码：请核对码下方的六位字符"})
    if building is None or building.parent_id != patrol.grid_id:
        deny(user, "check-in outside the patrol's grid", building, path="" if building else patrol.path)
        raise PermissionDenied("该楼栋不在本次巡查的网格内，不能签到")
    existing = CheckIn.objects.filter(patrol=patrol, building=building).first()
    if existing is not None:
        return existing, False
    when = parse_time(at, "at", default=now)
    if when < patrol.started_at - CLOCK_SLACK or when > now + CLOCK_SLACK:
        raise ValidationError({"at": "签到时间不在本次巡查期间"})
    point_lng = _coordinate(lng, "lng", -180, 180) if lng not in (None, "") else None
    point_lat = _coordinate(lat, "lat", -90, 90) if lat not in (None, "") else None
    distance = None
    if (
        point_lng is not None
        and point_lat is not None
        and building.lng is not None
        and building.lat is not None
    ):
        distance = round(geo.distance_m(point_lng, point_lat, building.lng, building.lat), 1)
    if method == CheckinMethod.GEOFENCE:
        if distance is None:
            raise ValidationError({"lng": "位置签到需要当前位置（lng、lat），或扫描楼栋二维码"})
        radius = rule_for(patrol.grid).radius_m
        # A fix is a circle: its accuracy (up to the radius again) counts in the worker's favour.
        slack = min(float(accuracy or 0), float(radius)) if accuracy not in (None, "") else 0.0
        if distance - slack > radius:
            raise ValidationError(
                {
                    "lng": f"距离{building.name}约 {distance:.0f} 米，超出签到范围（{radius} 米）：请走近或扫码签到"
                }
            )
    checkin = CheckIn.objects.create(
        patrol=patrol,
        worker_id=patrol.worker_id,
        grid_id=patrol.grid_id,
        building=building,
        path=building.path,
        county_code=building.county_code,
        at=when,
        method=method,
        lng=point_lng,
        lat=point_lat,
        distance_m=distance,
    )
    Patrol.objects.filter(pk=patrol.pk).update(checkin_count=F("checkin_count") + 1)
    coverage = BuildingCoverage.objects.select_for_update().filter(building=building).first()
    if coverage is None:
        BuildingCoverage.objects.create(
            building=building,
            grid_id=patrol.grid_id,
            path=building.path,
            county_code=building.county_code,
            last_checkin_at=when,
            checkins=1,
        )
    else:
        coverage.last_checkin_at = max(coverage.last_checkin_at, when)
        coverage.checkins += 1
        coverage.save(update_fields=["last_checkin_at", "checkins"])
    return checkin, True


@logs_failures(Action.CREATE)
@transaction.atomic
def link_finding(
    *,
    user: Any,
    patrol: Patrol,
    kind: str,
    report_key: str = "",
    resident_id: Any = None,
    household_id: Any = None,
    note: str = "",
) -> tuple[Finding, bool]:
    """Link what was reported during the patrol to it: an event or dispute by the key it was
    reported with (its own door wrote it), a registry update by the resident or household."""
    from gridgov.registry.models import Household, Resident

    if patrol.worker_id != getattr(user, "pk", None):
        deny(user, "patrol of another worker", patrol)
        raise PermissionDenied("只能为自己的巡查登记发现")
    if kind not in FindingKind.values:
        raise ValidationError({"kind": f"kind 须为 {'、'.join(FindingKind.values)} 之一"})
    key = (report_key or "").strip()
    if len(key) > 100:
        raise ValidationError({"report_key": "report_key 最长 100 个字符"})
    fields: dict[str, Any] = {"note": (note or "").strip()[:200]}
    if kind in (FindingKind.EVENT, FindingKind.DISPUTE):
        if not key:
            raise ValidationError({"report_key": "请提供上报时使用的 Idempotency-Key"})
        found = Finding.objects.filter(patrol=patrol, report_key=key).first()
        if found is not None:
            return found, False
        fields["event_id"] = _event_of(user, key)
    else:
        for name, model, value in (
            ("resident_id", Resident, resident_id),
            ("household_id", Household, household_id),
        ):
            if value in (None, ""):
                continue
            pk = whole(value, name)
            if not model.objects.filter(pk=pk).restrict(user, Cap.VIEW_REGISTRY).exists():
                raise ValidationError({name: "不存在或不在您的范围内"})
            fields[name] = pk
        if "resident_id" not in fields and "household_id" not in fields:
            raise ValidationError({"resident_id": "请提供更新的居民（resident_id）或户（household_id）"})
        if key:
            found = Finding.objects.filter(patrol=patrol, report_key=key).first()
            if found is not None:
                return found, False
    finding = Finding.objects.create(
        patrol=patrol, kind=kind, report_key=key, path=patrol.path, county_code=patrol.county_code, **fields
    )
    return finding, True


def _event_of(user: Any, key: str) -> int | None:
    from gridgov.events.intake import receipt_for

    receipt = receipt_for(user, key)
    return receipt.event.pk if receipt is not None and receipt.event is not None else None


def link_reported_findings(limit: int = 500) -> int:
    """Fill the event of findings whose queued report has been written since (the worker)."""
    from gridgov.events.models import IdempotencyKey

    linked = 0
    pending = Finding.objects.filter(event__isnull=True, kind__in=[FindingKind.EVENT, FindingKind.DISPUTE])
    for finding in pending.select_related("patrol").order_by("pk")[:limit]:
        event_id = (
            IdempotencyKey.objects.filter(
                user_id=finding.patrol.worker_id, scope="event", key=finding.report_key, event__isnull=False
            )
            .values_list("event_id", flat=True)
            .first()
        )
        if event_id:
            finding.event_id = event_id
            finding.save(update_fields=["event"])
            linked += 1
    return linked


def purge_tracks(now: datetime | None = None, batch: int = 200) -> int:
    """Delete the positions of patrols older than PATROL_TRACK_KEEP_DAYS and empty their
    simplified track (the patrol's dates, distance and check-ins stay for the statistics).
    Returns the number of patrols purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PATROL_TRACK_KEEP_DAYS)
    purged = 0
    while True:
        ids = list(
            Patrol.objects.filter(started_at__lt=cutoff, track_purged=False)
            .order_by("started_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return purged
        with transaction.atomic():
            points = TrackPoint.objects.filter(patrol_id__in=ids)._raw_delete(TrackPoint.objects.db)
            TrackBatch.objects.filter(patrol_id__in=ids)._raw_delete(TrackBatch.objects.db)
            Patrol.objects.filter(pk__in=ids).update(track=[], track_purged=True, status=PatrolStatus.ENDED)
            record(
                Action.DELETE,
                object_type="patrols.trackpoint",
                message=f"purge: positions of {len(ids)} patrols started before {cutoff:%Y-%m-%d} "
                f"({points} points; kept {settings.PATROL_TRACK_KEEP_DAYS} days)",
            )
        purged += len(ids)


def points_of(patrol: Patrol) -> Sequence[TrackPoint]:
    return list(TrackPoint.objects.filter(patrol=patrol).order_by("at", "pk"))
