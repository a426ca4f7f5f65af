"""The indicators of the annual assessment, computed from the data for every worker of a county
in a handful of GROUP BY queries. Each is a score 0–100, or None where the data has nothing to
say (no reports that year, no households): an indicator without a value is left out and the
weights of the others are scaled up, so nobody gains or loses for data that does not exist.

From the data now:
- events_handled: share of the events the worker reported that year that are closed;
- satisfaction: the residents' mean satisfaction (1–5) with those closed events, × 20;
- data_freshness: share of the grid's households verified (visit, check, edit) in the 365 days
  up to the end of the year (gridgov.care.Verification);
- visits_on_time: share of the grid's care schedules not overdue (gridgov.care), for the
  current year only (a schedule keeps no history of past due dates);
- patrol_coverage: the grid's buildings the worker checked in at on patrol, month by month
  (distinct buildings a month over the grid's buildings, averaged over the year's months so
  far; gridgov.patrols);
- task_completion: share of the worker's tasks due that year (gridgov.tasks: the ones that
  reached them, not held or refused at admission) completed by their deadline; a task still
  open before its deadline is not counted yet;
- inspection_score: the mean score (0–100) of the inspections of the worker's grid done that
  year (gridgov.inspection, 督导检查);
- training_hours: the worker's hours credited in the grid academy that year over the county's
  required minimum, capped at 100 (gridgov.academy.selectors.training_hours_scores); None in a
  year without the academy in the county.

The overview's efficiency indicators, once landed, are the place to share these definitions.
"""

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from gridgov.academy.selectors import training_hours_scores
from gridgov.care.models import CareSchedule, Verification
from gridgov.events.models import Event, State
from gridgov.hierarchy.models import Level, Node
from gridgov.inspection.models import InspectionVisit, VisitState
from gridgov.patrols.models import CheckIn
from gridgov.registry.models import Household
from gridgov.tasks.models import AssignmentState, TaskAssignment
from gridgov.workforce.models import WorkerFile, WorkerStatus

