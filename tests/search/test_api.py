"""GET /api/v1/search and the break-the-glass endpoints."""

import json

from gridgov.registry import pii

GRID1 = "惠民社区第一网格"


def test_search_api(api, resident):
    zhang = resident("张伟", GRID1)
    response = api("gaobo").get("/api/v1/search", {"q": "张伟"})
    assert response.status_code == 200
    body = response.json()
    assert body["has_next"] is False
    assert body["page"] == 1
    row = body["results"][0]
    assert row["type"] == "resident"
    assert row["id"] == zhang.pk
    assert row["tier"] == 0
    assert row["url"] == f"/registry/residents/{zhang.pk}/"
    assert "*" in row["id_number"]
    assert row["phone"] == "139****1234"
    assert pii.id_number_of(zhang) not in response.content.decode()


def test_special_tags_key_absent_without_the_grant(api):
    granted = api("gaobo").get("/api/v1/search", {"q": "刘强"}).json()["results"][0]
    assert granted["special_tags"] == ["community_correction"]
    chief = api("huimin_chief").get("/api/v1/search", {"q": "刘强"}).json()["results"][0]
    assert "special_tags" not in chief


def test_too_long_query_is_400(api):
    response = api("gaobo").get("/api/v1/search", {"q": "张" * 10_000})
    assert response.status_code == 400
    assert "q too long" in response.json()["detail"]


def test_metacharacters_and_empty(api):
    client = api("city_admin")
    for q in ("%", "_", "'", "张%", "' OR 1=1 --", ""):
        response = client.get("/api/v1/search", {"q": q})
        assert response.status_code == 200, q
        assert response.json()["results"] == [], q


def test_bad_page_is_400(api):
    assert api("gaobo").get("/api/v1/search", {"q": "张", "page": 0}).status_code == 400
    assert api("gaobo").get("/api/v1/search", {"q": "张", "page": "x"}).status_code in (400, 422)


def test_anonymous_is_401(client):
    assert client.get("/api/v1/search", {"q": "张伟"}).status_code == 401


def test_scope_on_the_api(api, resident):
    body = api("laogangfang_worker").get("/api/v1/search", {"q": "张伟"}).json()
    assert [r["id"] for r in body["results"]] == [resident("张伟", "老缸房社区第一网格").pk]


def test_break_glass_api(api, resident):
    client = api("gaobo")
    response = client.post(
        "/api/v1/search/break-glass",
        json.dumps({"reason": "查找已迁往第二网格的张伟"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    grant = response.json()
    assert grant["active"]
    assert grant["node_name"] == "惠民社区"
    assert [g["id"] for g in client.get("/api/v1/search/break-glass").json()] == [grant["id"]]
    found = client.get("/api/v1/search", {"q": "张伟"}).json()
    assert resident("张伟", "惠民社区第二网格").pk in [r["id"] for r in found["results"]]
    assert found["grants"][0]["id"] == grant["id"]
    supervised = api("huimin_admin").get("/api/v1/search/break-glass/supervised").json()
    assert grant["id"] in [g["id"] for g in supervised]
    assert (
        api("laogangfang_worker").post(f"/api/v1/search/break-glass/{grant['id']}/close").status_code == 404
    )
    closed = api("huimin_admin").post(f"/api/v1/search/break-glass/{grant['id']}/close").json()
    assert closed["active"] is False


def test_break_glass_api_needs_a_reason(api):
    response = api("gaobo").post(
        "/api/v1/search/break-glass", json.dumps({"reason": "x"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
