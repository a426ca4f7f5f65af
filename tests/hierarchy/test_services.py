"""Writes to the tree: creation rules per level, moves that keep every descendant consistent,
and bad input that is refused with a clear message while nothing stored changes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.core.errors import PreconditionFailed
from gridgov.hierarchy import services
from gridgov.hierarchy.models import Level, Node, PoliceBeat

from .conftest import assert_tree_consistent

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[111.0, 40.0], [111.1, 40.1], [111.1, 40.0], [111.0, 40.1], [111.0, 40.0]]],
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[111.0, 40.0], [111.1, 40.0], [111.1, 40.1], [111.0, 40.1], [111.0, 40.0]]],
}


@pytest.fixture
def admin(user):
    return user("saihan_admin")


def other_community(node):
    """The demo community next to 惠民社区 under 昭乌达南路街道."""
    return (
        Node.objects.filter(parent=node("昭乌达南路街道"), level=Level.COMMUNITY)
        .exclude(name="惠民社区")
        .get()
    )


# --- creation -------------------------------------------------------------------------------


def test_create_at_every_level_with_code_rules(user, node):
    city_admin = user("city_admin")
    county = services.create_node(
        user=city_admin, level=Level.COUNTY, name="新区", parent=node("呼和浩特市"), code="150199"
    )
    township = services.create_node(
        user=city_admin, level=Level.TOWNSHIP, name="新街道", parent=county, code="150199001000"
    )
    community = services.create_node(
        user=city_admin, level=Level.COMMUNITY, name="新社区", parent=township, code="150199001001"
    )
    grid = services.create_node(
        user=city_admin, level=Level.GRID, name="新社区第一网格", parent=community, boundary=SQUARE
    )
    school = services.create_node(
        user=city_admin,
        level=Level.GRID,
        name="新区中学专属网格",
        parent=community,
        grid_kind="dedicated",
        dedicated_kind="school",
    )
    building = services.create_node(user=city_admin, level=Level.BUILDING, name="1号楼", parent=grid)
    assert grid.code == "150199001001001"
    assert school.code == "150199001001002"
    assert building.code == "150199001001001001"
    assert building.path == "150100" + "150199" + "150199001000" + "150199001001" + grid.code + building.code
    assert {n.county_code for n in (county, township, community, grid, building)} == {"150199"}
    assert grid.grid_kind == "basic"
    assert grid.lng is not None
    assert_tree_consistent()


@pytest.mark.parametrize(
    ("level", "parent", "code", "message"),
    [
        (Level.COUNTY, "呼和浩特市", "15019", "6 位数字"),
        (Level.COUNTY, "呼和浩特市", "160199", "前 4 位"),
        (Level.COUNTY, "呼和浩特市", "150105", "已被使用"),
        (Level.TOWNSHIP, "赛罕区", "150102099000", "前 6 位"),
        (Level.TOWNSHIP, "赛罕区", "15010509900a", "12 位数字"),
        (Level.COMMUNITY, "昭乌达南路街道", "150105002099", "前 9 位"),
        (Level.COMMUNITY, "昭乌达南路街道", "150105006036", "已被使用"),
        (Level.GRID, "惠民社区", "150105001002009", "前 12 位"),
    ],
)
def test_bad_codes_are_refused(user, node, unchanged, level, parent, code, message):
    with unchanged(), pytest.raises(ValidationError, match=message) as caught:
        services.create_node(
            user=user("city_admin"), level=level, name="某地", parent=node(parent), code=code
        )
    assert "code" in caught.value.message_dict


@pytest.mark.parametrize(
    ("level", "parent", "message"),
    [
        (Level.BUILDING, "惠民社区", "楼栋只能建在网格下"),
        (Level.GRID, "昭乌达南路街道", "网格只能建在村/社区下"),
        (Level.COUNTY, None, "必须有上级"),
        ("planet", "呼和浩特市", "未知层级"),
    ],
)
def test_wrong_parent_level_is_refused(user, node, unchanged, level, parent, message):
    with unchanged(), pytest.raises(ValidationError, match=message):
        services.create_node(
            user=user("sysadmin"), level=level, name="某地", parent=node(parent) if parent else None
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"grid_kind": "dedicated"}, "dedicated_kind"),
        ({"grid_kind": "dedicated", "dedicated_kind": "casino"}, "dedicated_kind"),
        ({"grid_kind": "basic", "dedicated_kind": "school"}, "dedicated_kind"),
        ({"grid_kind": "huge"}, "grid_kind"),
        ({"name": "  "}, "name"),
    ],
)
def test_bad_grid_fields_are_refused(admin, node, unchanged, fields, field):
    with unchanged(), pytest.raises(ValidationError) as caught:
        services.create_node(
            user=admin, **{"level": Level.GRID, "name": "某网格", "parent": node("惠民社区"), **fields}
        )
    assert field in caught.value.message_dict


def test_grid_kind_on_a_non_grid_is_refused(admin, node, unchanged):
    with unchanged(), pytest.raises(ValidationError, match="只有网格"):
        services.create_node(
            user=admin,
            level=Level.COMMUNITY,
            name="某社区",
            parent=node("昭乌达南路街道"),
            code="150105006099",
            grid_kind="basic",
        )


@pytest.mark.parametrize(
    "boundary",
    [
        BOWTIE,
        {"type": "Point", "coordinates": [111.0, 40.0]},
        {"type": "LineString", "coordinates": [[111.0, 40.0], [111.1, 40.1]]},
        "POLYGON((0 0, 1 0, 1 1, 0 0))",
        {"type": "Polygon", "coordinates": [[[200.0, 40.0], [201.0, 40.0], [201.0, 41.0], [200.0, 40.0]]]},
        {"type": "Polygon", "coordinates": [[[111.0, 95.0], [111.1, 95.0], [111.1, 95.1], [111.0, 95.0]]]},
        {"type": "Polygon", "coordinates": [[[111.0, 40.0], [111.1, 40.0]]]},
        {"type": "Polygon", "coordinates": "junk"},
        {"type": "Polygon", "coordinates": []},
    ],
)
def test_invalid_polygons_are_refused_on_create_and_update(admin, node, unchanged, boundary):
    with unchanged(), pytest.raises(ValidationError) as caught:
        services.create_node(
            user=admin, level=Level.GRID, name="某网格", parent=node("惠民社区"), boundary=boundary
        )
    assert "boundary" in caught.value.message_dict
    with unchanged(), pytest.raises(ValidationError) as caught:
        services.update_node(node("惠民社区第一网格"), user=admin, boundary=boundary)
    assert "boundary" in caught.value.message_dict


def test_only_system_administrators_create_a_city(user, unchanged):
    with unchanged(), pytest.raises(PermissionDenied):
        services.create_node(user=user("city_admin"), level=Level.CITY, name="包头市", code="150200")


@pytest.mark.parametrize("username", ["auditor", "gaobo", "laogangfang_worker", "huimin_chief"])
def test_users_without_the_capability_cannot_create(user, node, unchanged, username):
    with unchanged(), pytest.raises(PermissionDenied):
        services.create_node(
            user=user(username), level=Level.BUILDING, name="99号楼", parent=node("惠民社区第一网格")
        )


def test_auditor_cannot_change_or_move_business_data(user, node, unchanged):
    auditor = user("auditor")
    with unchanged(), pytest.raises(PermissionDenied):
        services.update_node(node("惠民社区"), user=auditor, name="改名")
    with unchanged(), pytest.raises(PermissionDenied):
        services.move_node(node("惠民社区第一网格"), other_community(node), user=auditor)


def test_outsider_cannot_write_into_another_county(user, node, unchanged):
    with unchanged(), pytest.raises(PermissionDenied):
        services.update_node(node("惠民社区"), user=user("laogangfang_worker"), name="改名")
    with unchanged(), pytest.raises(PermissionDenied):
        services.move_node(node("惠民社区第一网格"), node("老缸房社区"), user=user("saihan_admin"))


def test_rename_keeps_codes_and_bumps_version(admin, node):
    grid = node("惠民社区第二网格")
    renamed = services.update_node(grid, user=admin, version=grid.version, name="  惠民二网格 ")
    assert (renamed.name, renamed.code, renamed.path, renamed.version) == (
        "惠民二网格",
        grid.code,
        grid.path,
        grid.version + 1,
    )


def test_stale_version_is_refused(admin, node, unchanged):
    grid = node("惠民社区第二网格")
    services.update_node(grid, user=admin, version=grid.version, name="第一次")
    with unchanged(), pytest.raises(ValidationError, match="已被他人修改") as caught:
        services.update_node(grid, user=admin, version=grid.version, name="第二次")
    # A ValidationError on `version` for pages and the failure log, a PreconditionFailed (412) for the API.
    assert isinstance(caught.value, PreconditionFailed)
    assert list(caught.value.message_dict) == ["version"]
    assert caught.value.extra == {"current_version": grid.version + 1, "seen_version": grid.version}


def test_code_and_path_cannot_be_edited_directly(admin, node, unchanged):
    for field in ("code", "path", "parent", "county_code"):
        with unchanged(), pytest.raises(ValidationError):
            services.update_node(node("惠民社区"), user=admin, **{field: "150105001099"})


# --- moves -----------------------------------------------------------------------------------


def test_moving_a_grid_rederives_its_code_and_its_buildings(admin, node):
    grid, target = node("惠民社区第一网格"), other_community(node)
    buildings_before = set(grid.children.values_list("name", flat=True))
    moved = services.move_node(grid, target, user=admin)
    assert moved.parent_id == target.pk
    assert moved.code.startswith(target.code)
    assert moved.code != grid.code
    assert moved.path == target.path + moved.code
    buildings = list(moved.children.all())
    assert {b.name for b in buildings} == buildings_before
    assert all(b.code.startswith(moved.code) and b.path == moved.path + b.code for b in buildings)
    # Staff and police beats stay with the grid itself.
    assert moved.assignments.filter(user__username="gaobo").exists()
    assert moved.police_beats.exists()
    assert_tree_consistent()


def test_moving_a_grid_to_another_county_updates_county_codes(user, node):
    grid = node("惠民社区第一网格")
    moved = services.move_node(grid, node("老缸房社区"), user=user("city_admin"))
    assert moved.county_code == "150102"
    assert set(Node.objects.filter(path__under=moved.path).values_list("county_code", flat=True)) == {
        "150102"
    }
    assert_tree_consistent()


def test_moving_a_township_across_counties_needs_and_takes_a_new_code(user, node, unchanged):
    township, target = node("昭乌达南路街道"), node("新城区")
    with unchanged(), pytest.raises(ValidationError, match="需要提供新的代码"):
        services.move_node(township, target, user=user("city_admin"))
    beat = PoliceBeat.objects.get(name="惠民社区警格")
    moved = services.move_node(township, target, user=user("city_admin"), new_code="150102099000")
    assert moved.path == target.path + "150102099000"
    assert moved.county_code == "150102"
    subtree = Node.objects.filter(path__under=moved.path)
    assert subtree.count() == 1 + 2 + 6 + 24  # township, communities, grids, buildings
    assert set(subtree.values_list("county_code", flat=True)) == {"150102"}
    # The communities' statistical codes (and the grid and building codes derived from them)
    # take the township's new prefix.
    assert all(code.startswith("150102099") for code in subtree.values_list("code", flat=True))
    assert node("惠民社区").code == "150102099036"  # its own last three digits kept
    beat.refresh_from_db()
    assert beat.county_code == "150102"
    assert beat.path == node("惠民社区").path
    assert not Node.objects.filter(path__under="150100150105150105006000").exists()
    assert_tree_consistent()


def test_moving_a_community_with_a_new_code_rewrites_derived_codes_below(user, node):
    community, target = node("惠民社区"), node("大学东路街道")
    moved = services.move_node(community, target, user=user("saihan_admin"), new_code="150105004099")
    assert moved.code == "150105004099"
    grids = list(moved.children.all())
    assert len(grids) == 3
    assert all(g.code.startswith("150105004099") for g in grids)
    assert all(b.code.startswith(b.parent.code) for b in Node.objects.filter(parent__in=grids))
    beat = PoliceBeat.objects.get(name="惠民社区警格")
    assert beat.path == moved.path
    assert_tree_consistent()


def test_scoped_rows_of_other_models_follow_a_move(admin, node):
    grid = node("惠民社区第一网格")
    beat = PoliceBeat.objects.create(
        code="JG-TEST",
        name="测试警格",
        station_name="昭乌达派出所",
        officer_name="警官",
        path=grid.path,
        county_code=grid.county_code,
    )
    moved = services.move_node(grid, other_community(node), user=admin)
    beat.refresh_from_db()
    assert beat.path == moved.path


def test_move_into_own_subtree_is_a_cycle(user, node, unchanged):
    with unchanged(), pytest.raises(ValidationError, match="环"):
        services.move_node(node("赛罕区"), node("惠民社区第一网格"), user=user("city_admin"))
    with unchanged(), pytest.raises(ValidationError, match="环"):
        services.move_node(node("惠民社区"), node("惠民社区"), user=user("city_admin"))


def test_move_under_a_parent_of_the_wrong_level_is_refused(admin, node, unchanged):
    with unchanged(), pytest.raises(ValidationError, match="网格只能建在村/社区下"):
        services.move_node(node("惠民社区第一网格"), node("大学东路街道"), user=admin)


def test_move_with_a_code_taken_or_malformed_is_refused(admin, node, unchanged):
    with unchanged(), pytest.raises(ValidationError, match="已被使用"):
        services.move_node(
            node("惠民社区"),
            node("大学东路街道"),
            user=admin,
            new_code=Node.objects.filter(parent=node("大学东路街道")).first().code,
        )
    with unchanged(), pytest.raises(ValidationError, match="12 位数字"):
        services.move_node(node("惠民社区"), node("大学东路街道"), user=admin, new_code="1501050020")


def test_move_to_the_same_parent_changes_nothing(admin, node, unchanged):
    with unchanged():
        services.move_node(node("惠民社区"), node("昭乌达南路街道"), user=admin)


# --- API bad input ---------------------------------------------------------------------------


def test_api_unknown_parent_is_404_and_nothing_changes(api, unchanged):
    client = api("saihan_admin")
    with unchanged():
        response = client.post(
            "/api/v1/nodes",
            {"level": "grid", "name": "某网格", "parent_id": 99999999},
            content_type="application/json",
        )
    assert response.status_code == 404


def test_api_move_to_unknown_or_outside_parent_is_404(api, node, unchanged):
    client = api("saihan_admin")
    with unchanged():
        for parent_id in (99999999, node("老缸房社区").pk):
            response = client.post(
                f"/api/v1/nodes/{node('惠民社区第一网格').pk}/move",
                {"parent_id": parent_id},
                content_type="application/json",
            )
            assert response.status_code == 404


def test_api_bad_input_names_the_field(api, node, unchanged):
    client = api("saihan_admin")
    with unchanged():
        response = client.post(
            "/api/v1/nodes",
            {"level": "building", "name": "1号楼", "parent_id": node("惠民社区").pk},
            content_type="application/json",
        )
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]
    assert "楼栋只能建在网格下" in response.json()["detail"]
    with unchanged():
        response = client.post(
            "/api/v1/nodes",
            {"level": "grid", "name": "坏", "parent_id": node("惠民社区").pk, "boundary": BOWTIE},
            content_type="application/json",
        )
    assert response.status_code == 400
    assert "Self-intersection" in response.json()["errors"]["boundary"][0]


def test_every_scoped_row_of_every_app_follows_a_move_across_counties(user, node):
    """Households, residents, events, disputes, … (whatever ScopedModel rows the demo has under
    the moved community) keep belonging to it: same rows under the new path, new county code."""
    community = node("惠民社区")
    before = {
        model: set(model._default_manager.filter(path__under=community.path).values_list("pk", flat=True))
        for model in services.scoped_models()
    }
    moved = services.move_node(community, node("东街街道"), user=user("city_admin"), new_code="150102004099")
    for model, pks in before.items():
        rows = model._default_manager.filter(pk__in=pks)
        assert set(rows.filter(path__under=moved.path).values_list("pk", flat=True)) == pks, model
        assert set(rows.values_list("county_code", flat=True)) <= {"150102"}, model
    assert sum(len(pks) for pks in before.values()) > 3 * 4  # grids and buildings at least
    assert_tree_consistent()
