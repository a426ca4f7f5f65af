from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone


class PeriodForm(forms.Form):
    """A period of whole days (both ends included), the last 30 days by default."""

    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        today = timezone.localdate()
        end: date = data.get("end") or today
        start: date = data.get("start") or end - timedelta(days=29)
        if start > end:
            self.add_error("start", "开始日期不能晚于结束日期")
        elif (end - start).days > 366:
            self.add_error("start", "时间段最长一年")
        data["start"], data["end"] = start, end
        return data


class WeeksForm(PeriodForm):
    """A period shown week by week: the last eight weeks by default."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.data.get("start") and "start" not in self.errors:
            data["start"] = data["end"] - timedelta(weeks=8) + timedelta(days=1)
        return data
