"""The overview's JSON API: scoped to the viewer's subtree, figures by what the role may see."""

import pytest

from gridgov.overview import selectors


def _get(client, node, **params):
    return client.get(f"/api/v1/overview/{node.pk}", params)


def _cards(data):
    return {card["key"]: card for section in data["sections"] for card in section["cards"]}


@pytest.mark.parametrize("name", ["呼和浩特市", "赛罕区", "昭乌达南路街道", "惠民社区", "惠民社区第一网格"])
def test_city_official_sees_every_level_with_its_children(api, node, name):
    target = node(name)
    response = _get(api("city_admin"), target, period="year")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["node"]["name"] == name
    assert [c["name"] for c in data["crumbs"]][-1] == name
    cards = _cards(data)
    assert {
        "events.reported",
        "events.open",
        "people.households",
        "disputes.open",
        "frontline.workers",
    } <= set(cards)
    children = {row["name"] for row in data["breakdown"]["rows"]}
    if name != "惠民社区第一网格":
        assert children == set(target.children.values_list("name", flat=True))
    figures = selectors.sums(target.path, selectors.Period("year", *_year_bounds(data)))
    assert cards["events.reported"]["value"] == figures.get("events.reported", 0)
    assert cards["events.open"]["value"] == figures.get("events.open", 0)
    assert len(data["trend"]["months"]) == 12


def _year_bounds(data):
    import datetime

    return datetime.date.fromisoformat(data["period"]["start"]), datetime.date.fromisoformat(
        data["period"]["end"]
    )


def test_township_official_never_sees_another_township(api, node):
    client = api("zhaowuda_admin")
    assert _get(client, node("昭乌达南路街道")).status_code == 200
    other = node("老缸房社区").parent
    for url in ("", "/map", "/indicators"):
        assert client.get(f"/api/v1/overview/{other.pk}{url}").status_code == 404
    assert client.get(f"/api/v1/overview/{node('呼和浩特市').pk}").status_code == 404
    assert _get(client, node("赛罕区")).status_code == 404


def test_crumbs_stop_at_the_top_of_the_viewers_scope(api, node):
    data = _get(api("zhaowuda_admin"), node("惠民社区第一网格")).json()
    assert [c["name"] for c in data["crumbs"]] == ["昭乌达南路街道", "惠民社区", "惠民社区第一网格"]


def test_special_groups_only_for_roles_granted_them(api, node):
    huimin = node("惠民社区")
    granted = _get(api("huimin_admin"), huimin, period="year").json()
    assert granted["special"]
    assert "people.special" in _cards(granted)
    not_granted = _get(api("saihan_admin"), huimin, period="year").json()
    assert not_granted["special"] == []
    assert "people.special" not in _cards(not_granted)
    assert "special" not in str(not_granted["sections"])


def test_auditor_sees_structure_not_events_or_people(api, node):
    data = _get(api("auditor"), node("惠民社区"), period="year").json()
    cards = _cards(data)
    assert "events.reported" not in cards
    assert "people.households" not in cards
    assert "frontline.grids" in cards
    assert data["categories"] == []
    assert data["care"] == []
    indicators = api("auditor").get(f"/api/v1/overview/{node('惠民社区').pk}/indicators").json()
    assert indicators["workers"] == []


def test_grid_worker_sees_their_grid_only(api, node):
    client = api("gaobo")
    assert _get(client, node("惠民社区第一网格")).status_code == 200
    assert _get(client, node("惠民社区")).status_code == 404
    assert _get(client, node("惠民社区第二网格")).status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "decade"}, "period"),
        ({"period": "custom", "end": "2026-01-01"}, "start"),
        ({"period": "custom", "start": "2026-13-01", "end": "2026-12-01"}, "start"),
        ({"period": "custom", "start": "2026-02-01", "end": "2026-01-01"}, "end"),
    ],
)
def test_bad_period_is_a_400_naming_the_field(api, node, params, field):
    response = _get(api("city_admin"), node("赛罕区"), **params)
    assert response.status_code == 400
    assert field in response.content.decode()


def test_map_layer_has_children_polygons_with_figures_and_event_points(api, node):
    data = api("zhaowuda_admin").get(f"/api/v1/overview/{node('惠民社区').pk}/map", {"period": "year"}).json()
    assert data["type"] == "FeatureCollection"
    names = {f["properties"]["name"] for f in data["features"]}
    assert names == set(node("惠民社区").children.exclude(boundary=None).values_list("name", flat=True))
    assert all("events.reported" in f["properties"]["values"] for f in data["features"])
    assert {f["key"] for f in data["figures"]} >= {"events.reported", "events.open"}
    assert data["points"]
    assert all(len(p) == 5 for p in data["points"])


def test_indicators_per_child_and_worker(api, node):
    data = (
        api("huimin_admin")
        .get(f"/api/v1/overview/{node('惠民社区').pk}/indicators", {"period": "year"})
        .json()
    )
    assert data["node"]["found"] == sum(c["found"] for c in data["children"])
    assert any(w["name"] for w in data["workers"])
