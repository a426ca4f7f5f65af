"""The hierarchy API (/api/v1/nodes, grids/locate, assignments): explicit statuses, declared in
the OpenAPI schema, without django-ninja's deprecated (status, body) tuples."""

import json

import pytest

from gridgov.accounts.models import User
from gridgov.api.urls import api as ninja_api

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_create_node_answers_201_with_the_node(api, node):
    community = node("惠民社区")
    response = send(
        api("huimin_admin"),
        "post",
        "/api/v1/nodes",
        {"level": "grid", "name": "API新网格", "parent_id": community.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "API新网格"
    assert body["parent_id"] == community.pk
    assert body["version"] == 1
    assert body["path"].startswith(community.path)
    assert "boundary" in body


def test_locate_answers_200_inside_the_scope_and_404_outside(api, node):
    grid = node("惠民社区第一网格")
    found = api("gaobo").get("/api/v1/grids/locate", {"lng": grid.lng, "lat": grid.lat})
    assert found.status_code == 200
    assert found.json()["id"] == grid.pk
    missing = api("gaobo").get("/api/v1/grids/locate", {"lng": 100.0, "lat": 30.0})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no grid in your scope contains this point"}


def test_create_assignment_answers_201(api, node, db):
    User.objects.create(username="api_new_worker", full_name="新兼职网格员")
    grid = node("惠民社区第一网格")
    response = send(
        api("huimin_admin"),
        "post",
        "/api/v1/assignments",
        {"username": "api_new_worker", "role": "part_time_worker", "node_id": grid.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["username"], body["role"], body["node_id"]) == (
        "api_new_worker",
        "part_time_worker",
        grid.pk,
    )


def test_openapi_declares_the_responses():
    paths = ninja_api.get_openapi_schema()["paths"]
    assert set(paths["/api/v1/nodes"]["post"]["responses"]) == {201}
    assert set(paths["/api/v1/grids/locate"]["get"]["responses"]) == {200, 404}
    assert set(paths["/api/v1/assignments"]["post"]["responses"]) == {201}


# ------------------------------------------------------------------ optimistic concurrency: 412


def test_a_stale_version_gets_412_with_both_versions_and_changes_nothing(api, node):
    from gridgov.audit.models import Action, AuditEntry, ChainHead

    grid = node("惠民社区第二网格")
    url, seen = f"/api/v1/nodes/{grid.pk}", grid.version
    first = send(api("huimin_admin"), "patch", url, {"version": seen, "name": "第一个人改的名"})
    assert first.status_code == 200
    assert first.json()["version"] == seen + 1
    second = api("zhaowuda_admin")
    head = ChainHead.objects.get().seq
    stale = send(second, "patch", url, {"version": seen, "name": "第二个人改的名"})
    assert stale.status_code == 412, stale.content
    body = stale.json()
    assert "已被他人修改" in body["detail"]
    assert f"第 {seen} 版" in body["detail"]
    assert (body["current_version"], body["seen_version"]) == (seen + 1, seen)
    grid.refresh_from_db()
    assert (grid.name, grid.version) == ("第一个人改的名", seen + 1)
    # The refused write is in the audit log once, as a failed update of the node.
    rows = list(AuditEntry.objects.filter(seq__gt=head))
    assert [(r.action, r.success, r.object_id) for r in rows] == [(Action.UPDATE, False, str(grid.pk))]
    # With the current version, or without one (unconditional), the write goes through.
    assert send(second, "patch", url, {"version": seen + 1, "name": "再改"}).status_code == 200
    assert send(second, "patch", url, {"name": "无条件"}).status_code == 200


def test_openapi_declares_412_on_patch():
    responses = ninja_api.get_openapi_schema()["paths"]["/api/v1/nodes/{node_id}"]["patch"]["responses"]
    assert set(responses) == {200, 412}
    assert responses[412]["content"]["application/json"]["schema"]["$ref"].endswith("/StaleOut")
