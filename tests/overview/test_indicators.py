"""Efficiency indicators against counts made from the raw events."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from gridgov.events.models import Event
from gridgov.overview import indicators


def _window():
    today = timezone.localdate()
    start = today - datetime.timedelta(days=365)
    tz = ZoneInfo(settings.TIME_ZONE)
    first = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, today, first, after


def _raw(events, first, after):
    found = events.filter(created_at__gte=first, created_at__lt=after)
    closed = events.filter(state="closed", closed_at__gte=first, closed_at__lt=after)
    rated = list(closed.exclude(satisfaction=None).values_list("satisfaction", flat=True))
    return indicators.Indicators(
        found=found.count(),
        reported=found.exclude(state__in=["returned", "merged"]).count(),
        closed=closed.count(),
        on_time=closed.filter(Q(resolve_due_at=None) | Q(closed_at__lte=F("resolve_due_at"))).count(),
        rated=len(rated),
        satisfaction_sum=sum(rated),
    )


@pytest.mark.parametrize("name", ["呼和浩特市", "赛罕区", "昭乌达南路街道", "惠民社区", "惠民社区第一网格"])
def test_node_indicators_match_the_raw_events(node, name):
    start, end, first, after = _window()
    path = node(name).path
    got = indicators.for_node(path, start, end)
    assert got == _raw(Event.objects.filter(path__startswith=path), first, after)
    children = indicators.for_children(path, start, end)
    assert sum(c.found for c in children.values()) == got.found


def test_worker_indicators_match_the_raw_events(node, user):
    start, end, first, after = _window()
    by_worker = indicators.for_workers(node("呼和浩特市").path, start, end)
    assert by_worker
    for user_id, got in by_worker.items():
        assert got == _raw(Event.objects.filter(reporter_id=user_id), first, after)
    gaobo = user("gaobo")
    assert indicators.for_worker(gaobo.pk, start, end) == _raw(
        Event.objects.filter(reporter=gaobo), first, after
    )


def test_rates_are_none_without_a_denominator():
    empty = indicators.Indicators()
    assert (empty.on_time_rate, empty.report_rate, empty.satisfaction) == (None, None, None)
    assert indicators.Indicators(
        found=4, reported=3, closed=2, on_time=1, rated=2, satisfaction_sum=9
    ).as_dict() == {
        "found": 4,
        "reported": 3,
        "closed": 2,
        "on_time": 1,
        "rated": 2,
        "satisfaction_sum": 9,
        "on_time_rate": 50.0,
        "report_rate": 75.0,
        "satisfaction": 4.5,
    }
