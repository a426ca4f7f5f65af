"""The period the overview shows: today, this week, this month, this year, or custom dates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

KINDS = {"today": "今日", "week": "本周", "month": "本月", "year": "本年", "custom": "自定义"}
# A custom period of more than this many days is refused (the trend shows longer spans).
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "custom":
            return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"
        return KINDS[self.kind]

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    def months(self) -> tuple[datetime.date, datetime.date]:
        """[first, after): the whole months inside the period (first == after: none)."""
        first = self.start if self.start.day == 1 else next_month(self.start)
        after = (
            next_month(self.end)
            if next_month(self.end) - datetime.timedelta(days=1) == self.end
            else self.end.replace(day=1)
        )
        return (first, after) if first < after else (first, first)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def month_range(month: datetime.date) -> Period:
    """The whole calendar month containing `month`."""
    start = month.replace(day=1)
    return Period("custom", start, next_month(start) - datetime.timedelta(days=1))


def _date(value: str, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError({name: f"日期格式应为 YYYY-MM-DD：{value[:20]}"}) from None


def parse(
    kind: str | None, start: str | None = None, end: str | None = None, *, today: datetime.date | None = None
) -> Period:
    """A period from the request (`period`, `start`, `end`); bad input raises ValidationError
    naming the field."""
    today = today or timezone.localdate()
    kind = (kind or "month").strip()
    if kind == "today":
        return Period(kind, today, today)
    if kind == "week":
        return Period(kind, today - datetime.timedelta(days=today.weekday()), today)
    if kind == "month":
        return Period(kind, today.replace(day=1), today)
    if kind == "year":
        return Period(kind, today.replace(month=1, day=1), today)
    if kind != "custom":
        raise ValidationError({"period": f"未知的统计周期：{kind[:20]}（可选 {', '.join(KINDS)}）"})
    if not start:
        raise ValidationError({"start": "请填写开始日期"})
    if not end:
        raise ValidationError({"end": "请填写结束日期"})
    first, last = _date(start, "start"), _date(end, "end")
    if last < first:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    if (last - first).days > MAX_DAYS:
        raise ValidationError({"end": f"统计周期最长 {MAX_DAYS} 天"})
    return Period(kind, first, last)
