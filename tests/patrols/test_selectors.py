"""Coverage and due lists: the figures a leader reads, checked against a count by hand."""

from datetime import timedelta

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
