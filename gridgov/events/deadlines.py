"""Deadlines in working time or calendar hours.

Working time is Monday to Friday, 8:30–12:00 and 13:30–17:30 (7.5 hours a day) in the city's
time zone, minus public holidays, plus the weekend days that China declares make-up working days
(调休). The calendar is data (`Holiday`), edited by administrators; it is cached per process and
reloaded when a Holiday row changes or after a minute.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from gridgov.events.models import Holiday, TimeBasis

# Working periods of a working day, as (start, end) minutes after midnight.
WORK_PERIODS: tuple[tuple[int, int], ...] = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))
_CACHE_SECONDS = 60


@dataclass(frozen=True)
class WorkCalendar:
    """Holidays (days off on a weekday) and make-up working days (work on a weekend)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


class _CalendarCache:
    lock = threading.Lock()
    value: WorkCalendar | None = None
    loaded_at = 0.0


def load_calendar() -> WorkCalendar:
    with _CalendarCache.lock:
        if _CalendarCache.value is None or time.monotonic() - _CalendarCache.loaded_at > _CACHE_SECONDS:
            holidays: set[date] = set()
            workdays: set[date] = set()
            for day, is_workday in Holiday.objects.values_list("date", "is_workday"):
                (workdays if is_workday else holidays).add(day)
            _CalendarCache.value = WorkCalendar(frozenset(holidays), frozenset(workdays))
            _CalendarCache.loaded_at = time.monotonic()
        return _CalendarCache.value


def invalidate_calendar() -> None:
    with _CalendarCache.lock:
        _CalendarCache.value = None


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)


def add_working_hours(start: datetime, hours: float, calendar: WorkCalendar | None = None) -> datetime:
    """The moment `hours` of working time after `start` (timezone-aware in, aware out).

    Time outside working periods does not count; a deadline that ends exactly at the close of
    a period stays there rather than moving to the next morning.
    """
    calendar = calendar or load_calendar()
    zone = _zone()
    local = timezone.localtime(start, zone)
    remaining = timedelta(hours=hours)
    day = local.date()
    minute_of_day = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60_000_000
    if remaining <= timedelta(0):
        return start
    for _ in range(3660):  # ten years of days: a broken calendar must not loop forever
        if calendar.is_working_day(day):
            for period_start, period_end in WORK_PERIODS:
                begin = max(minute_of_day, period_start)
                if begin >= period_end:
                    continue
                available = timedelta(minutes=period_end - begin)
                period_begin = _at(day, period_start, zone) + timedelta(minutes=begin - period_start)
                if remaining <= available:
                    return (period_begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        day += timedelta(days=1)
        minute_of_day = 0
    raise ValueError("no working time found within ten years; check the holiday calendar")


def working_hours_between(start: datetime, end: datetime, calendar: WorkCalendar | None = None) -> float:
    """Working hours from `start` to `end` (negative if end is earlier)."""
    if end < start:
        return -working_hours_between(end, start, calendar)
    calendar = calendar or load_calendar()
    zone = _zone()
    local_start, local_end = timezone.localtime(start, zone), timezone.localtime(end, zone)
    total = timedelta(0)
    day = local_start.date()
    while day <= local_end.date():
        if calendar.is_working_day(day):
            for period_start, period_end in WORK_PERIODS:
                begin = max(_at(day, period_start, zone), local_start)
                finish = min(_at(day, period_end, zone), local_end)
                if finish > begin:
                    total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def add_hours(start: datetime, hours: float, basis: str, calendar: WorkCalendar | None = None) -> datetime:
    """A deadline `hours` after `start`, counted in working time or calendar hours."""
    if basis == TimeBasis.CALENDAR:
        return start + timedelta(hours=hours)
    return add_working_hours(start, hours, calendar)


def hours_between(start: datetime, end: datetime, basis: str, calendar: WorkCalendar | None = None) -> float:
    if basis == TimeBasis.CALENDAR:
        return (end - start).total_seconds() / 3600
    return working_hours_between(start, end, calendar)
