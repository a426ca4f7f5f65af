"""The Django admin: Chinese, scoped by role like every page, writes through the services,
and the audit log read-only for everyone."""

import json

import pytest

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.hierarchy.models import Level, Node, PoliceBeat


def changelist_rows(client, url, **params):
    response = client.get(url, {"all": "", **params})
    assert response.status_code == 200, response.status_code
    return response.context["cl"].queryset


def test_admin_is_chinese(login):
    page = login("saihan_admin").get("/admin/").content.decode()
    assert "网格化服务管理 · 管理后台" in page
    assert "层级节点" in page
    assert "站点管理" not in page


def test_county_admin_change_list_shows_only_their_county(login, node):
    rows = changelist_rows(login("saihan_admin"), "/admin/hierarchy/node/")
    saihan = node("赛罕区").path
    assert rows.count() == Node.objects.filter(path__startswith=saihan).count()
    assert all(n.path.startswith(saihan) for n in rows)
    page = login("saihan_admin").get("/admin/hierarchy/node/", {"q": "老缸房"}).content.decode()
    assert "老缸房社区" not in page


def test_admin_object_outside_scope_is_not_reachable(login, node):
    client = login("saihan_admin")
    outside = node("老缸房社区")
    response = client.get(f"/admin/hierarchy/node/{outside.pk}/change/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get(f"/admin/hierarchy/node/{node('惠民社区').pk}/change/").status_code == 200


def test_grid_worker_sees_only_their_grid_read_only(login, node):
    client = login("gaobo")
    rows = changelist_rows(client, "/admin/hierarchy/node/")
    grid = node("惠民社区第一网格")
    assert {n.path[: len(grid.path)] for n in rows} == {grid.path}
    page = client.get(f"/admin/hierarchy/node/{grid.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert client.post(f"/admin/hierarchy/node/{grid.pk}/change/", {"name": "x"}).status_code == 403
    assert client.get("/admin/hierarchy/node/add/").status_code == 403
    # Accounts, role assignments and the audit log are not offered to a grid worker at all.
    for url in ("/admin/accounts/user/", "/admin/accounts/roleassignment/", "/admin/audit/auditentry/"):
        assert client.get(url).status_code == 403, url


def test_rename_through_the_admin_goes_through_the_service_and_is_audited(login, node):
    grid = node("惠民社区第二网格")
    head = ChainHead.objects.get().seq
    response = login("huimin_admin").post(
        f"/admin/hierarchy/node/{grid.pk}/change/",
        {
            "name": "惠民社区二网格（后台）",
            "parent": grid.parent_id,
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": json.dumps(grid.boundary),
            "lng": grid.lng,
            "lat": grid.lat,
            "address": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    grid.refresh_from_db()
    assert grid.name == "惠民社区二网格（后台）"
    assert grid.boundary  # kept: a boundary is replaced, never erased
    assert grid.version == 2
    rows = AuditEntry.objects.filter(seq__gt=head, action=Action.UPDATE, object_id=str(grid.pk))
    assert rows.count() == 1
    row = rows.get()
    assert row.channel == "admin"
    assert row.actor_name == "huimin_admin"
    assert row.success
    assert row.changes["name"] == ["惠民社区第二网格", "惠民社区二网格（后台）"]


def test_add_grid_through_the_admin_derives_code_and_path(login, node):
    community = node("惠民社区")
    response = login("huimin_admin").post(
        "/admin/hierarchy/node/add/",
        {
            "level": "grid",
            "code": "",
            "name": "后台新网格",
            "parent": community.pk,
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": "null",
            "lng": "",
            "lat": "",
            "address": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    grid = Node.objects.get(name="后台新网格")
    assert grid.code == community.code + "004"
    assert grid.path == community.path + grid.code
    assert grid.county_code == community.county_code
    assert (
        AuditEntry.objects.filter(action=Action.CREATE, object_id=str(grid.pk), channel="admin").count() == 1
    )


def test_admin_refusals_land_on_the_form_and_change_nothing(login, node):
    client = login("huimin_admin")
    community = node("惠民社区")
    head = ChainHead.objects.get().seq
    response = client.post(
        "/admin/hierarchy/node/add/",
        {
            "level": "building",
            "code": "",
            "name": "错层楼",
            "parent": community.pk,
            "grid_kind": "",
            "dedicated_kind": "",
            "boundary": "null",
            "lng": "",
            "lat": "",
            "address": "",
        },
    )
    assert response.status_code == 200
    assert "楼栋只能建在网格下" in str(response.context["adminform"].form.errors)
    assert not Node.objects.filter(name="错层楼").exists()
    failed = AuditEntry.objects.filter(seq__gt=head, success=False)
    assert failed.count() == 1
    assert failed.get().channel == "admin"
    # A parent outside the admin's scope.
    response = client.post(
        "/admin/hierarchy/node/add/",
        {
            "level": "grid",
            "code": "",
            "name": "越界网格",
            "parent": node("老缸房社区").pk,
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": "null",
            "lng": "",
            "lat": "",
            "address": "",
        },
    )
    assert response.status_code == 200
    assert not Node.objects.filter(name="越界网格").exists()


def test_move_through_the_admin(login, node):
    grid = node("惠民社区第一网格")
    target = (
        Node.objects.filter(parent=node("昭乌达南路街道"), level=Level.COMMUNITY)
        .exclude(pk=grid.parent_id)
        .first()
    )
    response = login("zhaowuda_admin").post(
        f"/admin/hierarchy/node/{grid.pk}/change/",
        {
            "name": grid.name,
            "parent": target.pk,
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": json.dumps(grid.boundary),
            "lng": grid.lng,
            "lat": grid.lat,
            "address": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    grid.refresh_from_db()
    assert grid.parent == target
    assert grid.path == target.path + grid.code
    assert grid.code.startswith(target.code)
    assert AuditEntry.objects.filter(action=Action.MOVE, object_id=str(grid.pk), channel="admin").exists()


def test_second_chief_through_the_admin_is_refused_with_the_message(login, node, user):
    grid = node("惠民社区第一网格")
    response = login("huimin_admin").post(
        "/admin/accounts/roleassignment/add/",
        {"user": user("huimin_volunteer").pk, "role": Role.GRID_CHIEF, "node": grid.pk},
    )
    assert response.status_code == 200
    assert "已有网格长" in str(response.context["adminform"].form.errors)
    assert grid.assignments.filter(role=Role.GRID_CHIEF).count() == 1


def test_assign_and_revoke_through_the_admin(login, node, user):
    grid = node("惠民社区第二网格")
    client = login("huimin_admin")
    response = client.post(
        "/admin/accounts/roleassignment/add/",
        {"user": user("huimin_volunteer").pk, "role": Role.PART_TIME_WORKER, "node": grid.pk},
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=user("huimin_volunteer"), node=grid)
    response = client.post(f"/admin/accounts/roleassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEntry.objects.filter(
        action=Action.DELETE, object_id=str(assignment.pk), channel="admin"
    ).exists()


def test_user_admin_is_scoped_and_cannot_grant_superuser(login, user):
    client = login("huimin_admin")
    rows = changelist_rows(client, "/admin/accounts/user/")
    names = set(rows.values_list("username", flat=True))
    assert {"gaobo", "huimin_chief", "huimin_admin"} <= names
    assert not names & {"laogangfang_worker", "city_admin", "saihan_admin", "sysadmin"}
    gaobo = user("gaobo")
    page = client.get(f"/admin/accounts/user/{gaobo.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="is_active"' in page
    assert client.get("/admin/accounts/user/add/").status_code == 403


def test_police_beats_are_scoped(login, node):
    rows = changelist_rows(login("saihan_admin"), "/admin/hierarchy/policebeat/")
    assert rows.count() == PoliceBeat.objects.filter(path__startswith=node("赛罕区").path).count() > 0


def test_api_tokens_are_read_only(login, api):
    api("gaobo")  # issues a token
    client = login("huimin_admin")
    rows = changelist_rows(client, "/admin/accounts/apitoken/")
    assert rows.count() == 1
    token = rows.get()
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert client.post(f"/admin/accounts/apitoken/{token.pk}/change/", {}).status_code == 403
    assert client.post(f"/admin/accounts/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("username", ["auditor", "sysadmin"])
def test_audit_entries_cannot_be_added_changed_or_deleted_by_anyone(login, username):
    row = AuditEntry.objects.order_by("-seq").first()
    client = login(username)
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(f"/admin/audit/auditentry/{row.pk}/change/", {"message": "edited"}).status_code in {
        302,
        403,
    }
    assert client.post(f"/admin/audit/auditentry/{row.pk}/delete/", {"post": "yes"}).status_code in {302, 403}
    assert AuditEntry.objects.filter(pk=row.pk, message=row.message).exists()


def test_auditor_reads_the_log_in_the_admin_superuser_does_not(login):
    client = login("auditor")
    assert changelist_rows(client, "/admin/audit/auditentry/").exists()
    row = AuditEntry.objects.order_by("-seq").first()
    page = client.get(f"/admin/audit/auditentry/{row.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert login("sysadmin").get("/admin/audit/auditentry/").status_code == 403


def test_add_police_beat_through_the_admin_takes_its_place_from_the_area(login, node):
    community, grid = node("惠民社区"), node("惠民社区第一网格")
    client = login("saihan_admin")
    data = {
        "area": community.pk,
        "code": "JG-TEST-1",
        "name": "惠民二号警格",
        "station_name": "昭乌达派出所",
        "officer_name": "测试警官",
        "officer_badge": "150999",
        "volunteer_police": 3,
        "grids": [grid.pk],
    }
    response = client.post(
        "/admin/hierarchy/policebeat/add/", {**data, "grids": [node("老缸房社区第一网格").pk]}
    )
    assert response.status_code == 200
    assert not PoliceBeat.objects.filter(code="JG-TEST-1").exists()
    response = client.post("/admin/hierarchy/policebeat/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    beat = PoliceBeat.objects.get(code="JG-TEST-1")
    assert beat.path == community.path
    assert beat.county_code == community.county_code
    assert list(beat.grids.all()) == [grid]
    assert AuditEntry.objects.filter(
        action=Action.CREATE, object_type="hierarchy.policebeat", channel="admin", path=community.path
    ).exists()
    # An area outside the admin's scope is not even offered.
    response = client.post(
        "/admin/hierarchy/policebeat/add/", {**data, "code": "JG-TEST-2", "area": node("老缸房社区").pk}
    )
    assert "area" in response.context["adminform"].form.errors
