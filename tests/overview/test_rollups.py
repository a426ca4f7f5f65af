"""The rollups against counts made independently from the raw tables, at every level, and kept
current from the audit log."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from gridgov.disputes.models import Dispute
from gridgov.events.intake import report_event
from gridgov.events.models import OPEN_STATES, Event
from gridgov.hierarchy.models import Node
from gridgov.overview import rollups, selectors
from gridgov.overview.models import Rollup
from gridgov.overview.period import Period
from gridgov.registry.models import Household, Resident

LEVELS = ["呼和浩特市", "赛罕区", "昭乌达南路街道", "惠民社区", "惠民社区第一网格"]


def _bounds(period):
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def raw_counts(path, period):
    """The figures counted straight from the raw tables, without the rollups' code."""
    first, after = _bounds(period)
    events = Event.objects.filter(path__startswith=path)
    closed = events.filter(state="closed", closed_at__gte=first, closed_at__lt=after)
    disputes = Dispute.objects.filter(path__startswith=path)
    living = Resident.objects.filter(path__startswith=path, status__in=["present", "away"])
    counts = {
        "events.reported": events.filter(created_at__gte=first, created_at__lt=after).count(),
        "events.valid": events.filter(created_at__gte=first, created_at__lt=after)
        .exclude(state__in=["returned", "merged"])
        .count(),
        "events.open": events.filter(state__in=OPEN_STATES).count(),
        "events.overdue": events.filter(is_open=True, overdue=True).count(),
        "events.red": events.filter(is_open=True, supervision="red").count(),
        "events.closed": closed.count(),
        "events.closed_on_time": closed.filter(
            Q(resolve_due_at__isnull=True) | Q(closed_at__lte=F("resolve_due_at"))
        ).count(),
        "events.satisfaction_sum": sum(
            closed.exclude(satisfaction=None).values_list("satisfaction", flat=True)
        ),
        "people.households": Household.objects.filter(path__startswith=path, status="active").count(),
        "people.residents": living.count(),
        "disputes.new": disputes.filter(created_at__gte=first, created_at__lt=after).count(),
    }
    for level in ("low", "medium", "high", "critical"):
        counts[f"disputes.open.{level}"] = (
            disputes.filter(risk_level=level).exclude(event__state__in=["closed", "merged"]).count()
        )
    for tags in living.exclude(special_tags=[]).values_list("special_tags", flat=True):
        for tag in tags:
            counts[f"people.special.{tag}"] = counts.get(f"people.special.{tag}", 0) + 1
    for code in events.filter(created_at__gte=first, created_at__lt=after).values_list(
        "category__code", flat=True
    ):
        counts[f"events.category.{code}"] = counts.get(f"events.category.{code}", 0) + 1
    return counts


def _periods():
    today = timezone.localdate()
    return [
        Period("custom", today - datetime.timedelta(days=400), today),  # whole months and edge days
        Period("custom", today.replace(day=1), today),
        Period("custom", today - datetime.timedelta(days=45), today - datetime.timedelta(days=3)),
        Period("custom", today, today),
    ]


@pytest.mark.parametrize("name", LEVELS)
def test_figures_match_the_raw_tables_at_every_level(node, name):
    path = node(name).path
    for period in _periods():
        figures = selectors.sums(path, period)
        for key, expected in raw_counts(path, period).items():
            assert figures.get(key, 0) == expected, (name, period, key)


def test_the_demo_has_something_to_count(node):
    figures = selectors.sums(node("惠民社区").path, _periods()[0])
    assert figures["events.reported"] > 0
    assert figures["people.households"] > 0
    assert any(k.startswith("people.special.") for k in figures)


def test_children_add_up_to_their_parent(node, year):
    county = node("赛罕区")
    by_child = selectors.sums_by_child(county.path, year)
    assert set(by_child) <= set(Node.objects.filter(parent=county).values_list("path", flat=True))
    assert selectors.total(by_child) == selectors.sums(county.path, year)


def test_a_new_event_shows_after_the_workers_pass(user, node, year):
    grid = node("惠民社区第一网格")
    before = selectors.sums(grid.path, year)
    rollups.catch_up()  # whatever the test database had pending
    report_event(user=user("gaobo"), category="city.garbage", description="楼道堆放垃圾，需要清运", grid=grid)
    assert selectors.sums(grid.path, year).get("events.reported", 0) == before.get("events.reported", 0)
    result = rollups.catch_up()
    assert result.subtrees == [grid.path]
    after = selectors.sums(grid.path, year)
    assert after["events.reported"] == before.get("events.reported", 0) + 1
    assert after["events.open"] == before.get("events.open", 0) + 1
    assert after["events.category.city.garbage"] == before.get("events.category.city.garbage", 0) + 1
    # Other grids were not recounted: their rows are as they were.
    assert selectors.sums(node("老缸房社区").path, year) == selectors.sums(node("老缸房社区").path, year)


def test_stocks_are_recounted_once_a_day(node):
    state = rollups._state()
    rollups.RollupState.objects.filter(pk=state.pk).update(stock_day=datetime.date(2020, 1, 1))
    Rollup.objects.filter(figure="people.households").update(value=0)
    result = rollups.catch_up()
    assert result.stocks_recounted
    year = _periods()[0]
    assert (
        selectors.sums(node("惠民社区").path, year)["people.households"]
        == raw_counts(node("惠民社区").path, year)["people.households"]
    )
    assert not rollups.catch_up().stocks_recounted


def test_a_bulk_change_under_an_area_recounts_the_area(node):
    community = node("惠民社区")
    subtrees, full, _rows = rollups.changed_subtrees(0, 0)
    assert (subtrees, full) == ([], False)
    from gridgov.audit.models import Action, ChainHead
    from gridgov.audit.services import record

    head = ChainHead.objects.get().seq
    record(Action.IMPORT, object_type="registry.household", path=community.path, message="test import")
    record(Action.UPDATE, object_type="registry.household", path=community.path + "001002", message="test")
    record(Action.LOGIN, object_type="accounts.user", path=node("老缸房社区").path, message="not a write")
    subtrees, full, _rows = rollups.changed_subtrees(head, ChainHead.objects.get().seq)
    assert subtrees == [community.path]
    assert not full
