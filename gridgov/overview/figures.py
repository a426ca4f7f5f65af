"""The overview's figures: what each one counts, from which table, per grid and per day.

A `Figure` is one entry: its key, label, section, whether it flows (counted on the day something
happened: events reported, closed…) or is a stock (the state now: open events, households…), the
capability a viewer needs over the node to see it, the list it links to, and its `source` — one
GROUP BY over a raw table that returns rollup rows for the grids under some paths (all grids when
`prefixes` is None). Adding a figure is adding one entry to FIGURES (and, for a ratio, one to
`RATIOS`); the rollups, the page, the API, the reports and the big screen read these tables.

Families (`family=True`) carry a dimension after their key: `events.category.<code>`,
`people.special.<tag>`, `disputes.open.<risk>`, `events.close_hours.<bucket>`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.hierarchy.paths import PATH_END

GRID_END = PATH_END["grid"]

# (grid path, county code, day or None for a stock, figure key, value)
Row = tuple[str, str, datetime.date | None, str, int]
Source = Callable[[list[str] | None], Iterable[Row]]

# Sections of the page, in order.
SECTIONS = {"people": "人口", "events": "事件", "disputes": "矛盾纠纷", "frontline": "一线工作"}
# The capability of events and disputes figures: the viewer's event scope (gridgov.accounts.scope).
EVENTS_CAP = "events"

FLOW, STOCK = "flow", "stock"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    section: str
    kind: str  # FLOW or STOCK
    source: Source
    cap: str = EVENTS_CAP
    family: bool = False
    # The list this figure links to: "events", "disputes", "tasks" (the grids' tasks) or
    # "screening" (the grids' answers) with these filters (board.list_url).
    link: tuple[str, dict[str, str]] | None = None
    unit: str = ""
    # Shown as a card on the page (False: an ingredient of a ratio only).
    shown: bool = True


@dataclass(frozen=True)
class Ratio:
    """A figure computed at read time from summed ones: numerator / denominator (× scale)."""

    key: str
    label: str
    section: str
    numerator: str
    denominator: str
    cap: str = EVENTS_CAP
    scale: float = 100.0
    unit: str = "%"
    link: tuple[str, dict[str, str]] | None = None


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def under(prefixes: list[str] | None, lookup: str = "path") -> Q:
    """Rows under any of these paths (None: every row)."""
    if prefixes is None:
        return Q()
    query = Q(pk__in=[])
    for prefix in prefixes:
        query |= Q(**{f"{lookup}__under": prefix})
    return query


def _grid(lookup: str = "path") -> Substr:
    return Substr(lookup, 1, GRID_END)


def _as_date(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, str):  # SQLite may hand back the date as text
        return datetime.date.fromisoformat(value[:10])
    return value  # type: ignore[no-any-return]


def per_day(
    queryset: QuerySet[Any],
    key: str,
    when: str,
    *,
    path: str = "path",
    county: str = "county_code",
    value: Any = None,
    dimension: str | None = None,
) -> Iterator[Row]:
    """Rows of a flow figure: per grid and local day of `when` (and `dimension`, for a family)."""
    fields = ["g", "c", "d"] + (["k"] if dimension else [])
    rows = (
        queryset.filter(**{f"{when}__isnull": False})
        .annotate(
            g=_grid(path),
            c=F(county),
            d=TruncDate(when, tzinfo=_tz()),
            **({"k": F(dimension)} if dimension else {}),
        )
        .values(*fields)
        .annotate(v=value if value is not None else Count("pk"))
        .order_by()
        .values_list(*fields, "v")
    )
    for row in rows:
        figure = f"{key}.{row[3]}" if dimension else key
        if row[-1]:
            yield row[0], row[1], _as_date(row[2]), figure, int(row[-1])


def per_grid(
    queryset: QuerySet[Any],
    key: str,
    *,
    path: str = "path",
    county: str = "county_code",
    value: Any = None,
    dimension: str | None = None,
) -> Iterator[Row]:
    """Rows of a stock figure: per grid (and `dimension`, for a family)."""
    fields = ["g", "c"] + (["k"] if dimension else [])
    rows = (
        queryset.annotate(g=_grid(path), c=F(county), **({"k": F(dimension)} if dimension else {}))
        .values(*fields)
        .annotate(v=value if value is not None else Count("pk"))
        .order_by()
        .values_list(*fields, "v")
    )
    for row in rows:
        figure = f"{key}.{row[2]}" if dimension else key
        if row[-1]:
            yield row[0], row[1], None, figure, int(row[-1])


def _models() -> Any:
    """The raw tables (imported late: this module is imported by the apps' own modules)."""
    from gridgov.accounts.models import RoleAssignment
    from gridgov.disputes.models import Dispute, FollowUp
    from gridgov.events.models import Event, EventAssignment
    from gridgov.registry.models import Household, Resident

    return Household, Resident, Event, EventAssignment, Dispute, FollowUp, RoleAssignment


# --- people ---------------------------------------------------------------------------------------


def households(prefixes: list[str] | None) -> Iterable[Row]:
    household, *_ = _models()
    return per_grid(household.objects.filter(under(prefixes), status="active"), "people.households")


def residents(prefixes: list[str] | None) -> Iterable[Row]:
    _, resident, *_ = _models()
    living = resident.objects.filter(under(prefixes), status__in=["present", "away"])
    return per_grid(living, "people.residents")


def _tagged(prefixes: list[str] | None, field: str, key: str) -> Iterable[Row]:
    """Counts per tag of a JSON list of tags (counted in Python: a JSON list has no portable
    GROUP BY, and only the tagged residents are read)."""
    _, resident, *_ = _models()
    rows = (
        resident.objects.filter(under(prefixes), status__in=["present", "away"])
        .exclude(**{field: []})
        .values_list("path", "county_code", field)
    )
    counts: dict[tuple[str, str, str], int] = {}
    for path, county, tags in rows.iterator(chunk_size=5000):
        for tag in tags or []:
            slot = (path[:GRID_END], county, str(tag))
            counts[slot] = counts.get(slot, 0) + 1
    return [(grid, county, None, f"{key}.{tag}", n) for (grid, county, tag), n in counts.items()]


def special_groups(prefixes: list[str] | None) -> Iterable[Row]:
    return _tagged(prefixes, "special_tags", "people.special")


def care_needs(prefixes: list[str] | None) -> Iterable[Row]:
    return _tagged(prefixes, "care_tags", "people.care")


def households_verified(prefixes: list[str] | None) -> Iterable[Row]:
    """Households by the day their data was last verified (gridgov.care: a visit, a check, a hand
    edit). A household counts once, on its latest day, so the share verified since a day is the
    sum from that day on."""
    from gridgov.care.models import Verification

    verified = Verification.objects.filter(under(prefixes), household__status="active")
    return per_day(verified, "people.verified", "verified_at")


# --- events -----------------------------------------------------------------------------------------

# Hours to close, bucketed so a median can be read from summed rollups: upper bounds.
CLOSE_HOUR_BUCKETS = (4, 8, 24, 48, 72, 120, 168, 336, 720, 100000)


def _events(prefixes: list[str] | None) -> QuerySet[Any]:
    event = _models()[2]
    return cast(QuerySet[Any], event.objects.filter(under(prefixes)))


def events_reported(prefixes: list[str] | None) -> Iterable[Row]:
    return per_day(_events(prefixes), "events.reported", "created_at")


def events_valid(prefixes: list[str] | None) -> Iterable[Row]:
    """Reports taken into handling: not sent back, not merged into another as a duplicate."""
    valid = _events(prefixes).exclude(state__in=["returned", "merged"])
    return per_day(valid, "events.valid", "created_at")


def events_closed(prefixes: list[str] | None) -> Iterable[Row]:
    closed = _events(prefixes).filter(state="closed")
    yield from per_day(closed, "events.closed", "closed_at")
    on_time = closed.filter(Q(resolve_due_at__isnull=True) | Q(closed_at__lte=F("resolve_due_at")))
    yield from per_day(on_time, "events.closed_on_time", "closed_at")
    rated = closed.filter(satisfaction__isnull=False)
    yield from per_day(rated, "events.satisfaction_n", "closed_at")
    yield from per_day(rated, "events.satisfaction_sum", "closed_at", value=Sum("satisfaction"))


def events_close_hours(prefixes: list[str] | None) -> Iterable[Row]:
    closed = _events(prefixes).filter(state="closed", closed_at__isnull=False)
    counts: dict[tuple[str, str, datetime.date, int], int] = {}
    tz = _tz()
    for path, county, created, closed_at in closed.values_list(
        "path", "county_code", "created_at", "closed_at"
    ).iterator(chunk_size=5000):
        hours = (closed_at - created).total_seconds() / 3600
        bucket = next(b for b in CLOSE_HOUR_BUCKETS if hours <= b)
        slot = (path[:GRID_END], county, closed_at.astimezone(tz).date(), bucket)
        counts[slot] = counts.get(slot, 0) + 1
    return [(g, c, d, f"events.close_hours.{b}", n) for (g, c, d, b), n in counts.items()]


def events_acknowledged(prefixes: list[str] | None) -> Iterable[Row]:
    """Lead dispatches acknowledged, on the day of acknowledgement, and those within the window."""
    assignment = _models()[3]
    lead = assignment.objects.filter(under(prefixes, "event__path"), role="lead")
    kwargs = {"path": "event__path", "county": "event__county_code"}
    yield from per_day(lead, "events.ack", "acknowledged_at", **kwargs)
    on_time = lead.filter(Q(ack_due_at__isnull=True) | Q(acknowledged_at__lte=F("ack_due_at")))
    yield from per_day(on_time, "events.ack_on_time", "acknowledged_at", **kwargs)


def events_by_category(prefixes: list[str] | None) -> Iterable[Row]:
    return per_day(_events(prefixes), "events.category", "created_at", dimension="category__code")


def events_now(prefixes: list[str] | None) -> Iterable[Row]:
    open_events = _events(prefixes).filter(is_open=True)
    yield from per_grid(open_events, "events.open")
    yield from per_grid(open_events.filter(overdue=True), "events.overdue")
    yield from per_grid(open_events.filter(supervision="red"), "events.red")
    yield from per_grid(open_events.filter(supervision="yellow"), "events.yellow")


# --- disputes ---------------------------------------------------------------------------------------

WARNING_LEVELS = ("high", "critical")


def _disputes(prefixes: list[str] | None) -> QuerySet[Any]:
    dispute = _models()[4]
    return cast(QuerySet[Any], dispute.objects.filter(under(prefixes)))


def disputes_open(prefixes: list[str] | None) -> Iterable[Row]:
    # As the dispute list's "open": its event is not closed or merged (an outcome may be recorded
    # while the event is still being closed).
    open_disputes = _disputes(prefixes).exclude(event__state__in=["closed", "merged"])
    return per_grid(open_disputes, "disputes.open", dimension="risk_level")


def disputes_new(prefixes: list[str] | None) -> Iterable[Row]:
    disputes = _disputes(prefixes)
    yield from per_day(disputes, "disputes.new", "created_at")
    yield from per_day(disputes.filter(risk_level__in=WARNING_LEVELS), "disputes.warnings", "created_at")


def disputes_concluded(prefixes: list[str] | None) -> Iterable[Row]:
    concluded = _disputes(prefixes).exclude(outcome="")
    yield from per_day(concluded, "disputes.concluded", "outcome_at")
    yield from per_day(concluded.filter(outcome="agreement"), "disputes.settled", "outcome_at")


def follow_ups(prefixes: list[str] | None) -> Iterable[Row]:
    """Planned follow-up visits due by today and not done; those past their day (a stock that
    moves at midnight: the worker rebuilds stocks once a day)."""
    follow_up = _models()[5]
    today = timezone.localdate()
    due = follow_up.objects.filter(under(prefixes, "dispute__path"), done_at__isnull=True, due_on__lte=today)
    kwargs = {"path": "dispute__path", "county": "dispute__county_code"}
    yield from per_grid(due, "disputes.follow_ups_due", **kwargs)
    yield from per_grid(due.filter(due_on__lt=today), "disputes.follow_ups_overdue", **kwargs)


# --- the front line ---------------------------------------------------------------------------------

POSTS = ("grid_chief", "grid_instructor", "grid_worker")


def staffing(prefixes: list[str] | None) -> Iterable[Row]:
    """Per grid: 1, its full-time workers, and the 1+1+1 posts left empty."""
    from gridgov.hierarchy.models import Node

    role_assignment = _models()[6]
    grids = Node.objects.filter(under(prefixes), level="grid").values_list("path", "county_code")
    held: dict[str, set[str]] = {}
    workers: dict[str, int] = {}
    for path, role in role_assignment.objects.filter(
        under(prefixes, "node__path"), node__level="grid", role__in=[*POSTS, "part_time_worker"]
    ).values_list("node__path", "role"):
        held.setdefault(path, set()).add(role)
        if role == "grid_worker":
            workers[path] = workers.get(path, 0) + 1
    for path, county in grids:
        yield path, county, None, "frontline.grids", 1
        if workers.get(path):
            yield path, county, None, "frontline.workers", workers[path]
        gaps = sum(1 for post in POSTS if post not in held.get(path, set()))
        if gaps:
            yield path, county, None, "frontline.staffing_gaps", gaps


def patrols(prefixes: list[str] | None) -> Iterable[Row]:
    """Patrols walked (gridgov.patrols), by the day they started; buildings by the day of their
    last check-in (each once: the share covered since a day is the sum from that day on)."""
    from gridgov.patrols.models import BuildingCoverage, Patrol

    yield from per_day(Patrol.objects.filter(under(prefixes)), "frontline.patrols", "started_at")
    yield from per_day(
        BuildingCoverage.objects.filter(under(prefixes)), "frontline.buildings_covered", "last_checkin_at"
    )


def buildings(prefixes: list[str] | None) -> Iterable[Row]:
    from gridgov.hierarchy.models import Node

    return per_grid(Node.objects.filter(under(prefixes), level="building"), "frontline.buildings")


def care_visits(prefixes: list[str] | None) -> Iterable[Row]:
    """Home visits made (gridgov.care), by day."""
    from gridgov.care.models import HomeVisit

    return per_day(HomeVisit.objects.filter(under(prefixes)), "frontline.visits", "visited_at")


def care_due(prefixes: list[str] | None) -> Iterable[Row]:
    """Residents whose care visit is due by today, and those past their day (a stock that moves at
    midnight: recounted daily)."""
    from gridgov.care.models import CareSchedule

    today = timezone.localdate()
    due = CareSchedule.objects.filter(under(prefixes), next_due__lte=today)
    yield from per_grid(due, "frontline.visits_due")
    yield from per_grid(due.filter(next_due__lt=today), "frontline.visits_overdue")


def tasks(prefixes: list[str] | None) -> Iterable[Row]:
    """Tasks given to grid workers (gridgov.tasks: one per grid a task reached or was held for),
    by the day given; those refused at admission (准入), by the same day, so the share refused in
    a period is the burden's (tasks.selectors.burden)."""
    from gridgov.tasks.models import AssignmentState, TaskAssignment

    given = TaskAssignment.objects.filter(under(prefixes))
    yield from per_day(given, "frontline.tasks", "created_at")
    yield from per_day(given.filter(state=AssignmentState.REFUSED), "frontline.tasks_refused", "created_at")


def screening_answers(prefixes: list[str] | None) -> Iterable[Row]:
    """Screening rounds answered by the grids (gridgov.screening: findings or a nil return), by
    the day answered."""
    from gridgov.screening.models import ReturnState, ScreeningReturn

    answered = ScreeningReturn.objects.filter(under(prefixes)).exclude(state=ReturnState.PENDING)
    return per_day(answered, "frontline.screening_answered", "answered_at")


_OPEN = {"state": "open"}
_ALL = {"state": "all"}

FIGURES: list[Figure] = [
    Figure("people.households", "在册户数", "people", STOCK, households, Cap.VIEW_REGISTRY, unit="户"),
    Figure("people.residents", "实有人口", "people", STOCK, residents, Cap.VIEW_REGISTRY, unit="人"),
    Figure(
        "people.special",
        "特殊人群",
        "people",
        STOCK,
        special_groups,
        Cap.SEE_SPECIAL_GROUPS,
        family=True,
        unit="人",
    ),
    Figure("people.care", "关爱对象", "people", STOCK, care_needs, Cap.VIEW_REGISTRY, family=True, unit="人"),
    Figure(
        "people.verified",
        "期内核实户数",
        "people",
        FLOW,
        households_verified,
        Cap.VIEW_REGISTRY,
        unit="户",
        shown=False,
    ),
    Figure("events.reported", "上报事件", "events", FLOW, events_reported, link=("events", {}), unit="件"),
    Figure("events.valid", "有效上报", "events", FLOW, events_valid, unit="件", shown=False),
    Figure("events.open", "未办结", "events", STOCK, events_now, link=("events", _OPEN), unit="件"),
    Figure(
        "events.overdue", "已超期", "events", STOCK, events_now, link=("events", {"overdue": "1"}), unit="件"
    ),
    Figure(
        "events.red",
        "红牌督办",
        "events",
        STOCK,
        events_now,
        link=("events", {"supervision": "red"}),
        unit="件",
    ),
    Figure(
        "events.yellow",
        "黄牌督办",
        "events",
        STOCK,
        events_now,
        link=("events", {"supervision": "yellow"}),
        unit="件",
    ),
    Figure(
        "events.closed",
        "办结事件",
        "events",
        FLOW,
        events_closed,
        link=("events", {"state": "closed"}),
        unit="件",
    ),
    Figure("events.closed_on_time", "按时办结", "events", FLOW, events_closed, shown=False),
    Figure("events.satisfaction_n", "满意度评价数", "events", FLOW, events_closed, shown=False),
    Figure("events.satisfaction_sum", "满意度合计", "events", FLOW, events_closed, shown=False),
    Figure("events.ack", "签收", "events", FLOW, events_acknowledged, shown=False),
    Figure("events.ack_on_time", "按时签收", "events", FLOW, events_acknowledged, shown=False),
    Figure("events.close_hours", "办结用时", "events", FLOW, events_close_hours, family=True, shown=False),
    Figure("events.category", "事件分类", "events", FLOW, events_by_category, family=True, shown=False),
    Figure(
        "disputes.open",
        "在办纠纷",
        "disputes",
        STOCK,
        disputes_open,
        family=True,
        link=("disputes", _OPEN),
        unit="件",
    ),
    Figure("disputes.new", "新增纠纷", "disputes", FLOW, disputes_new, link=("disputes", _ALL), unit="件"),
    Figure(
        "disputes.warnings",
        "新增预警",
        "disputes",
        FLOW,
        disputes_new,
        link=("disputes", {"risk": "high,critical", "state": "all"}),
        unit="件",
    ),
    Figure("disputes.concluded", "化解结案", "disputes", FLOW, disputes_concluded, unit="件", shown=False),
    Figure(
        "disputes.settled",
        "调解成功",
        "disputes",
        FLOW,
        disputes_concluded,
        link=("disputes", {"outcome": "agreement", "by": "outcome", "state": "all"}),
        unit="件",
    ),
    Figure(
        "disputes.follow_ups_due",
        "待回访",
        "disputes",
        STOCK,
        follow_ups,
        link=("disputes", {"follow_up": "due", "state": "all"}),
        unit="次",
    ),
    Figure("disputes.follow_ups_overdue", "回访逾期", "disputes", STOCK, follow_ups, unit="次"),
    Figure("frontline.grids", "网格数", "frontline", STOCK, staffing, Cap.VIEW, unit="个"),
    Figure("frontline.workers", "专职网格员", "frontline", STOCK, staffing, Cap.VIEW, unit="人"),
    Figure("frontline.staffing_gaps", "缺员岗位", "frontline", STOCK, staffing, Cap.VIEW, unit="个"),
    Figure("frontline.patrols", "巡查次数", "frontline", FLOW, patrols, unit="次"),
    Figure("frontline.buildings_covered", "期内巡到楼栋", "frontline", FLOW, patrols, unit="栋", shown=False),
    Figure("frontline.buildings", "楼栋数", "frontline", STOCK, buildings, Cap.VIEW, unit="栋", shown=False),
    Figure("frontline.visits", "入户走访", "frontline", FLOW, care_visits, Cap.VIEW_REGISTRY, unit="次"),
    Figure("frontline.visits_due", "待走访", "frontline", STOCK, care_due, Cap.VIEW_REGISTRY, unit="人"),
    Figure(
        "frontline.visits_overdue", "走访逾期", "frontline", STOCK, care_due, Cap.VIEW_REGISTRY, unit="人"
    ),
    Figure("frontline.tasks", "下达任务", "frontline", FLOW, tasks, link=("tasks", {}), unit="项"),
    Figure(
        "frontline.tasks_refused",
        "准入拒绝",
        "frontline",
        FLOW,
        tasks,
        link=("tasks", {"state": "refused"}),
        unit="项",
    ),
    Figure(
        "frontline.screening_answered",
        "排查已报送",
        "frontline",
        FLOW,
        screening_answers,
        link=("screening", {}),
        unit="次",
    ),
]

RATIOS: list[Ratio] = [
    Ratio(
        "frontline.patrol_coverage",
        "巡查覆盖率",
        "frontline",
        "frontline.buildings_covered",
        "frontline.buildings",
    ),
    Ratio(
        "people.freshness",
        "数据鲜度（期内核实）",
        "people",
        "people.verified",
        "people.households",
        Cap.VIEW_REGISTRY,
    ),
    Ratio("events.ack_rate", "按时签收率", "events", "events.ack_on_time", "events.ack"),
    Ratio("events.close_rate", "按时办结率", "events", "events.closed_on_time", "events.closed"),
    Ratio(
        "events.satisfaction",
        "满意度",
        "events",
        "events.satisfaction_sum",
        "events.satisfaction_n",
        scale=1.0,
        unit="分",
    ),
    Ratio("disputes.settled_rate", "调解成功率", "disputes", "disputes.settled", "disputes.concluded"),
    Ratio(
        "frontline.tasks_refused_rate",
        "准入拒绝占比",
        "frontline",
        "frontline.tasks_refused",
        "frontline.tasks",
        link=("tasks", {"state": "refused"}),
    ),
    Ratio(
        "frontline.households_per_worker",
        "户数/专职网格员",
        "frontline",
        "people.households",
        "frontline.workers",
        Cap.VIEW_REGISTRY,
        scale=1.0,
        unit="户",
    ),
]

BY_KEY: dict[str, Figure] = {f.key: f for f in FIGURES}


def figure_of(key: str) -> Figure | None:
    """The entry of a figure key (a family's member `people.special.x` → `people.special`)."""
    found = BY_KEY.get(key)
    if found is None and "." in key:
        found = BY_KEY.get(key.rsplit(".", 1)[0])
        if found is not None and not found.family:
            return None
    return found


def sources() -> list[Source]:
    """Each source once (several figures may come from one query)."""
    seen: list[Source] = []
    for figure in FIGURES:
        if figure.source not in seen:
            seen.append(figure.source)
    return seen


def stock_sources() -> list[Source]:
    return [s for s in sources() if any(f.source is s and f.kind == STOCK for f in FIGURES)]
