"""Patrols for the seeded city: each grid's full-time worker walks most working days between the
grid's buildings, checking in at some of them, so that coverage and due lists look as after real
weeks (a few buildings always due).

demo: the last 30 days, positions every 30 s for every patrol.
city: the last 90 days (the keeping period), positions only for the last 3 days (older patrols
keep their simplified track and figures), all bulk inserted (COPY on PostgreSQL).
"""

import itertools
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext, db_value, insert_rows
from gridgov.hierarchy.models import Level, Node
from gridgov.patrols import geo
from gridgov.patrols.models import BuildingCoverage, CheckIn, Patrol, TrackPoint
from gridgov.patrols.rules import ensure_default_rules

DEMO_DAYS, CITY_DAYS = 30, 90
CITY_POINT_DAYS = 3
POINT_EVERY_S = 30
WALK_MS = 1.1  # metres per second, with stops at doors


Building = tuple[int, str, str, float, float]  # pk, path, county code, lng, lat


def _route(rng: random.Random, buildings: list[Building]) -> list[int]:
    """Which buildings a patrol passes (indexes), in walking order."""
    count = len(buildings)
    visits = max(1, min(count, round(count * rng.uniform(0.35, 0.75))))
    chosen = rng.sample(range(count), visits)
    return sorted(chosen, key=lambda i: (buildings[i][3], buildings[i][4]))


def _line(stops: list[tuple[float, float]], rng: random.Random) -> list[tuple[float, float]]:
    """A walk through the stops with a little wander between them."""
    out = []
    for (a_lng, a_lat), (b_lng, b_lat) in itertools.pairwise(stops):
        out.append((a_lng, a_lat))
        mid = (
            (a_lng + b_lng) / 2 + rng.uniform(-1, 1) * 0.0003,
            (a_lat + b_lat) / 2 + rng.uniform(-1, 1) * 0.0002,
        )
        out.append(mid)
    out.append(stops[-1])
    return out


def _points_along(
    line: list[tuple[float, float]], start: datetime, rng: random.Random
) -> list[tuple[datetime, float, float, float]]:
    """Positions every POINT_EVERY_S seconds along the line at walking pace."""
    points = []
    t = start
    for (a_lng, a_lat), (b_lng, b_lat) in itertools.pairwise(line):
        metres = geo.distance_m(a_lng, a_lat, b_lng, b_lat)
        steps = max(1, int(metres / (WALK_MS * POINT_EVERY_S)))
        for k in range(steps):
            f = k / steps
            jitter = rng.gauss(0, 0.00002)
            points.append(
                (
                    t,
                    a_lng + (b_lng - a_lng) * f + jitter,
                    a_lat + (b_lat - a_lat) * f + jitter,
                    rng.uniform(4, 20),
                )
            )
            t += timedelta(seconds=POINT_EVERY_S)
    points.append((t, line[-1][0], line[-1][1], 6.0))
    return points


PATROL_COLUMNS = [
    "id",
    "path",
    "county_code",
    "key",
    "worker",
    "grid",
    "status",
    "started_at",
    "ended_at",
    "distance_m",
    "point_count",
    "checkin_count",
    "track",
    "track_purged",
    "version",
    "created_at",
]
CHECKIN_COLUMNS = ["path", "county_code", "patrol", "worker", "grid", "building", "at", "method"]
GRIDS_PER_CHUNK = 200


def _dt(value: datetime) -> Any:
    return db_value(Patrol, "started_at", value)


