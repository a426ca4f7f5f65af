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
    assert "vendor/leaflet/leaflet.js" in page and "gridgov/map.js" in page
    assert 'id="map-config" type="application/json"' in page
    assert "<script>" not in page and "tile.openstreetmap" not in page and "http://" not in page.split("<body")[1]


def test_grid_worker_gets_their_grid_with_staff_police_and_buildings(login, node):
    grid = node("惠民社区第一网格")
    data = geojson(login("gaobo"))
    assert data["type"] == "FeatureCollection" and data["gridgov"]["mode"] == "grids"
    grids = [f for f in data["features"] if f["properties"]["kind"] == "grid"]
    assert [f["properties"]["id"] for f in grids] == [grid.pk]
    props = grids[0]["properties"]
    assert grids[0]["geometry"]["type"] == "Polygon"
    assert {s["name"] for s in props["staff"]} >= {"李网格长", "王指导员", "高波", "赵楼栋长"}
    assert props["missing"] == [] and props["url"] == f"/nodes/{grid.pk}/"
    beat = props["beats"][0]
    assert beat["station"].endswith("派出所") and beat["officer"] and "volunteers" in beat
    buildings = [f for f in data["features"] if f["properties"]["kind"] == "building"]
    assert len(buildings) == 4 and all(f["geometry"]["type"] == "Point" for f in buildings)
    assert data["gridgov"]["parent"] is None  # nothing above their grid is theirs to see


def test_community_official_sees_all_grids_of_the_community_only(login, node):
    data = geojson(login("huimin_admin"))
    names = {f["properties"]["name"] for f in data["features"]}
    expected = set(Node.objects.filter(parent=node("惠民社区")).values_list("name", flat=True))
    assert names == expected and data["gridgov"]["grid_count"] == 3


def test_large_scopes_come_as_areas_to_drill_into(login, node, monkeypatch):
    monkeypatch.setattr(selectors, "MAP_GRID_LIMIT", 20)
    client = login("city_admin")
    data = geojson(client)
    assert data["gridgov"]["mode"] == "areas"
    assert {f["properties"]["level"] for f in data["features"]} == {Level.COUNTY}
    assert len(data["features"]) == 9 and sum(f["properties"]["grids"] for f in data["features"]) == 108
    assert all("staff" not in f["properties"] for f in data["features"])
    saihan = next(f for f in data["features"] if f["properties"]["name"] == "赛罕区")
    assert saihan["properties"]["grids"] == 12
    drilled = geojson(client, node("赛罕区"))
    assert drilled["gridgov"]["mode"] == "grids" and drilled["gridgov"]["grid_count"] == 12
    assert drilled["gridgov"]["parent"]["name"] == "呼和浩特市"


def test_outsider_gets_404_for_another_subtree(login, node):
    client = login("laogangfang_worker")
    assert client.get("/map/grids.geojson", {"node": node("惠民社区第一网格").pk}).status_code == 404
    assert client.get("/map/", {"node": node("惠民社区").pk}).status_code == 404
    assert client.get("/map/grids.geojson", {"node": "abc"}).status_code == 404
    names = {f["properties"]["name"] for f in geojson(client)["features"] if f["properties"]["kind"] == "grid"}
    assert names == {"老缸房社区第一网格"}


@pytest.mark.parametrize("url", ["/map/", "/map/grids.geojson"])
def test_map_requires_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
