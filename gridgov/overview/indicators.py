"""Efficiency indicators (效能指标), computed once for the overview, the monthly reports and the
annual assessment: per node (any level, from the rollups) and per worker (from the events they
reported).

For a period [start, end] (local dates, inclusive):

- found: events reported (a worker: by them) in the period;
- reported: of those, the ones taken into handling (not sent back, not merged as a duplicate);
- closed: events closed in the period (a worker: their own reports closed in the period);
- on_time: of those, closed by their resolve deadline;
- satisfaction: the mean rating (1–5) given on closing, over `rated` ratings.

No scope check here: callers check that the viewer may see the node or the workers first.

    from gridgov.overview import indicators
    indicators.for_node(node.path, start, end)          # Indicators
    indicators.for_children(node.path, start, end)      # {child path: Indicators}
    indicators.for_workers(node.path, start, end)       # {user id: Indicators}, reporters under the node
    indicators.for_worker(user_id, start, end)          # Indicators
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, Sum

from gridgov.overview.period import Period
from gridgov.overview.selectors import sums, sums_by_child


@dataclass(frozen=True)
class Indicators:
    found: int = 0
    reported: int = 0
    closed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfaction_sum: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Share of closed events closed on time, in percent."""
        return round(self.on_time * 100 / self.closed, 1) if self.closed else None

    @property
    def report_rate(self) -> float | None:
        """Share of found events taken into handling, in percent."""
        return round(self.reported * 100 / self.found, 1) if self.found else None

    @property
    def satisfaction(self) -> float | None:
        return round(self.satisfaction_sum / self.rated, 2) if self.rated else None

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "on_time_rate": self.on_time_rate,
            "report_rate": self.report_rate,
            "satisfaction": self.satisfaction,
        }


LABELS = {
    "found": "发现",
    "reported": "有效上报",
    "closed": "办结",
    "on_time": "按时办结",
    "on_time_rate": "按时办结率",
    "satisfaction": "满意度",
}


def _from_values(values: dict[str, int]) -> Indicators:
    return Indicators(
        found=values.get("events.reported", 0),
        reported=values.get("events.valid", 0),
        closed=values.get("events.closed", 0),
        on_time=values.get("events.closed_on_time", 0),
        rated=values.get("events.satisfaction_n", 0),
        satisfaction_sum=values.get("events.satisfaction_sum", 0),
    )


def for_node(path: str, start: datetime.date, end: datetime.date) -> Indicators:
    """The subtree of the node with this path (any level), from the rollups."""
    return _from_values(sums(path, Period("custom", start, end)))


def for_children(path: str, start: datetime.date, end: datetime.date) -> dict[str, Indicators]:
    """Each child unit of the node (a grid: the grid itself), from the rollups."""
    by_child = sums_by_child(path, Period("custom", start, end), prefixes=("events.",))
    return {child: _from_values(values) for child, values in by_child.items()}


def _bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return first, after


def for_workers(
    path: str, start: datetime.date, end: datetime.date, *, user_ids: list[int] | None = None
) -> dict[int, Indicators]:
    """Per reporter of the events under the node (or the given users, wherever they reported)."""
    from gridgov.events.models import Event

    first, after = _bounds(start, end)
    events = Event.objects.filter(reporter__isnull=False)
    events = (
        events.filter(reporter_id__in=user_ids) if user_ids is not None else events.filter(path__under=path)
    )
    found = (
        events.filter(created_at__gte=first, created_at__lt=after)
        .values("reporter_id")
        .annotate(found=Count("pk"), reported=Count("pk", filter=~Q(state__in=["returned", "merged"])))
        .order_by()
    )
    closed = (
        events.filter(state="closed", closed_at__gte=first, closed_at__lt=after)
        .values("reporter_id")
        .annotate(
            closed=Count("pk"),
            on_time=Count(
                "pk", filter=Q(resolve_due_at__isnull=True) | Q(closed_at__lte=F("resolve_due_at"))
            ),
            rated=Count("satisfaction"),
            satisfaction_sum=Sum("satisfaction"),
        )
        .order_by()
    )
    by_user: dict[int, dict[str, int]] = {}
    for row in found:
        by_user.setdefault(row["reporter_id"], {}).update(found=row["found"], reported=row["reported"])
    for row in closed:
        by_user.setdefault(row["reporter_id"], {}).update(
            closed=row["closed"],
            on_time=row["on_time"],
            rated=row["rated"],
            satisfaction_sum=int(row["satisfaction_sum"] or 0),
        )
    return {user_id: Indicators(**values) for user_id, values in by_user.items()}


def for_worker(user_id: int, start: datetime.date, end: datetime.date) -> Indicators:
    return for_workers("", start, end, user_ids=[user_id]).get(user_id, Indicators())