NAMES = {
    "patrol_coverage": "巡查覆盖率",
    "visits_on_time": "走访及时率",
    "events_handled": "事件办结率",
    "data_freshness": "信息更新率",
    "task_completion": "任务完成率",
    "inspection_score": "督导检查得分",
    "training_hours": "培训学时达标",
    "satisfaction": "群众满意度",
}
# Indicators whose data does not exist yet, with why (shown on the assessment page): none now.
PENDING: dict[str, str] = {}


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def county_indicators(county_code: str, year: int) -> dict[int, dict[str, float | None]]:
    """worker file id → {indicator: score or None} for the county's active workers."""
    workers = list(
        WorkerFile.objects.filter(county_code=county_code, status=WorkerStatus.ACTIVE).values_list(
            "pk", "user_id", "grid_id"
        )
    )
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 1, 1, tzinfo=tz)
    end = datetime.datetime(year + 1, 1, 1, tzinfo=tz)
    users = [user for _pk, user, _grid in workers]
    grids = [grid for _pk, _user, grid in workers]
    reported = (
        Event.objects.filter(reporter_id__in=users, created_at__gte=start, created_at__lt=end)
        .values("reporter_id")
        .annotate(
            total=Count("pk"),
            closed=Count("pk", filter=Q(state=State.CLOSED)),
            satisfaction=Avg("satisfaction", filter=Q(state=State.CLOSED, satisfaction__isnull=False)),
        )
    )
    events = {row["reporter_id"]: row for row in reported}
    households = dict(
        Household.objects.filter(grid_id__in=grids)
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
    )
    fresh = dict(
        Verification.objects.filter(grid_id__in=grids, verified_at__gte=end - datetime.timedelta(days=365))
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
    )
    today = timezone.localdate()
    schedules: dict[int, tuple[int, int]] = {}
    if year == today.year:
        rows = (
            CareSchedule.objects.filter(grid_id__in=grids)
            .values("grid_id")
            .annotate(total=Count("pk"), on_time=Count("pk", filter=Q(next_due__gte=today)))
        )
        schedules = {row["grid_id"]: (row["on_time"], row["total"]) for row in rows}
    buildings = dict(
        Node.objects.filter(parent_id__in=grids, level=Level.BUILDING)
        .values("parent_id")
        .annotate(n=Count("pk"))
        .values_list("parent_id", "n")
    )
    months = today.month if year == today.year else 12
    checked: dict[int, int] = defaultdict(int)  # user → Σ over months of distinct buildings
    monthly = (
        CheckIn.objects.filter(worker_id__in=users, at__gte=start, at__lt=end)
        .annotate(month=TruncMonth("at"))
        .values("worker_id", "month")
        .annotate(n=Count("building_id", distinct=True))
    )
    for month_row in monthly:
        checked[month_row["worker_id"]] += month_row["n"]
    tasks = _task_completion(users, start, end)
    inspected = dict(
        InspectionVisit.objects.filter(
            grid_id__in=grids, state=VisitState.DONE, inspected_at__gte=start, inspected_at__lt=end
        )
        .values("grid_id")
        .annotate(mean=Avg("score"))
        .values_list("grid_id", "mean")
    )
    training = training_hours_scores(county_code, users, year)
    found: dict[int, dict[str, float | None]] = defaultdict(dict)
    for pk, user, grid in workers:
        row: dict[str, Any] = events.get(user, {})
        satisfaction = row.get("satisfaction")
        on_time, total = schedules.get(grid, (0, 0))
        found[pk] = {
            "events_handled": _pct(row.get("closed", 0), row.get("total", 0)),
            "satisfaction": round(float(satisfaction) * 20, 1) if satisfaction is not None else None,
            "data_freshness": _pct(min(fresh.get(grid, 0), households.get(grid, 0)), households.get(grid, 0)),
            "visits_on_time": _pct(on_time, total),
            "patrol_coverage": (
                min(100.0, _pct(checked.get(user, 0), buildings[grid] * months) or 0.0)
                if buildings.get(grid) and year <= today.year
                else None
            ),
            "task_completion": _pct(*tasks.get(user, (0, 0))),
            "inspection_score": (
                round(float(inspected[grid]), 1) if inspected.get(grid) is not None else None
            ),
            "training_hours": training.get(user),
            **dict.fromkeys(PENDING),
        }
    return dict(found)


def _task_completion(
    users: list[int], start: datetime.datetime, end: datetime.datetime
) -> dict[int, tuple[int, int]]:
    """user → (tasks completed by their deadline, tasks due) among the tasks due in the year."""
    now = timezone.now()
    rows = (
        TaskAssignment.objects.filter(
            worker_id__in=users,
            task__deadline__gte=start,
            task__deadline__lt=end,
            state__in=[AssignmentState.OPEN, AssignmentState.DONE],
        )
        .values("worker_id")
        .annotate(
            due=Count("pk", filter=Q(state=AssignmentState.DONE) | Q(task__deadline__lt=now)),
            on_time=Count("pk", filter=Q(state=AssignmentState.DONE, completed_at__lte=F("task__deadline"))),
        )
    )
    return {row["worker_id"]: (row["on_time"], row["due"]) for row in rows}


def weighted(indicators: dict[str, Any], weights: dict[str, Any]) -> Decimal | None:
    """The weighted mean of the indicators that have a value (their weights scaled to sum to 1)."""
    used = {
        k: Decimal(str(w))
        for k, w in weights.items()
        if indicators.get(k) is not None and Decimal(str(w)) > 0
    }
    total = sum(used.values(), Decimal(0))
    if not total:
        return None
    score = sum((Decimal(str(indicators[k])) * w for k, w in used.items()), Decimal(0)) / total
    return score.quantize(Decimal("0.01"))
