"""Hierarchy pages: browse from the top node down to a building, create, rename and move nodes."""

import json
import re

import pytest

from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.hierarchy.models import Level, Node


def test_login_lands_on_the_users_top_node(client, password, node):
    response = client.post("/accounts/login/", {"username": "gaobo", "password": password})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"] == f"/nodes/{node('惠民社区第一网格').pk}/"


def test_login_page_is_chinese(client):
    body = client.get("/accounts/login/").content.decode()
    assert "登录" in body
    assert "账号" in body
    assert 'lang="zh-hans"' in body


@pytest.mark.parametrize(
    ("username", "top"),
    [
        ("city_admin", "呼和浩特市"),
        ("saihan_admin", "赛罕区"),
        ("zhaowuda_admin", "昭乌达南路街道"),
        ("huimin_admin", "惠民社区"),
        ("huimin_chief", "惠民社区第一网格"),
        ("huimin_instructor", "惠民社区第一网格"),
        ("gaobo", "惠民社区第一网格"),
        ("huimin_volunteer", "惠民社区第一网格"),
        ("laogangfang_worker", "老缸房社区第一网格"),
        ("auditor", "呼和浩特市"),
    ],
)
def test_every_persona_starts_at_their_own_top_node(login, node, username, top):
    response = login(username).get("/")
    assert response.status_code == 302
    # Officials (who handle events) start on their area's overview, everyone else on its structure.
    official = username.endswith("_admin")
    assert response["Location"] == (f"/overview/{node(top).pk}/" if official else f"/nodes/{node(top).pk}/")


def test_browse_from_county_down_to_a_building(login, node):
    client = login("saihan_admin")
    page = client.get(f"/nodes/{node('赛罕区').pk}/").content.decode()
    assert "昭乌达南路街道" in page
    assert "新城区" not in page
    assert re.search(
        r"昭乌达南路街道</a>\s*<span class=\"muted\">\d+</span>\s*<span class=\"badge\">6 个网格", page
    )
    page = client.get(f"/nodes/{node('昭乌达南路街道').pk}/").content.decode()
    assert "惠民社区" in page
    grid = node("惠民社区第一网格")
    page = client.get(f"/nodes/{node('惠民社区').pk}/").content.decode()
    assert f"/nodes/{grid.pk}/" in page
    assert "4 栋楼" in page
    page = client.get(f"/nodes/{grid.pk}/").content.decode()
    for text in (
        "网格长",
        "李网格长",
        "网格指导员",
        "王指导员",
        "专职网格员",
        "高波",
        "兼职网格员",
        "赵楼栋长",
        "派出所",
        "责任民警",
        "1号楼",
        f"/map/?node={grid.pk}",
    ):
        assert text in page, text
    building = grid.children.get(name="1号楼")
    page = client.get(f"/nodes/{building.pk}/").content.decode()
    assert "所属网格" in page
    assert grid.name in page
    assert "1号楼" in page


def test_a_grid_worker_sees_their_grid_but_nothing_above_or_beside_it(login, node):
    client = login("gaobo")
    assert client.get(f"/nodes/{node('惠民社区第一网格').pk}/").status_code == 200
    for name in ("惠民社区", "惠民社区第二网格", "老缸房社区第一网格", "呼和浩特市"):
        assert client.get(f"/nodes/{node(name).pk}/").status_code == 404, name
    page = client.get(f"/nodes/{node('惠民社区第一网格').pk}/").content.decode()
    # No management actions for a grid worker, and no breadcrumb above their grid.
    assert "/edit/" not in page
    assert "/move/" not in page
    assert f"/nodes/{node('惠民社区').pk}/" not in page


@pytest.mark.parametrize("suffix", ["", "edit/", "move/", "new/"])
def test_outsider_gets_404_on_every_node_page(login, node, suffix):
    grid = node("惠民社区第一网格")
    assert login("laogangfang_worker").get(f"/nodes/{grid.pk}/{suffix}").status_code == 404
    assert login("laogangfang_worker").post(f"/nodes/{grid.pk}/{suffix}", {"name": "x"}).status_code == 404


@pytest.mark.parametrize("suffix", ["edit/", "move/", "new/"])
def test_insider_without_manage_rights_gets_403(login, node, suffix):
    grid = node("惠民社区第一网格")
    assert login("gaobo").get(f"/nodes/{grid.pk}/{suffix}").status_code == 403
    assert login("auditor").post(f"/nodes/{grid.pk}/{suffix}", {"name": "x"}).status_code == 403


