"""Coverage and due lists: the figures a leader reads, checked against a count by hand."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.hierarchy.models import Node
from gridgov.patrols import selectors
from gridgov.patrols.models import CheckIn


def test_a_system_administrator_sees_every_grids_coverage(node):
    county = node("赛罕区")
    end = timezone.now()
    start = end - timedelta(days=30)
    admin = User.objects.filter(is_superuser=True).first()
    result = selectors.coverage(admin, county, start, end)
    by_hand = {
        g.pk: CheckIn.objects.filter(grid=g, at__gte=start, at__lt=end).values("building").distinct().count()
        for g in Node.objects.filter(path__startswith=county.path, level="grid")
    }
    assert {g.grid_id: g.buildings_checked for g in result.grids} == by_hand
    assert sum(by_hand.values()) > 0


def test_due_list_puts_due_buildings_first(gaobo, grid):
    rows = selectors.buildings_due(gaobo, grid)
    assert rows
    flags = [b.due for b in rows]
    assert flags == sorted(flags, reverse=True)


def test_week_starts_are_the_mondays_of_the_period():
    from datetime import date

    assert selectors.week_starts(date(2026, 12, 3), date(2026, 12, 3)) == [date(2026, 11, 30)]
    assert selectors.week_starts(date(2026, 11, 29), date(2026, 12, 7)) == [
        date(2026, 11, 23),
        date(2026, 11, 30),
        date(2026, 12, 7),
    ]


def _by_hand(grids, weeks):
    """{grid id: [distinct buildings checked in each week]}, one query per grid and week."""
    tz = timezone.get_current_timezone()
    out = {}
    for g in grids:
        row = []
        for monday in weeks:
            since = timezone.make_aware(datetime.combine(monday, time.min), tz)
            until = since + timedelta(weeks=1)
            row.append(
                CheckIn.objects.filter(grid=g, at__gte=since, at__lt=until)
                .values("building")
                .distinct()
                .count()
            )
        out[g.pk] = row
    return out


def test_weekly_coverage_of_a_township_is_per_grid_and_per_week(node):
    township = node("昭乌达南路街道")
    admin = User.objects.filter(is_superuser=True).first()
    today = timezone.localdate()
    result = selectors.weekly_coverage(admin, township, today - timedelta(days=34), today)
    assert len(result.weeks) in (5, 6)
    assert all(m.weekday() == 0 for m in result.weeks)
    grids = list(Node.objects.filter(path__startswith=township.path, level="grid"))
    expected = _by_hand(grids, result.weeks)
    assert {r.node_id: [c.buildings_checked for c in r.weeks] for r in result.rows} == expected
    assert sum(map(sum, expected.values())) > 0
    assert {r.kind for r in result.rows} == {"grid"}
    for r in result.rows:
        assert r.buildings == Node.objects.filter(parent_id=r.node_id, level="building").count()
        for cell in r.weeks:
            assert cell.grids_complete == int(0 < r.buildings <= cell.buildings_checked)


def test_weekly_coverage_of_a_county_sums_its_grids_per_township(node):
    county = node("赛罕区")
    admin = User.objects.filter(is_superuser=True).first()
    today = timezone.localdate()
    result = selectors.weekly_coverage(admin, county, today - timedelta(days=20), today)
    assert {r.kind for r in result.rows} == {"area"}
    assert {r.node_id for r in result.rows} == set(
        Node.objects.filter(parent=county).values_list("pk", flat=True)
    )
    grids = list(Node.objects.filter(path__startswith=county.path, level="grid"))
    expected = _by_hand(grids, result.weeks)
    totals = [sum(row[i] for row in expected.values()) for i in range(len(result.weeks))]
    assert [t.buildings_checked for t in result.totals()] == totals
    assert result.grids == len(grids)


def test_weekly_coverage_is_scoped(node, user):
    """A community's leader asking about their county counts only the grids they may see."""
    leader = user("huimin_admin")
    community = node("惠民社区")
    county = Node.objects.get(path=community.path[:12])
    assert county.level == "county"
    result = selectors.weekly_coverage(leader, county, timezone.localdate(), timezone.localdate())
    own = Node.objects.filter(path__startswith=community.path, level="grid").count()
    assert result.grids == own
