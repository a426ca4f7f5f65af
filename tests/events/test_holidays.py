"""The official calendar from chinese-calendar, kept in the editable Holiday table."""

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from gridgov.audit.models import AuditEntry
from gridgov.events import holidays
from gridgov.events.deadlines import load_calendar
from gridgov.events.models import Holiday


def test_the_2026_arrangement() -> None:
    days = {d.day: d for d in holidays.official_days(2026)}
    assert days[date(2026, 10, 1)].name == "国庆节"
    assert not days[date(2026, 10, 1)].is_workday
    assert days[date(2026, 2, 17)].name == "春节"
    # Make-up working days are weekends (the State Council's 2026 notice: 1-4, 2-14, 2-28, 5-9, 9-20, 10-10).
    workdays = sorted(d.day for d in days.values() if d.is_workday)
    assert workdays == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert all(d.weekday() >= 5 for d in workdays)


def test_a_year_the_package_does_not_know_is_refused_with_what_to_do() -> None:
    with pytest.raises(holidays.UnknownYear, match="管理后台"):
        holidays.official_days(holidays.known_years().stop)


def test_the_demo_seed_agrees_with_the_official_calendar(db: Any) -> None:
    assert holidays.differences(2026) == []
    calendar = load_calendar()
    assert not calendar.is_working_day(date(2026, 10, 1))
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday worked


def test_load_adds_what_is_missing_and_keeps_what_an_administrator_edited(db: Any) -> None:
    Holiday.objects.filter(date__year=2025).delete()
    Holiday.objects.create(date=date(2025, 10, 1), name="国庆（本地调整）")
    logged = AuditEntry.objects.filter(object_type="events.holiday", message__contains="2025")
    before = logged.count()
    added = holidays.load_year(2025)
    assert added == len(holidays.official_days(2025)) - 1
    assert Holiday.objects.get(date=date(2025, 10, 1)).name == "国庆（本地调整）"
    assert logged.count() - before == added
    assert holidays.load_year(2025) == 0


def test_check_lists_each_difference_and_exits_1(db: Any) -> None:
    Holiday.objects.filter(date=date(2026, 10, 10)).delete()
    Holiday.objects.create(date=date(2026, 11, 11), name="不存在的假日")
    out = StringIO()
    with pytest.raises(CommandError, match="2 处不一致"):
        call_command("holidays", "check", "--year", "2026", stdout=out)
    assert "2026-10-10 国庆节调休上班：表中缺少" in out.getvalue()
    assert "2026-11-11 不存在的假日：官方安排中没有这一天" in out.getvalue()
    call_command("holidays", "load", "--year", "2026", stdout=StringIO())
    assert Holiday.objects.get(date=date(2026, 10, 10)).is_workday


def test_an_unknown_year_on_the_command_line_says_what_to_do(db: Any) -> None:
    with pytest.raises(CommandError, match="升级 chinesecalendar"):
        call_command("holidays", "load", "--year", "2999", stdout=StringIO())
