"""GET /api/v1/organisations: the ids dispatching needs, scoped, filtered by kind and area."""

from typing import Any

from gridgov.events.models import Event, Organisation


def test_a_community_official_lists_what_serves_the_place(api: Any, node: Any) -> None:
    client = api("huimin_admin")
    body = client.get("/api/v1/organisations", {"limit": 200}).json()
    names = {o["name"] for o in body["items"]}
    assert "昭乌达南路司法所" in names
    assert "惠民社区综治中心" in names
    assert body["count"] >= len(body["items"])
    judicial = client.get("/api/v1/organisations", {"kind": "judicial", "limit": 200}).json()["items"]
    assert judicial
    assert {o["kind"] for o in judicial} == {"judicial"}
    assert judicial[0]["kind_label"] == "司法所"
    grid = node("惠民社区第一网格")
    serving = client.get("/api/v1/organisations", {"area_id": grid.pk, "limit": 200}).json()["items"]
    for org in serving:
        assert grid.path.startswith(Organisation.objects.get(pk=org["id"]).path)


def test_organisations_an_event_can_be_dispatched_to(api: Any) -> None:
    event = Event.objects.filter(
        path__startswith=Organisation.objects.get(name="惠民社区综治中心").path
    ).first()
    assert event is not None
    items = (
        api("huimin_admin").get("/api/v1/organisations", {"event_id": event.pk, "limit": 200}).json()["items"]
    )
    assert items
    assert all(event.path.startswith(Organisation.objects.get(pk=o["id"]).path) for o in items)


def test_an_outsider_sees_none_of_another_county_and_bad_filters_are_400(api: Any, node: Any) -> None:
    outsider = api("laogangfang_worker")
    names = {o["name"] for o in outsider.get("/api/v1/organisations", {"limit": 200}).json()["items"]}
    assert "惠民社区综治中心" not in names
    assert outsider.get("/api/v1/organisations", {"area_id": node("惠民社区").pk}).status_code == 404
    assert outsider.get("/api/v1/organisations", {"kind": "nonsense"}).status_code == 400
    assert outsider.get("/api/v1/organisations", {"area_id": 2**64}).status_code == 400
    assert outsider.get("/api/v1/organisations", {"offset": -1}).status_code == 400
