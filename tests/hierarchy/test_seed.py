import re

import pytest
from shapely import unary_union
from shapely.geometry import Point, shape

from gridgov.accounts.roles import SINGLE_PER_GRID
from gridgov.hierarchy import hohhot
from gridgov.hierarchy.models import GridKind, Level, Node


def test_demo_city_has_all_nine_counties_with_real_codes(db):
    codes = set(Node.objects.filter(level=Level.COUNTY).values_list("code", flat=True))
    assert codes == {"150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124", "150125"}


def test_demo_city_names_the_articles_communities(node):
    assert node("惠民社区").parent.name == "昭乌达南路街道"
    assert node("老缸房社区").parent.name == "东街街道"
    assert node("东街街道").parent.name == "新城区"


def test_every_demo_grid_is_staffed_one_one_one(db):
    for grid in Node.objects.filter(level=Level.GRID):
        roles = list(grid.assignments.values_list("role", flat=True))
        for role in SINGLE_PER_GRID:
            assert roles.count(role) == 1, (grid.name, role)


def test_paths_are_prefix_consistent(db):
    for n in Node.objects.select_related("parent"):
        if n.parent:
            assert n.path == n.parent.path + n.code
            assert n.county_code == n.path[6:12]


# --- the geography: real outlines, everything drawn inside its parent -------------------------

TOLERANCE = 1e-5  # share of an area that rounding the stored coordinates may open or overlap


def shapes(level):
    return {n.pk: (n, shape(n.boundary)) for n in Node.objects.filter(level=level)}


def test_demo_city_has_the_real_townships_and_communities(node):
    assert node("昭乌达南路街道").code == "150105006000"
    assert node("东街街道").code == "150102004000"
    assert node("惠民社区").code == "150105006036"
    assert node("老缸房社区").code == "150102004007"
    real = {d.code: d.name for c in hohhot.city().children for t in c.children for d in (t, *t.children)}
    seeded = Node.objects.filter(level__in=[Level.TOWNSHIP, Level.COMMUNITY])
    assert seeded.count() == 18 + 36
    for n in seeded:
        assert real[n.code] == n.name, n
    for grid in Node.objects.filter(level=Level.GRID).select_related("parent"):
        assert re.fullmatch(rf"{grid.parent.code}\d{{3}}", grid.code)
    for building in Node.objects.filter(level=Level.BUILDING).select_related("parent")[:50]:
        assert re.fullmatch(rf"{building.parent.code}\d{{3}}", building.code)


def test_counties_have_their_real_boundary(db):
    outlines = hohhot.county_boundaries()
    for _pk, (county, outline) in shapes(Level.COUNTY).items():
        assert outline.symmetric_difference(outlines[county.code]).area <= TOLERANCE * outline.area


@pytest.mark.parametrize(
    ("level", "parent_level"),
    [
        (Level.COUNTY, Level.CITY),
        (Level.TOWNSHIP, Level.COUNTY),
        (Level.COMMUNITY, Level.TOWNSHIP),
        (Level.GRID, Level.COMMUNITY),
    ],
)
def test_every_area_lies_inside_its_parent_and_overlaps_no_sibling(db, level, parent_level):
    parents = shapes(parent_level)
    children = shapes(level)
    assert children
    siblings: dict[int, list] = {}
    for node, outline in children.values():
        assert outline.is_valid, node
        assert outline.area > 0, node
        parent_outline = parents[node.parent_id][1]
        assert outline.difference(parent_outline).area <= TOLERANCE * outline.area, node
        assert outline.covers(Point(node.lng, node.lat)), node
        siblings.setdefault(node.parent_id, []).append((node, outline))
    for group in siblings.values():
        for i, (a, outline_a) in enumerate(group):
            for b, outline_b in group[i + 1 :]:
                overlap = outline_a.intersection(outline_b).area
                assert overlap <= TOLERANCE * min(outline_a.area, outline_b.area), (a, b)


def test_a_communitys_grids_cover_it(db):
    grids: dict[int, list] = {}
    for node, outline in shapes(Level.GRID).values():
        grids.setdefault(node.parent_id, []).append(outline)
    for pk, (community, outline) in shapes(Level.COMMUNITY).items():
        covered = unary_union(grids[pk])
        assert outline.symmetric_difference(covered).area <= TOLERANCE * outline.area, community


def test_dedicated_grids_are_drawn_smaller_than_basic_ones(db):
    for community in Node.objects.filter(level=Level.COMMUNITY):
        grids = list(community.children.all())
        basic = [shape(g.boundary).area for g in grids if g.grid_kind == GridKind.BASIC]
        dedicated = [shape(g.boundary).area for g in grids if g.grid_kind == GridKind.DEDICATED]
        assert len(basic) == 2
        assert len(dedicated) == 1
        assert max(dedicated) < min(basic), community


def test_every_building_stands_inside_its_grid(db):
    grids = {pk: outline for pk, (_node, outline) in shapes(Level.GRID).items()}
    buildings = list(Node.objects.filter(level=Level.BUILDING).values_list("name", "parent_id", "lng", "lat"))
    assert len(buildings) == 4 * len(grids)
    for name, grid_id, lng, lat in buildings:
        assert grids[grid_id].contains(Point(lng, lat)), (name, grid_id)


def test_every_seeded_household_event_and_dispute_lies_inside_its_grid(db):
    from gridgov.disputes.models import Dispute
    from gridgov.events.models import Event
    from gridgov.registry.models import Household

    grids = {pk: outline for pk, (_node, outline) in shapes(Level.GRID).items()}
    households = list(
        Household.objects.values_list("grid_id", "building__parent_id", "building__lng", "building__lat")
    )
    assert households
    for grid_id, building_grid_id, lng, lat in households:
        assert grid_id == building_grid_id
        assert grids[grid_id].contains(Point(lng, lat))
    events = list(Event.objects.exclude(grid=None).values_list("number", "grid_id", "lng", "lat"))
    assert len(events) >= 20
    for number, grid_id, lng, lat in events:
        assert grids[grid_id].covers(Point(lng, lat)), number
    disputes = list(Dispute.objects.values_list("pk", "event__grid_id", "event__lng", "event__lat"))
    assert disputes
    for pk, grid_id, lng, lat in disputes:
        assert grids[grid_id].covers(Point(lng, lat)), pk
