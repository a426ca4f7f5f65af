"""Every door writes the audit log: API, commands, services; failures, denials and logins too.

(Page and admin writes are covered with the views that make them.)
"""

import json

import pytest
from django.core.management import call_command

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.services import assign_role
from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.hierarchy import services as hierarchy
from gridgov.hierarchy.models import Level, Node


def rows_after(seq):
    return list(AuditEntry.objects.filter(seq__gt=seq).order_by("seq"))


@pytest.fixture
def head(db):
    return ChainHead.objects.get().seq


def test_api_write_is_logged_with_channel_ip_request_id_and_changes(api, node, head):
    client = api("saihan_admin")
    response = client.post(
        "/api/v1/nodes",
        {"level": "grid", "name": "审计测试网格", "parent_id": node("惠民社区").pk},
        content_type="application/json",
        headers={"X-Request-ID": "req-test-0001"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "req-test-0001"
    created = [r for r in rows_after(head) if r.action == Action.CREATE and r.object_type == "hierarchy.node"]
    assert len(created) == 1
    row = created[0]
    assert (row.channel, row.ip, row.request_id, row.actor_name) == (
        "api",
        "10.1.2.3",
        "req-test-0001",
        "saihan_admin",
    )
    assert row.actor_id == User.objects.get(username="saihan_admin").pk
    assert row.success
    assert row.object_id == str(response.json()["id"])
    assert row.changes["name"] == [None, "审计测试网格"]
    assert row.path == response.json()["path"]


def test_api_update_logs_before_and_after(api, node, head):
    grid = node("惠民社区第二网格")
    response = api("huimin_admin").patch(
        f"/api/v1/nodes/{grid.pk}", {"name": "惠民社区二网格"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    row = next(r for r in rows_after(head) if r.action == Action.UPDATE and r.object_id == str(grid.pk))
    assert row.changes["name"] == ["惠民社区第二网格", "惠民社区二网格"]
    assert row.changes["version"] == [grid.version, grid.version + 1]


def test_failed_api_write_is_logged_once_as_unsuccessful(api, node, head):
    response = api("saihan_admin").post(
        "/api/v1/nodes",
        {
            "level": "grid",
            "name": "坏网格",
            "parent_id": node("惠民社区").pk,
            "boundary": {"type": "Point", "coordinates": [1, 2]},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    rows = rows_after(head)
    failed = [r for r in rows if not r.success]
    assert len(failed) == 1, [(r.action, r.message) for r in rows]
    assert failed[0].channel == "api"
    assert failed[0].action == Action.CREATE
    assert "boundary" in json.dumps(failed[0].changes, ensure_ascii=False)
    assert not [r for r in rows if r.success and r.object_type == "hierarchy.node"]


def test_failed_write_without_a_service_error_is_logged_by_the_middleware(api, head):
    response = api("saihan_admin").post("/api/v1/nodes", "not json", content_type="application/json")
    assert response.status_code in {400, 422}
    failed = [r for r in rows_after(head) if not r.success]
    assert len(failed) == 1
    assert failed[0].message.startswith(f"HTTP {response.status_code}")
    assert failed[0].object_repr == "POST /api/v1/nodes"


def test_outsider_access_is_denied_and_logged(api, node, head):
    grid = node("惠民社区第一网格")
    assert api("laogangfang_worker").get(f"/api/v1/nodes/{grid.pk}").status_code == 404
    denied = [r for r in rows_after(head) if r.action == Action.DENIED]
    assert len(denied) == 1
    assert denied[0].actor_name == "laogangfang_worker"
    assert denied[0].object_id == str(grid.pk)
    assert denied[0].path == grid.path
    assert not denied[0].success


def test_command_write_is_logged_with_channel_command(db, head, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Another#Secret-2026")
    call_command("createsuperuser", "--noinput", username="ops_admin", email="ops@example.org", verbosity=0)
    row = next(r for r in rows_after(head) if r.object_type == "accounts.user" and r.action == Action.CREATE)
    assert row.channel == "command"
    assert row.actor_name.startswith("command:createsuperuser")
    assert row.changes["password"] == [None, "***"]


def test_service_refusal_is_logged_even_when_the_caller_swallows_it(user, node, head):
    with pytest.raises(Exception, match="代码"):
        hierarchy.create_node(
            user=user("saihan_admin"),
            level=Level.COMMUNITY,
            name="重复社区",
            parent=node("昭乌达南路街道"),
            code=node("惠民社区").code,
        )
    failed = [r for r in rows_after(head) if not r.success]
    assert len(failed) == 1
    assert failed[0].action == Action.CREATE
    assert "create_node" in failed[0].message
    assert failed[0].path == node("昭乌达南路街道").path


def test_logins_ok_and_failed_are_logged_with_the_users_place(client, password, node, head):
    client.post("/accounts/login/", {"username": "gaobo", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    client.post("/accounts/login/", {"username": "gaobo", "password": password})
    rows = [r for r in rows_after(head) if r.action in {Action.LOGIN, Action.LOGIN_FAILED}]
    assert [(r.action, r.object_repr[:6], r.success) for r in rows] == [
        (Action.LOGIN_FAILED, "gaobo", False),
        (Action.LOGIN_FAILED, "nobody", False),
        (Action.LOGIN, "高波（gao", True),
    ]
    assert rows[0].ip == "10.9.9.9"
    assert rows[0].channel == "page"
    assert rows[0].path == rows[2].path == node("惠民社区第一网格").path
    assert rows[1].path == node("呼和浩特市").path  # unknown account: the city's auditors see it


def test_auditors_see_the_log_of_their_subtree_only(user, node, head, api):
    county_auditor = User.objects.create(username="saihan_auditor")
    assign_role(user=user("sysadmin"), person=county_auditor, role=Role.AUDITOR, node=node("赛罕区"))
    api("laogangfang_worker").get(f"/api/v1/nodes/{node('惠民社区第一网格').pk}")  # a row in 赛罕区
    hierarchy.update_node(node("老缸房社区"), user=user("city_admin"), name="老缸房社区 ")  # a row in 新城区
    mine = AuditEntry.objects.filter(seq__gt=head).restrict(county_auditor, Cap.VIEW_AUDIT)
    assert {r.path[:12] for r in mine} == {"150100150105"}
    everyone = AuditEntry.objects.filter(seq__gt=head).restrict(user("auditor"), Cap.VIEW_AUDIT)
    assert {r.path[:12] for r in everyone} >= {"150100150105", "150100150102"}
    assert not AuditEntry.objects.all().restrict(user("gaobo"), Cap.VIEW_AUDIT).exists()


def test_api_token_login_is_logged_as_a_login(client, password, head):
    response = client.post(
        "/api/v1/auth/token",
        {"username": "gaobo", "password": password},
        content_type="application/json",
        REMOTE_ADDR="10.7.7.7",
    )
    assert response.status_code == 200
    row = next(r for r in rows_after(head) if r.action == Action.LOGIN)
    assert (row.actor_name, row.channel, row.ip, row.success) == ("gaobo", "api", "10.7.7.7", True)
    assert response.json()["token"] not in str(row.changes) + row.message  # only the prefix is logged


def test_auditor_cannot_write_business_data_through_the_api(api, node, head):
    client = api("auditor")
    grid = node("惠民社区第一网格")
    assert client.get(f"/api/v1/nodes/{grid.pk}").status_code == 200  # reads are fine
    assert (
        client.patch(
            f"/api/v1/nodes/{grid.pk}", {"name": "改名"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/nodes",
            {"level": "building", "name": "9号楼", "parent_id": grid.pk},
            content_type="application/json",
        ).status_code
        == 403
    )
    node_rows = [r for r in rows_after(head) if r.object_type == "hierarchy.node"]
    assert [r.action for r in node_rows] == [Action.DENIED, Action.DENIED]
    assert Node.objects.get(pk=grid.pk).name == grid.name
