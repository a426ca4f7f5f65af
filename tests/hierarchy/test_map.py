"""The grid map: a page without online tiles and a scoped GeoJSON endpoint."""

import pytest

from gridgov.hierarchy import selectors
from gridgov.hierarchy.models import Level, Node


def geojson(client, node=None):
    response = client.get("/map/grids.geojson", {"node": node.pk} if node is not None else {})
    assert response.status_code == 200, response.content
    return response.json()


def test_map_page_loads_leaflet_and_its_script_but_no_online_tiles(login, node):
    grid = node("惠民社区第一网格")
    response = login("gaobo").get(f"/map/?node={grid.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "vendor/leaflet/leaflet.js" in page
    assert "gridgov/map.js" in page
    assert 'id="map-config" type="application/json"' in page
    assert "<script>" not in page
    assert "tile.openstreetmap" not in page
    assert "http://" not in page.split("<body")[1]


def test_grid_worker_gets_their_grid_with_staff_police_and_buildings(login, node):
    grid = node("惠民社区第一网格")
    data = geojson(login("gaobo"))
    assert data["type"] == "FeatureCollection"
    assert data["gridgov"]["mode"] == "grids"
    grids = [f for f in data["features"] if f["properties"]["kind"] == "grid"]
    assert [f["properties"]["id"] for f in grids] == [grid.pk]
    props = grids[0]["properties"]
    assert grids[0]["geometry"]["type"] == "Polygon"
    assert {s["name"] for s in props["staff"]} >= {"李网格长", "王指导员", "高波", "赵楼栋长"}
    assert props["missing"] == []
    assert props["url"] == f"/nodes/{grid.pk}/"
    beat = props["beats"][0]
    assert beat["station"].endswith("派出所")
    assert beat["officer"]
    assert "volunteers" in beat
    buildings = [f for f in data["features"] if f["properties"]["kind"] == "building"]
    assert len(buildings) == 4
    assert all(f["geometry"]["type"] == "Point" for f in buildings)
    assert data["gridgov"]["parent"] is None  # nothing above their grid is theirs to see


def test_community_official_sees_all_grids_of_the_community_only(login, node):
    data = geojson(login("huimin_admin"))
    names = {f["properties"]["name"] for f in data["features"]}
    expected = set(Node.objects.filter(parent=node("惠民社区")).values_list("name", flat=True))
    assert names == expected
    assert data["gridgov"]["grid_count"] == 3


def test_large_scopes_come_as_areas_to_drill_into(login, node, monkeypatch):
    monkeypatch.setattr(selectors, "MAP_GRID_LIMIT", 20)
    client = login("city_admin")
    data = geojson(client)
    assert data["gridgov"]["mode"] == "areas"
    assert {f["properties"]["level"] for f in data["features"]} == {Level.COUNTY}
    assert len(data["features"]) == 9
    assert sum(f["properties"]["grids"] for f in data["features"]) == 108
    assert all("staff" not in f["properties"] for f in data["features"])
    saihan = next(f for f in data["features"] if f["properties"]["name"] == "赛罕区")
    assert saihan["properties"]["grids"] == 12
    drilled = geojson(client, node("赛罕区"))
    assert drilled["gridgov"]["mode"] == "grids"
    assert drilled["gridgov"]["grid_count"] == 12
    assert drilled["gridgov"]["parent"]["name"] == "呼和浩特市"


def test_outsider_gets_404_for_another_subtree(login, node):
    client = login("laogangfang_worker")
    assert client.get("/map/grids.geojson", {"node": node("惠民社区第一网格").pk}).status_code == 404
    assert client.get("/map/", {"node": node("惠民社区").pk}).status_code == 404
    assert client.get("/map/grids.geojson", {"node": "abc"}).status_code == 404
    names = {
        f["properties"]["name"] for f in geojson(client)["features"] if f["properties"]["kind"] == "grid"
    }
    assert names == {"老缸房社区第一网格"}


@pytest.mark.parametrize("url", ["/map/", "/map/grids.geojson"])
def test_map_requires_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ------------------------------------------------------------------ areas without boundary data

NOTE = "该区域暂无边界数据"


def _new_community(name, code, *, lng=111.71, lat=40.79, user="zhaowuda_admin"):
    """A community made through the service, without a boundary (and so without grids yet)."""
    from gridgov.accounts.models import User
    from gridgov.core.context import acting_as
    from gridgov.hierarchy import services

    admin = User.objects.get(username=user)
    with acting_as(admin, channel="page"):
        return services.create_node(
            user=admin,
            level=Level.COMMUNITY,
            name=name,
            code=code,
            parent=Node.objects.get(name="昭乌达南路街道"),
            lng=lng,
            lat=lat,
        )


def test_an_area_without_boundary_or_grids_is_a_point_at_its_coordinates_with_a_note(login, node):
    community = _new_community("新建无边界社区", "150105006098")
    assert community.boundary is None
    data = geojson(login("zhaowuda_admin"), community)
    assert data["gridgov"]["note"] == NOTE
    assert data["gridgov"]["grid_count"] == 0
    [place] = data["features"]
    assert place["geometry"] == {"type": "Point", "coordinates": [111.71, 40.79]}
    props = place["properties"]
    assert (props["kind"], props["id"], props["name"], props["note"]) == (
        "place",
        community.pk,
        "新建无边界社区",
        NOTE,
    )
    assert props["level_label"] == "村/社区"
    assert props["url"] == f"/nodes/{community.pk}/"


def test_an_area_without_boundary_draws_its_grids_that_have_one(login, node):
    community = node("惠民社区")
    *drawn, bare = community.children.filter(level=Level.GRID).order_by("code")
    Node.objects.filter(pk__in=[community.pk, bare.pk]).update(boundary=None)
    data = geojson(login("huimin_admin"), community)
    assert data["gridgov"]["note"] == ""
    assert data["gridgov"]["grid_count"] == 3
    assert {f["properties"]["kind"] for f in data["features"]} == {"grid"}
    assert [f["properties"]["id"] for f in data["features"]] == [g.pk for g in drawn]


def test_a_grid_without_boundary_is_a_point_with_its_buildings(login, node):
    grid = node("惠民社区第一网格")
    Node.objects.filter(pk=grid.pk).update(boundary=None)
    data = geojson(login("gaobo"))
    assert data["gridgov"]["note"] == NOTE
    kinds = [f["properties"]["kind"] for f in data["features"]]
    assert kinds == ["place"] + ["building"] * 4
    assert data["features"][0]["geometry"]["coordinates"] == [grid.lng, grid.lat]


def test_areas_mode_with_no_child_boundary_falls_back_to_the_top_node(login, node, monkeypatch):
    monkeypatch.setattr(selectors, "MAP_GRID_LIMIT", 20)
    Node.objects.filter(level=Level.COUNTY).update(boundary=None)
    city = node("呼和浩特市")
    data = geojson(login("city_admin"))
    assert data["gridgov"]["mode"] == "areas"
    assert data["gridgov"]["note"] == NOTE
    [place] = data["features"]
    assert place["properties"]["id"] == city.pk
    assert place["geometry"]["coordinates"] == [city.lng, city.lat]
    # With some counties drawn again, only those show, without the note.
    Node.objects.filter(pk=node("赛罕区").pk).update(boundary=node("呼和浩特市").boundary)
    data = geojson(login("city_admin"))
    assert data["gridgov"]["note"] == ""
    assert [f["properties"]["name"] for f in data["features"]] == ["赛罕区"]


def test_an_area_without_boundary_or_coordinates_gets_only_the_note(login, node):
    community = _new_community("无坐标社区", "150105006097", lng=None, lat=None)
    data = geojson(login("zhaowuda_admin"), community)
    assert data["features"] == []
    assert data["gridgov"]["note"] == NOTE


def test_the_map_page_has_a_place_for_the_note(login, node):
    page = login("zhaowuda_admin").get(f"/map/?node={node('惠民社区').pk}").content.decode()
    assert '<p class="map-note" id="map-note" role="status" hidden></p>' in page