def test_create_a_grid_through_the_page_derives_its_code_and_is_audited(login, node):
    community = node("惠民社区")
    head = ChainHead.objects.get().seq
    response = login("huimin_admin").post(
        f"/nodes/{community.pk}/new/",
        {
            "name": "惠民社区第四网格",
            "code": "",
            "address": "",
            "grid_kind": "dedicated",
            "dedicated_kind": "school",
            "boundary": '{"type": "Polygon", "coordinates": [[[111.7, 40.8], [111.71, 40.8], [111.71, 40.81], '
            "[111.7, 40.81], [111.7, 40.8]]]}",
        },
    )
    assert response.status_code == 302, response.content.decode()
    grid = Node.objects.get(name="惠民社区第四网格")
    assert response["Location"] == f"/nodes/{grid.pk}/"
    assert grid.level == Level.GRID
    assert grid.code == community.code + "004"
    assert grid.path == community.path + grid.code
    assert grid.dedicated_kind == "school"
    assert grid.lng is not None
    row = AuditEntry.objects.get(seq__gt=head, action=Action.CREATE, object_type="hierarchy.node")
    assert row.channel == "page"
    assert row.actor_name == "huimin_admin"
    assert row.object_id == str(grid.pk)


def test_create_shows_service_errors_next_to_the_field(login, node):
    community = node("惠民社区")
    client = login("huimin_admin")
    response = client.post(
        f"/nodes/{community.pk}/new/",
        {
            "name": "坏网格",
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": '{"type": "Point", "coordinates": [111.7, 40.8]}',
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "GeoJSON Polygon" in form.errors["boundary"][0]
    response = client.post(
        f"/nodes/{community.pk}/new/",
        {"name": "坏网格", "grid_kind": "dedicated", "dedicated_kind": "", "boundary": "{not json"},
    )
    assert "不是有效的 JSON" in response.context["form"].errors["boundary"][0]
    response = client.post(
        f"/nodes/{community.pk}/new/", {"name": "坏网格", "grid_kind": "dedicated", "dedicated_kind": ""}
    )
    assert "专属网格必须指定类别" in response.context["form"].errors["dedicated_kind"][0]
    assert "专属网格必须指定类别" in response.content.decode()
    assert not Node.objects.filter(name="坏网格").exists()


def test_create_community_needs_a_consistent_real_code(login, node):
    township = node("昭乌达南路街道")
    client = login("zhaowuda_admin")
    response = client.post(f"/nodes/{township.pk}/new/", {"name": "新建社区", "code": "150102001999"})
    assert "前 9 位应相同" in response.context["form"].errors["code"][0]
    response = client.post(
        f"/nodes/{township.pk}/new/", {"name": "新建社区", "code": township.code[:9] + "099"}
    )
    assert response.status_code == 302
    assert Node.objects.get(name="新建社区").parent == township


def test_rename_through_the_page_with_version_and_conflict(login, node):
    grid = node("惠民社区第二网格")
    client = login("huimin_admin")
    page = client.get(f"/nodes/{grid.pk}/edit/").content.decode()
    assert f'value="{grid.version}"' in page
    assert "惠民社区第二网格" in page
    head = ChainHead.objects.get().seq
    response = client.post(
        f"/nodes/{grid.pk}/edit/",
        {
            "version": grid.version,
            "name": "惠民社区二号网格",
            "address": "",
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": json.dumps(grid.boundary),
        },
    )
    assert response.status_code == 302
    boundary = grid.boundary
    grid.refresh_from_db()
    assert grid.name == "惠民社区二号网格"
    assert grid.boundary == boundary
    row = AuditEntry.objects.get(seq__gt=head, action=Action.UPDATE, object_id=str(grid.pk))
    assert row.changes["name"] == ["惠民社区第二网格", "惠民社区二号网格"]
    assert row.channel == "page"
    # A second editor still holding the old version gets the conflict, not a silent overwrite.
    response = client.post(
        f"/nodes/{grid.pk}/edit/", {"version": grid.version - 1, "name": "别的名字", "grid_kind": "basic"}
    )
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    grid.refresh_from_db()
    assert grid.name == "惠民社区二号网格"


def test_move_a_grid_through_the_page(login, node):
    grid = node("惠民社区第一网格")
    client = login("zhaowuda_admin")
    page = client.get(f"/nodes/{grid.pk}/move/")
    choices = dict(page.context["form"].fields["parent"].widget.choices)
    target = (
        Node.objects.filter(parent=node("昭乌达南路街道"), level=Level.COMMUNITY)
        .exclude(name="惠民社区")
        .first()
    )
    assert target.pk in choices
    assert node("惠民社区").pk not in choices
    assert all(Node.objects.get(pk=pk).path.startswith(node("昭乌达南路街道").path) for pk in choices if pk)
    response = client.post(f"/nodes/{grid.pk}/move/", {"parent": target.pk})
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.parent == target
    assert grid.path.startswith(target.path)
    assert grid.code.startswith(target.code)
    for building in grid.children.all():
        assert building.path == grid.path + building.code
        assert building.code.startswith(grid.code)
    assert AuditEntry.objects.filter(action=Action.MOVE, object_id=str(grid.pk), channel="page").exists()


def test_move_refuses_a_parent_outside_the_managers_scope(login, node):
    grid = node("惠民社区第一网格")
    outside = node("老缸房社区")
    response = login("zhaowuda_admin").post(f"/nodes/{grid.pk}/move/", {"parent": outside.pk})
    assert response.status_code == 200
    assert "不在您的管理范围内" in response.context["form"].errors["parent"][0]
    grid.refresh_from_db()
    assert grid.parent == node("惠民社区")


def test_move_search_finds_targets_by_name(login, node):
    grid = node("惠民社区第一网格")
    response = login("city_admin").get(f"/nodes/{grid.pk}/move/", {"q": "老缸房"})
    labels = [label for _pk, label in response.context["form"].fields["parent"].widget.choices]
    assert any("老缸房社区" in str(label) for label in labels)


def test_staffing_gap_report_lists_a_grid_after_revoking_its_worker(login, node):
    grid = node("惠民社区第一网格")
    client = login("huimin_admin")
    assert grid.name not in client.get("/staffing/gaps/").content.decode()
    assignment = grid.assignments.get(role="grid_worker")
    assert client.post(f"/accounts/assignments/{assignment.pk}/revoke/").status_code == 302
    page = client.get(f"/staffing/gaps/?under={node('惠民社区').pk}").content.decode()
    assert grid.name in page
    assert "专职网格员" in page
    assert "专职网格员" in client.get(f"/nodes/{grid.pk}/").content.decode()


def test_staffing_gap_report_is_scoped(login, node):
    assert login("laogangfang_worker").get(f"/staffing/gaps/?under={node('惠民社区').pk}").status_code == 404
    assert login("gaobo").get("/staffing/gaps/").status_code == 200


def test_pages_work_on_a_phone_layout(login, node):
    page = login("gaobo").get(f"/nodes/{node('惠民社区第一网格').pk}/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "<script>" not in page  # CSP: no inline scripts


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        ("gaobo", ["/map/"], ["/staffing/gaps/", "/audit/", "/admin/"]),
        ("huimin_admin", ["/map/", "/staffing/gaps/", "/admin/"], ["/audit/"]),
        ("auditor", ["/map/", "/audit/"], ["/staffing/gaps/", "/admin/"]),
    ],
)
def test_navigation_offers_only_what_the_roles_allow(login, node, username, shown, hidden):
    page = login(username).get(f"/nodes/{node('惠民社区第一网格').pk}/").content.decode()
    nav = page.split('<nav class="nav">')[1].split("</nav>")[0]
    for href in shown:
        assert f'href="{href}"' in nav, href
    for href in hidden:
        assert f'href="{href}"' not in nav, href


def test_clearing_a_grid_boundary_on_the_page_is_refused_with_a_message(login, node):
    grid = node("惠民社区第二网格")
    response = login("huimin_admin").post(
        f"/nodes/{grid.pk}/edit/",
        {
            "version": grid.version,
            "name": grid.name,
            "grid_kind": "basic",
            "dedicated_kind": "",
            "boundary": "",
        },
    )
    assert response.status_code == 200
    assert "边界不能清空" in response.content.decode()
    grid.refresh_from_db()
    assert grid.boundary
