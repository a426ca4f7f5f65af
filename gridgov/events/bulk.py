"""City scale: a year of events (one million by default) bulk inserted for benchmarks and demos.

Rows are written straight to the table (COPY on PostgreSQL, executemany on SQLite) in batches
that commit one by one, with a progress bar. The state mix depends on age (old events are mostly
closed; recent ones spread over every open state); deadlines use calendar-hour approximations of
the categories' limits (working hours × 3.2), so open events past their deadline are overdue, as
after a real year. Timelines (EventStep) are not generated for these rows; the demo events made
through the services have real ones. One audit row summarises the load.
"""

import math
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from shapely.geometry import shape

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext, secondary_indexes
from gridgov.events.models import OPEN_STATES, Category, Event, Organisation, State, TimeBasis
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.hierarchy.partition import scatter
from gridgov.hierarchy.paths import LEVEL_ORDER

CITY_EVENTS = 1_000_000
BATCH = 20_000
WORKING_FACTOR = 3.2  # calendar hours per working hour, roughly (7.5 h a day, 5 days a week)

COLUMNS = [
    "path",
    "county_code",
    "number",
    "description",
    "severity",
    "state",
    "lng",
    "lat",
    "address",
    "channel",
    "due_at",
    "resolve_due_at",
    "overdue",
    "is_open",
    "paused_at",
    "supervision",
    "escalations",
    "escalated_at",
    "reopen_count",
    "satisfaction",
    "version",
    "created_at",
    "updated_at",
    "closed_at",
    "category_id",
    "grid_id",
    "handling_node_id",
    "merged_into_id",
    "reporter_id",
    "lead_org_id",
]

S = State
# (upper age in days, [(state, weight)]): where an event of that age is likely to be now.
STATE_MIX: list[tuple[float, list[tuple[str, float]]]] = [
    (
        1,
        [
            (S.REPORTED, 30),
            (S.ACCEPTED, 12),
            (S.DISPATCHED, 20),
            (S.ACKNOWLEDGED, 10),
            (S.IN_PROGRESS, 15),
            (S.HANDLED, 6),
            (S.CLOSED, 5),
            (S.RETURNED, 1),
            (S.MERGED, 1),
        ],
    ),
    (
        7,
        [
            (S.REPORTED, 2),
            (S.ACCEPTED, 3),
            (S.DISPATCHED, 5),
            (S.ACKNOWLEDGED, 5),
            (S.IN_PROGRESS, 15),
            (S.SUSPENDED, 3),
            (S.HANDLED, 15),
            (S.REOPENED, 2),
            (S.CLOSED, 45),
            (S.RETURNED, 2),
            (S.MERGED, 3),
        ],
    ),
    (
        30,
        [
            (S.DISPATCHED, 1),
            (S.ACKNOWLEDGED, 1),
            (S.IN_PROGRESS, 6),
            (S.SUSPENDED, 3),
            (S.HANDLED, 8),
            (S.REOPENED, 1),
            (S.CLOSED, 75),
            (S.RETURNED, 2),
            (S.MERGED, 3),
        ],
    ),
    (
        366,
        [
            (S.DISPATCHED, 0.3),
            (S.ACKNOWLEDGED, 0.3),
            (S.IN_PROGRESS, 1),
            (S.SUSPENDED, 0.5),
            (S.HANDLED, 2),
            (S.REOPENED, 0.4),
            (S.CLOSED, 90.5),
            (S.RETURNED, 2),
            (S.MERGED, 3),
        ],
    ),
]
DISPATCHED_STATES = {
    S.DISPATCHED,
    S.ACKNOWLEDGED,
    S.IN_PROGRESS,
    S.SUSPENDED,
    S.HANDLED,
    S.REOPENED,
    S.CLOSED,
}
CLOCK = {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED}
# How often each category is reported, relative (heating and city appearance dominate in Hohhot).
CATEGORY_WEIGHT = {
    "heating": 12,
    "city": 14,
    "water": 6,
    "power": 4,
    "gas": 2,
    "fire": 5,
    "market": 6,
    "housing": 8,
    "civil": 6,
    "labour": 3,
    "health": 3,
    "safety": 3,
    "order": 5,
    "dispute": 10,
}
CHANNELS = [("app", 88), ("web", 8), ("open311", 4)]
SPOTS_PER_GRID = 24


