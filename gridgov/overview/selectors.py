"""Reads of the overview: the rollups of a node's subtree summed at read time, per child unit,
for a period; what a viewer may see of them; the 12-month trend.

Whole months of a period are read from month rows, the days at its edges from day rows, and the
stocks from their one row per grid, so a year at the city reads twelve rows per grid and figure.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Substr

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import Who, can, event_scope, principal_of
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node, child_level
from gridgov.overview.figures import (
    CLOSE_HOUR_BUCKETS,
    EVENTS_CAP,
    FIGURES,
    RATIOS,
    SECTIONS,
    Ratio,
    figure_of,
)
from gridgov.overview.models import Grain, Rollup
from gridgov.overview.period import Period

Values = dict[str, int]


def _period_q(period: Period) -> Q:
    first, after = period.months()
    days = Q(grain=Grain.DAY, day__gte=period.start, day__lte=period.end) & (
        Q(day__lt=first) | Q(day__gte=after)
    )
    query = Q(grain=Grain.STOCK) | days
    if first < after:
        query |= Q(grain=Grain.MONTH, day__gte=first, day__lt=after)
    return query


def sums_by_child(
    path: str, period: Period, *, width: int | None = None, prefixes: tuple[str, ...] = ()
) -> dict[str, Values]:
    """{child path: {figure: value}} for the subtree of `path`, children at `width` characters
    (default: one level down; a grid's own path at grid level). Filtering figures by
    `prefixes` ("events." …) reads fewer rows. No scope check: callers check the node first."""
    if width is None:
        level = paths.level_of(path)
        below = child_level(level)
        width = paths.PATH_END[below] if below and level != Level.GRID else len(path)
    rows = Rollup.objects.filter(path__under=path).filter(_period_q(period))
    if prefixes:
        query = Q(pk__in=[])
        for prefix in prefixes:
            query |= Q(figure__startswith=prefix)
        rows = rows.filter(query)
    found: dict[str, Values] = defaultdict(dict)
    for child, figure, value in (
        rows.annotate(child=Substr("path", 1, width))
        .values("child", "figure")
        .annotate(v=Sum("value"))
        .values_list("child", "figure", "v")
        .order_by()
    ):
        found[child][figure] = int(value or 0)
    return dict(found)


def total(by_child: dict[str, Values]) -> Values:
    summed: Values = defaultdict(int)
    for values in by_child.values():
        for figure, value in values.items():
            summed[figure] += value
    return dict(summed)


def sums(path: str, period: Period) -> Values:
    """The subtree's figures for the period."""
    return total(sums_by_child(path, period))


def monthly(path: str, months: list[datetime.date], keys: list[str]) -> dict[str, list[int]]:
    """{figure: [value per month]} of the subtree (month rows), for the trend."""
    rows = (
        Rollup.objects.filter(path__under=path, grain=Grain.MONTH, day__gte=months[0], day__lte=months[-1])
        .filter(figure__in=keys)
        .values("day", "figure")
        .annotate(v=Sum("value"))
        .values_list("day", "figure", "v")
        .order_by()
    )
    index = {m: i for i, m in enumerate(months)}
    series = {key: [0] * len(months) for key in keys}
    for day, figure, value in rows:
        if isinstance(day, str):
            day = datetime.date.fromisoformat(day)
        series[figure][index[day]] = int(value or 0)
    return series


# --- what a viewer may see ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sight:
    """Which figures a viewer sees on a node: by the capability each figure asks for."""

    events: bool
    registry: bool
    special: bool
    view: bool

    def allows(self, cap: str) -> bool:
        if cap == EVENTS_CAP:
            return self.events
        if cap == Cap.SEE_SPECIAL_GROUPS:
            return self.special
        if cap == Cap.VIEW_REGISTRY:
            return self.registry
        return self.view

    def keeps(self, figure: str) -> bool:
        entry = figure_of(figure)
        if entry is None:
            return False
        return self.allows(entry.cap)

    @property
    def any(self) -> bool:
        return self.events or self.registry or self.view


def sight(who: Who, node: Node) -> Sight:
    principal = principal_of(who)
    scope = event_scope(principal)
    events = scope.everything or any(node.path.startswith(root) for root in scope.roots)
    return Sight(
        events=events,
        registry=can(principal, Cap.VIEW_REGISTRY, node.path),
        special=can(principal, Cap.SEE_SPECIAL_GROUPS, node.path),
        view=can(principal, Cap.VIEW, node.path),
    )


def visible(values: Values, seen: Sight) -> Values:
    return {k: v for k, v in values.items() if seen.keeps(k)}


# --- the figures as shown ------------------------------------------------------------------------


def ratio_value(ratio: Ratio, values: Values) -> float | None:
    denominator = values.get(ratio.denominator, 0)
    if not denominator:
        return None
    return round(values.get(ratio.numerator, 0) * ratio.scale / denominator, 1)


def median_close_hours(values: Values) -> float | None:
    """The median time to close from the bucketed counts (linear inside the bucket)."""
    counts = [(b, values.get(f"events.close_hours.{b}", 0)) for b in CLOSE_HOUR_BUCKETS]
    n = sum(c for _b, c in counts)
    if not n:
        return None
    half, seen, lower = n / 2, 0, 0.0
    for bound, count in counts:
        if count and seen + count >= half:
            upper = float(bound) if bound != CLOSE_HOUR_BUCKETS[-1] else lower * 2 or 1.0
            return round(lower + (upper - lower) * (half - seen) / count, 1)
        seen += count
        lower = float(bound)
    return None


def family(values: Values, key: str) -> dict[str, int]:
    prefix = key + "."
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def card_values(values: Values, seen: Sight) -> dict[str, float | int | None]:
    """Every figure a card shows: plain figures, family totals, ratios, the median."""
    out: dict[str, float | int | None] = {}
    for entry in FIGURES:
        if not seen.allows(entry.cap):
            continue
        out[entry.key] = sum(family(values, entry.key).values()) if entry.family else values.get(entry.key, 0)
    for ratio in RATIOS:
        if seen.allows(ratio.cap):
            out[ratio.key] = ratio_value(ratio, values)
    if seen.events:
        out["events.median_close_hours"] = median_close_hours(values)
    return out


@dataclass(frozen=True)
class Card:
    key: str
    label: str
    unit: str
    link: tuple[str, dict[str, str]] | None


def cards(seen: Sight) -> dict[str, list[Card]]:
    """The cards of each section, in the registry's order."""
    shown: dict[str, list[Card]] = {section: [] for section in SECTIONS}
    for entry in FIGURES:
        if entry.shown and seen.allows(entry.cap):
            shown[entry.section].append(Card(entry.key, entry.label, entry.unit, entry.link))
    for ratio in RATIOS:
        if seen.allows(ratio.cap):
            shown[ratio.section].append(Card(ratio.key, ratio.label, ratio.unit, ratio.link))
    if seen.events:
        shown["events"].append(Card("events.median_close_hours", "办结用时中位数", "小时", None))
    return {section: items for section, items in shown.items() if items}


# Figures of the breakdown table and the map's choropleth.
BREAKDOWN = [
    "people.households",
    "people.residents",
    "events.reported",
    "events.open",
    "events.overdue",
    "events.closed",
    "events.close_rate",
    "events.satisfaction",
    "disputes.open",
    "disputes.new",
    "frontline.staffing_gaps",
]
# Figures of the 12-month trend (month rows).
TREND = ["events.reported", "events.closed", "events.closed_on_time", "disputes.new", "disputes.settled"]


def figure_label(key: str) -> str:
    entry = figure_of(key)
    if entry is not None and entry.key == key:
        return entry.label
    for ratio in RATIOS:
        if ratio.key == key:
            return ratio.label
    return {"events.median_close_hours": "办结用时中位数"}.get(key, key)


def trend_months(end: datetime.date, count: int = 12) -> list[datetime.date]:
    months = [end.replace(day=1)]
    while len(months) < count:
        months.insert(0, (months[0] - datetime.timedelta(days=1)).replace(day=1))
    return months
