from gridgov.accounts.roles import SINGLE_PER_GRID
from gridgov.hierarchy.models import Level, Node


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