def _hours(category: Category, hours: int) -> float:
    return hours * (WORKING_FACTOR if category.time_basis == TimeBasis.WORKING else 1.0)


class _Plan:
    """Everything a row needs, looked up once."""

    def __init__(self, ctx: SeedContext) -> None:
        self.rng = ctx.rng
        self.grids: list[Node] = ctx.shared.get("grids") or list(Node.objects.filter(level=Level.GRID))
        self.nodes_by_path = {
            path: pk
            for pk, path in Node.objects.exclude(level__in=[Level.GRID, Level.BUILDING]).values_list(
                "pk", "path"
            )
        }
        self.workers = dict(
            RoleAssignment.objects.filter(role=Role.GRID_WORKER).values_list("node_id", "user_id")
        )
        leaves = list(Category.objects.filter(active=True, parent__isnull=False).select_related("parent"))
        self.categories = leaves
        self.category_cum = list(
            accumulate(CATEGORY_WEIGHT.get(c.parent.code if c.parent else "", 3) for c in leaves)
        )
        self.orgs: dict[str, dict[str, int]] = {}
        for pk, kind, path in Organisation.objects.filter(active=True).values_list("pk", "kind", "path"):
            self.orgs.setdefault(kind, {})[path] = pk
        self.ancestors: dict[int, list[str]] = {g.pk: g.ancestor_paths() for g in self.grids}
        self.spots: dict[int, list[tuple[float, float]]] = {}

    def spot(self, grid: Node) -> tuple[float, float]:
        """A place inside the grid where an event is reported (a few per grid, drawn once)."""
        if grid.pk not in self.spots:
            if grid.boundary:
                self.spots[grid.pk] = scatter(shape(grid.boundary), SPOTS_PER_GRID, random.Random(grid.code))
            else:
                self.spots[grid.pk] = [(grid.lng or 0, grid.lat or 0)]
        spots = self.spots[grid.pk]
        return spots[self.rng.randrange(len(spots))]

    def lead_org(self, category: Category, grid: Node) -> int | None:
        by_path = self.orgs.get(category.owner_kind, {})
        for path in reversed(self.ancestors[grid.pk]):
            if path in by_path:
                return by_path[path]
        return None

    def handling_node(self, grid: Node, escalations: int) -> int:
        # community, township, county, city: cut the grid's path one level up per escalation
        levels = LEVEL_ORDER[: LEVEL_ORDER.index(Level.COMMUNITY) + 1]
        level = levels[max(0, len(levels) - 1 - escalations)]
        return self.nodes_by_path[paths.at_level(grid.path, level)]


_MIX = [
    (upper, [state for state, _w in mix], list(accumulate(w for _s, w in mix))) for upper, mix in STATE_MIX
]


def _state_for(rng: random.Random, age_days: float) -> str:
    for upper, states, cum in _MIX:
        if age_days <= upper:
            return rng.choices(states, cum_weights=cum)[0]
    return S.CLOSED


