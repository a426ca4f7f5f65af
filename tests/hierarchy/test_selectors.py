"""Reads of the tree go through the user's scope."""

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.hierarchy import selectors
from gridgov.hierarchy.models import Level, Node


def test_each_persona_starts_at_the_top_of_their_own_subtree(user, node):
    tops = {
        name: [n.name for n in selectors.top_nodes(user(name))]
        for name in (
            "sysadmin",
            "city_admin",
            "saihan_admin",
            "zhaowuda_admin",
            "huimin_admin",
            "gaobo",
            "laogangfang_worker",
        )
    }
    assert tops == {
        "sysadmin": ["呼和浩特市"],
        "city_admin": ["呼和浩特市"],
        "saihan_admin": ["赛罕区"],
        "zhaowuda_admin": ["昭乌达南路街道"],
        "huimin_admin": ["惠民社区"],
        "gaobo": ["惠民社区第一网格"],
        "laogangfang_worker": ["老缸房社区第一网格"],
    }


def test_a_grid_worker_sees_their_grid_and_its_buildings_only(user, node):
    grid = node("惠民社区第一网格")
    seen = selectors.nodes_for(user("gaobo"))
    assert set(seen.values_list("pk", flat=True)) == {grid.pk, *grid.children.values_list("pk", flat=True)}


def test_county_admin_sees_their_county_and_nothing_of_another(user, node):
    seen = selectors.nodes_for(user("saihan_admin"))
    assert seen.filter(pk=node("惠民社区").pk).exists()
    assert not seen.filter(pk=node("老缸房社区").pk).exists()
    assert not seen.filter(pk=node("呼和浩特市").pk).exists()
    assert set(seen.values_list("county_code", flat=True)) == {"150105"}


def test_children_and_breadcrumbs_stop_at_the_scope(user, node):
    gaobo = user("gaobo")
    grid = node("惠民社区第一网格")
    building = grid.children.order_by("code").first()
    assert [n.name for n in selectors.breadcrumbs(building, gaobo)] == [grid.name, building.name]
    assert selectors.breadcrumbs(building, user("saihan_admin"))[0].name == "赛罕区"
    assert list(selectors.children_of(node("惠民社区"), gaobo)) == [grid]  # not the neighbouring grids
    assert selectors.children_of(node("惠民社区"), user("huimin_admin")).count() == 3


def test_grids_for_and_police_beats_are_scoped(user, node):
    assert selectors.grids_for(user("huimin_admin")).count() == 3
    assert selectors.grids_for(user("saihan_admin"), node("惠民社区")).count() == 3
    assert not selectors.grids_for(user("laogangfang_worker"), node("惠民社区")).exists()
    beats = selectors.beats_for(user("saihan_admin"))
    assert beats.exists()
    assert set(beats.values_list("county_code", flat=True)) == {"150105"}


def test_staffing_gaps_list_every_grid_missing_one_of_the_three(user, node):
    zhaowuda = user("zhaowuda_admin")
    assert selectors.staffing_gaps(zhaowuda) == []
    grids = list(Node.objects.filter(path__under=node("惠民社区").path, level=Level.GRID).order_by("path"))
    for grid, role in zip(grids, [Role.GRID_CHIEF, Role.GRID_INSTRUCTOR, Role.GRID_WORKER], strict=True):
        RoleAssignment.objects.filter(node=grid, role=role).delete()
    RoleAssignment.objects.filter(node=node("老缸房社区第一网格"), role=Role.GRID_CHIEF).delete()  # outside
    gaps = selectors.staffing_gaps(zhaowuda)
    assert [(g["grid"], [str(m) for m in g["missing"]]) for g in gaps] == [
        (grids[0], ["网格长"]),
        (grids[1], ["网格指导员"]),
        (grids[2], ["专职网格员"]),
    ]
    assert len(selectors.staffing_gaps(user("city_admin"))) == 4
    other = Node.objects.filter(parent=node("昭乌达南路街道")).exclude(name="惠民社区").get()
    assert selectors.staffing_gaps(zhaowuda, other) == []


def test_staffing_gaps_api(api, node):
    RoleAssignment.objects.filter(node=node("惠民社区第二网格"), role=Role.GRID_INSTRUCTOR).delete()
    response = api("huimin_admin").get("/api/v1/staffing-gaps")
    assert response.status_code == 200
    assert response.json() == [
        {
            "grid_id": node("惠民社区第二网格").pk,
            "grid_code": node("惠民社区第二网格").code,
            "grid_name": "惠民社区第二网格",
            "missing": ["网格指导员"],
        }
    ]


def test_subtree_counts(node):
    assert selectors.subtree_counts(node("赛罕区")) == {
        "township": 2,
        "community": 4,
        "grid": 12,
        "building": 48,
    }