class _Walks:
    """The rows of a chunk of grids' patrols, generated together and inserted together."""

    def __init__(
        self, rng: random.Random, now: datetime, days: int, point_since: datetime, next_pk: int
    ) -> None:
        self.rng, self.now, self.days, self.point_since = rng, now, days, point_since
        self.next_pk = next_pk
        self.last: dict[int, tuple[datetime, int, int, str, str]] = {}
        self.counts = {"patrols": 0, "checkins": 0, "points": 0}
        self.tz = timezone.get_current_timezone()

    def grid(
        self,
        grid: Node,
        worker: int,
        buildings: list[Building],
        patrols: list[Any],
        checkins: list[Any],
        points: list[Any],
    ) -> None:
        rng = self.rng
        for day in range(self.days, 0, -1):
            date = (self.now - timedelta(days=day)).astimezone(self.tz)
            if (date.weekday() >= 5 and rng.random() < 0.8) or rng.random() < 0.15:
                continue
            start = date.replace(hour=rng.randint(8, 15), minute=rng.randint(0, 59), second=0, microsecond=0)
            order = _route(rng, buildings)
            stops = [(buildings[i][3], buildings[i][4]) for i in order]
            if len(stops) == 1:
                stops.append((stops[0][0] + 0.002, stops[0][1] + 0.001))
            walk = _points_along(_line(stops, rng), start, rng)
            end = walk[-1][0] + timedelta(minutes=rng.randint(2, 10))
            pk = self.next_pk
            self.next_pk += 1
            step = max(1, len(walk) // len(order))
            for n, i in enumerate(order):
                b_pk, b_path, b_county, _lng, _lat = buildings[i]
                at = walk[min(len(walk) - 1, n * step)][0]
                method = "qr" if rng.random() < 0.6 else "geofence"
                checkins.append((b_path, b_county, pk, worker, grid.pk, b_pk, _dt(at), method))
                seen = self.last.get(b_pk)
                self.last[b_pk] = (
                    max(at, seen[0]) if seen else at,
                    (seen[1] if seen else 0) + 1,
                    grid.pk,
                    b_path,
                    b_county,
                )
            if start >= self.point_since:
                points.extend((pk, _dt(t), lng, lat, acc) for t, lng, lat, acc in walk)
            distance = geo.walked_m([(p[0].timestamp(), p[1], p[2], p[3]) for p in walk])
            track = db_value(Patrol, "track", geo.simplified([(p[1], p[2]) for p in walk]))
            patrols.append(
                (
                    pk,
                    grid.path,
                    grid.county_code,
                    uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                    worker,
                    grid.pk,
                    "ended",
                    _dt(start),
                    _dt(end),
                    round(distance, 1),
                    len(walk),
                    len(order),
                    track,
                    False,
                    2,
                    _dt(end),
                )
            )


def seed(ctx: SeedContext) -> None:
    ensure_default_rules()
    now = timezone.now()
    days = CITY_DAYS if ctx.is_city else DEMO_DAYS
    point_since = now - timedelta(days=CITY_POINT_DAYS if ctx.is_city else DEMO_DAYS + 1)
    workers = dict(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, node__level=Level.GRID).values_list(
            "node_id", "user_id"
        )
    )
    grids = [g for g in Node.objects.filter(level=Level.GRID).order_by("path") if g.pk in workers]
    by_grid: dict[int, list[Building]] = {}
    for pk, parent, path, county, lng, lat in Node.objects.filter(
        level=Level.BUILDING, lng__isnull=False
    ).values_list("pk", "parent_id", "path", "county_code", "lng", "lat"):
        by_grid.setdefault(parent, []).append((pk, path, county, float(lng or 0), float(lat or 0)))
    first_pk = (Patrol.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    walks = _Walks(random.Random(ctx.rng.random()), now, days, point_since, first_pk)
    chunks = [grids[i : i + GRIDS_PER_CHUNK] for i in range(0, len(grids), GRIDS_PER_CHUNK)]
    for chunk in ctx.track(chunks, "巡查（巡网走格）"):
        patrols: list[Any] = []
        checkins: list[Any] = []
        points: list[Any] = []
        for grid in chunk:
            if by_grid.get(grid.pk):
                walks.grid(grid, workers[grid.pk], by_grid[grid.pk], patrols, checkins, points)
        with transaction.atomic():
            walks.counts["patrols"] += insert_rows(Patrol, PATROL_COLUMNS, patrols)
            walks.counts["checkins"] += insert_rows(CheckIn, CHECKIN_COLUMNS, checkins)
            walks.counts["points"] += insert_rows(
                TrackPoint, ["patrol", "at", "lng", "lat", "accuracy_m"], points, batch_size=20_000
            )
    with transaction.atomic():
        insert_rows(
            BuildingCoverage,
            ["building", "grid", "path", "county_code", "last_checkin_at", "checkins"],
            ((b, g, path, county, _dt(at), n) for b, (at, n, g, path, county) in walks.last.items()),
        )
        if connection.vendor == "postgresql" and walks.next_pk > first_pk:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [Patrol._meta.db_table, walks.next_pk - 1],
                )
        record(
            Action.COMMAND,
            object_type="patrols.patrol",
            message=f"seed {ctx.scale}: {walks.counts['patrols']} patrols over {days} days, "
            f"{walks.counts['checkins']} check-ins, {walks.counts['points']} positions",
        )
    analyze(Patrol, CheckIn, TrackPoint, BuildingCoverage)
    ctx.say(
        f"[green]Patrols:[/green] {walks.counts['patrols']} patrols, {walks.counts['checkins']} check-ins, "
        f"{walks.counts['points']} positions, {len(walks.last)} buildings covered"
    )
