"""The official calendar of public holidays and make-up working days (调休), from chinese-calendar.

The State Council publishes each year's arrangement in the autumn; the `chinesecalendar` package
carries every year it has published. gridgov keeps its own editable `Holiday` table (a county can
add a local day, an administrator can enter next year's arrangement before the package has it):
`load_year` fills the table from the package and `differences` says where the two disagree.
"""

from dataclasses import dataclass
from datetime import date

import chinese_calendar
from django.db import transaction

from gridgov.audit.services import record_created
from gridgov.events.deadlines import invalidate_calendar
from gridgov.events.models import Holiday

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争胜利70周年纪念日",
}


class UnknownYear(LookupError):
    """The package has no arrangement for that year yet."""


@dataclass(frozen=True)
class OfficialDay:
    day: date
    name: str
    is_workday: bool  # a make-up working day on a weekend


def known_years() -> range:
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def official_days(year: int) -> list[OfficialDay]:
    """The days off of the year's public holidays and its make-up working days, in date order."""
    if year not in known_years():
        raise UnknownYear(
            f"chinese-calendar 不含 {year} 年的节假日安排：请升级 chinesecalendar，或在管理后台“节假日”中录入"
        )
    days = [
        OfficialDay(day, NAMES.get(name, name), False)
        for day, name in chinese_calendar.holidays.items()
        if day.year == year
    ]
    days += [
        OfficialDay(day, f"{NAMES.get(name, name)}调休上班", True)
        for day, name in chinese_calendar.workdays.items()
        if day.year == year and name is not None and day.weekday() >= 5
    ]
    return sorted(days, key=lambda d: d.day)


@transaction.atomic
def load_year(year: int) -> int:
    """Add the year's official days missing from the table (rows already there, perhaps edited
    by an administrator, are left as they are); returns how many were added."""
    have = set(Holiday.objects.filter(date__year=year).values_list("date", flat=True))
    rows = [
        Holiday(date=d.day, name=d.name, is_workday=d.is_workday)
        for d in official_days(year)
        if d.day not in have
    ]
    Holiday.objects.bulk_create(rows)
    record_created(rows, message=f"official holidays of {year} loaded from chinese-calendar")
    invalidate_calendar()  # bulk_create sends no signals
    return len(rows)


def differences(year: int) -> list[str]:
    """Where the table disagrees with the official arrangement of the year (empty: it agrees)."""
    official = {d.day: d for d in official_days(year)}
    table = {h.date: h for h in Holiday.objects.filter(date__year=year)}
    found = []
    for day in sorted(official.keys() | table.keys()):
        want, have = official.get(day), table.get(day)
        if have is None and want is not None:
            found.append(f"{day} {want.name}：表中缺少")
        elif want is None and have is not None:
            kind = "调休上班" if have.is_workday else "放假"
            found.append(f"{day} {have.name}：官方安排中没有这一天（表中为{kind}）")
        elif want is not None and have is not None and want.is_workday != have.is_workday:
            found.append(f"{day} {want.name}：官方为{'上班' if want.is_workday else '放假'}，表中相反")
    return found
