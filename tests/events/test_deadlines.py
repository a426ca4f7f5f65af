"""Working-time deadlines: Mon–Fri 8:30–12:00 and 13:30–17:30, China's 2026 holidays and make-up
working days (seeded as data), calendar hours for urgent categories."""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gridgov.events.deadlines import (
    WorkCalendar,
    add_hours,
    add_working_hours,
    load_calendar,
    working_hours_between,
)
from gridgov.events.models import Holiday, TimeBasis

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


PLAIN = WorkCalendar()  # weekends only


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-03-02 09:00", 2, "2026-03-02 11:00"),  # Monday morning
        ("2026-03-02 11:00", 2, "2026-03-02 14:30"),  # across lunch
        ("2026-03-02 12:30", 1, "2026-03-02 14:30"),  # starting in the lunch break
        ("2026-03-02 07:00", 1, "2026-03-02 09:30"),  # before the office opens
        ("2026-03-02 08:30", 3.5, "2026-03-02 12:00"),  # ends exactly at noon: stays there
        ("2026-03-02 17:00", 1, "2026-03-03 09:00"),  # across the evening
        ("2026-03-02 20:00", 7.5, "2026-03-03 17:30"),  # one full working day
        ("2026-03-06 17:00", 1, "2026-03-09 09:00"),  # Friday → Monday
        ("2026-03-07 10:00", 2, "2026-03-09 10:30"),  # reported on a Saturday
        ("2026-03-02 09:00", 0, "2026-03-02 09:00"),
    ],
)
def test_working_hours_on_ordinary_weeks(start: str, hours: float, expected: str) -> None:
    assert add_working_hours(at(start), hours, PLAIN) == at(expected)


def test_result_keeps_utc_inputs_correct() -> None:
    start = at("2026-03-02 09:00").astimezone(ZoneInfo("UTC"))
    assert add_working_hours(start, 2, PLAIN) == at("2026-03-02 11:00")


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2025-12-31 17:00", 1, "2026-01-04 09:00"),  # New Year 1–3 Jan off, Sunday 4 Jan is a make-up day
        (
            "2026-02-13 17:00",
            1,
            "2026-02-14 09:00",
        ),  # Saturday 14 Feb is a make-up day before the Spring Festival
        ("2026-02-14 17:00", 1, "2026-02-24 09:00"),  # 15–23 Feb off
        ("2026-04-03 17:00", 1, "2026-04-07 09:00"),  # Qingming: Sat 4 – Mon 6 Apr
        ("2026-04-30 17:00", 1, "2026-05-06 09:00"),  # Labour Day 1–5 May
        ("2026-05-08 17:00", 1, "2026-05-09 09:00"),  # Saturday 9 May is a make-up day
        ("2026-09-30 17:00", 1, "2026-10-08 09:00"),  # National Day 1–7 Oct
        ("2026-10-09 17:00", 1, "2026-10-10 09:00"),  # Saturday 10 Oct is a make-up day
        ("2026-09-19 10:00", 1, "2026-09-20 09:30"),  # Sunday 20 Sep is a make-up day
    ],
)
def test_seeded_2026_holidays_and_make_up_days(db: Any, start: str, hours: float, expected: str) -> None:
    assert add_working_hours(at(start), hours) == at(expected)


def test_calendar_rows(db: Any) -> None:
    calendar = load_calendar()
    assert date(2026, 10, 1) in calendar.holidays
    assert date(2026, 10, 10) in calendar.workdays
    assert not calendar.is_working_day(date(2026, 2, 16))
    assert calendar.is_working_day(date(2026, 2, 28))  # a Saturday, worked
    assert Holiday.objects.filter(date__year=2026, is_workday=True).count() == 6


def test_an_edited_holiday_applies_at_once(db: Any) -> None:
    start = at("2026-11-30 17:00")  # a Monday
    assert add_working_hours(start, 1) == at("2026-12-01 09:00")
    Holiday.objects.create(date=date(2026, 12, 1), name="测试假日")
    assert add_working_hours(start, 1) == at("2026-12-02 09:00")


def test_working_hours_between_is_the_inverse() -> None:
    start = at("2026-03-06 10:15")
    for hours in (0.5, 3, 7.5, 12, 40):
        end = add_working_hours(start, hours, PLAIN)
        assert working_hours_between(start, end, PLAIN) == pytest.approx(hours)
    assert working_hours_between(at("2026-03-07 09:00"), at("2026-03-08 18:00"), PLAIN) == 0
    assert working_hours_between(at("2026-03-02 11:00"), at("2026-03-02 09:00"), PLAIN) == -2


def test_calendar_basis_counts_every_hour() -> None:
    start = at("2026-10-01 23:00")
    assert add_hours(start, 4, TimeBasis.CALENDAR) == start + timedelta(hours=4)
    assert add_hours(at("2026-03-02 09:00"), 2, TimeBasis.WORKING, PLAIN) == at("2026-03-02 11:00")


def test_report_deadlines_follow_the_category(story: Any) -> None:
    friday_evening = at("2026-03-06 17:00")
    fire = story.report(
        "fire.exit_blocked", "消防通道堵塞", now=friday_evening
    )  # working hours: ack 2, resolve 24
    assert fire.due_at == at("2026-03-09 10:00")
    assert fire.resolve_due_at == add_working_hours(friday_evening, 24)
    burst = story.report("heating.pipe_burst", "管道爆裂", now=friday_evening)  # calendar hours: ack 1
    assert burst.due_at == friday_evening + timedelta(hours=1)