def _adapter() -> Any:
    """Datetimes as the backend stores them: aware for PostgreSQL, naive UTC text for SQLite (as
    Django's own adapter does, without its per-value overhead)."""
    if connection.vendor == "postgresql":
        return lambda value: value

    def sqlite_value(value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    return sqlite_value


def _rows(plan: _Plan, count: int, now: datetime, start_number: int) -> Iterator[tuple[Any, ...]]:
    rng = plan.rng
    adapt = _adapter()
    # Ages drawn first and sorted oldest first, so ids grow with time as they would in real life.
    ages = sorted((rng.random() * 365 for _ in range(count)), reverse=True)
    channels = [c for c, _w in CHANNELS]
    channel_cum = list(accumulate(w for _c, w in CHANNELS))
    for n, age in enumerate(ages):
        created = now - timedelta(days=age)
        grid = plan.grids[rng.randrange(len(plan.grids))]
        category = rng.choices(plan.categories, cum_weights=plan.category_cum)[0]
        state = _state_for(rng, age)
        lead = plan.lead_org(category, grid) if state in DISPATCHED_STATES else None
        if state in DISPATCHED_STATES and lead is None:
            state = S.ACCEPTED
        ack = _hours(category, category.ack_hours)
        resolve_due = created + timedelta(hours=_hours(category, category.resolve_hours))
        due = closed = paused = escalated = None
        satisfaction = None
        if state in (S.REPORTED, S.ACCEPTED, S.REOPENED, S.DISPATCHED):
            due = created + timedelta(hours=ack * (1 + rng.random()))
        elif state in (S.ACKNOWLEDGED, S.IN_PROGRESS):
            due = resolve_due
        elif state == S.SUSPENDED:
            due, paused = resolve_due, created + timedelta(hours=ack * 2)
        elif state in (S.CLOSED, S.MERGED):
            closed = created + timedelta(
                hours=_hours(category, category.resolve_hours) * rng.uniform(0.2, 1.3)
            )
            closed = min(closed, now)
            satisfaction = rng.choices([5, 4, 3, 2, 1], [60, 25, 9, 4, 2])[0] if state == S.CLOSED else None
        overdue = bool(state in CLOCK and due is not None and due < now)
        escalations = 0
        supervision = ""
        if overdue:
            escalations = rng.choices([0, 1, 2, 3], [50, 30, 15, 5])[0]
            escalated = now  # as if the worker had already taken each one as far as it goes
            supervision = rng.choices(["", "yellow", "red"], [70, 22, 8])[0]
        description = f"{grid.name}：{category.name}（第{start_number + n}号）"
        lng, lat = plan.spot(grid)
        yield (
            grid.path,
            grid.county_code,
            f"SJ{created:%Y%m%d}Z{start_number + n:09d}",
            description,
            category.severity,
            state,
            round(lng, 6),
            round(lat, 6),
            grid.name,
            rng.choices(channels, cum_weights=channel_cum)[0],
            adapt(due),
            adapt(resolve_due if state not in (S.REPORTED, S.RETURNED) else None),
            overdue,
            state in OPEN_STATES,
            adapt(paused),
            supervision,
            escalations,
            adapt(escalated),
            1 if state == S.REOPENED else 0,
            satisfaction,
            1,
            adapt(created),
            adapt(closed or created),
            adapt(closed),
            category.pk,
            grid.pk,
            plan.handling_node(grid, escalations),
            None,
            plan.workers.get(grid.pk),
            lead,
        )


def _insert(rows: list[tuple[Any, ...]]) -> None:
    table = Event._meta.db_table
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            # Table and column names are constants of this module, not input.
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608


def seed_city_events(ctx: SeedContext, count: int = CITY_EVENTS, now: datetime | None = None) -> int:
    """Insert `count` events spread over the past year; returns how many were inserted.

    The table's secondary indexes are dropped for the load and built again afterwards (much
    faster than updating them row by row), from their own definitions read from the database.
    """
    now = now or timezone.now()
    plan = _Plan(ctx)
    if not plan.grids or not plan.categories:
        return 0
    started = time.monotonic()
    rows = _rows(plan, count, now, start_number=Event.objects.count() + 1)
    batches = math.ceil(count / BATCH)
    indexes = secondary_indexes(Event)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        for _ in ctx.track(range(batches), "事件（一年）", batches):
            batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            with transaction.atomic():
                _insert(batch)
    finally:
        with connection.cursor() as cursor:
            for _name, sql in ctx.track(indexes, "事件索引", len(indexes)):
                cursor.execute(sql)
    analyze(Event)
    seconds = time.monotonic() - started
    record(
        Action.COMMAND,
        object_type="events.event",
        message=f"seed city: {count} events bulk inserted over the past year in {seconds:.0f} s",
    )
    ctx.say(f"[green]Events:[/green] {count:,} city-scale events in {seconds:.0f} s")
    return count
