"""Staff pages: 1+1+1+N on a grid, assigning (existing or new accounts), revoking, disabling."""

import pytest
from django.test import Client

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action, AuditEntry, ChainHead


def staff_url(grid):
    return f"/accounts/nodes/{grid.pk}/staff/"


def test_grid_staff_page_shows_one_one_one_n(login, node):
    page = login("huimin_admin").get(staff_url(node("惠民社区第一网格"))).content.decode()
    for text in (
        "网格长",
        "李网格长",
        "网格指导员",
        "王指导员",
        "专职网格员",
        "高波",
        "兼职网格员",
        "赵楼栋长",
        "已配齐",
    ):
        assert text in page, text
    assert "任命" in page
    assert "撤销" in page


def test_grid_worker_sees_the_staff_but_cannot_assign(login, node):
    grid = node("惠民社区第一网格")
    client = login("gaobo")
    page = client.get(staff_url(grid)).content.decode()
    assert "高波" in page
    assert "撤销" not in page
    assert 'name="role"' not in page
    response = client.post(staff_url(grid), {"role": Role.PART_TIME_WORKER, "username": "gaobo"})
    assert response.status_code == 403


def test_second_chief_is_refused_with_a_clear_message(login, node, user):
    grid = node("惠民社区第一网格")
    head = ChainHead.objects.get().seq
    response = login("huimin_admin").post(
        staff_url(grid), {"role": Role.GRID_CHIEF, "username": "huimin_volunteer"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["role"]
    assert "已有网格长（李网格长）" in errors[0]
    assert "每个网格只能有一名" in errors[0]
    assert "已有网格长" in response.content.decode()
    assert grid.assignments.filter(role=Role.GRID_CHIEF).count() == 1
    failed = AuditEntry.objects.filter(seq__gt=head, success=False)
    assert failed.count() == 1
    assert failed.get().channel == "page"


def test_assign_an_existing_account(login, node, user):
    grid = node("惠民社区第二网格")
    response = login("huimin_admin").post(
        staff_url(grid), {"role": Role.PART_TIME_WORKER, "username": "huimin_volunteer"}
    )
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(
        user=user("huimin_volunteer"), node=grid, role=Role.PART_TIME_WORKER
    ).exists()


def test_unknown_account_is_reported_on_the_username_field(login, node):
    response = login("huimin_admin").post(
        staff_url(node("惠民社区第二网格")), {"role": Role.PART_TIME_WORKER, "username": "nobody_here"}
    )
    assert "不存在" in response.context["form"].errors["username"][0]


def test_create_a_new_account_and_assign_it(login, node):
    grid = node("惠民社区第二网格")
    head = ChainHead.objects.get().seq
    response = login("huimin_admin").post(
        staff_url(grid),
        {
            "role": Role.PART_TIME_WORKER,
            "username": "new_volunteer",
            "create": "on",
            "full_name": "新志愿者",
            "password": "Qingcheng#2026!",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    person = User.objects.get(username="new_volunteer")
    assert person.full_name == "新志愿者"
    assert person.assignments.get().node == grid
    assert Client().login(username="new_volunteer", password="Qingcheng#2026!")
    types = set(AuditEntry.objects.filter(seq__gt=head, channel="page").values_list("object_type", flat=True))
    assert {"accounts.user", "accounts.roleassignment"} <= types


def test_new_account_whose_assignment_is_refused_is_not_kept(login, node):
    response = login("huimin_admin").post(
        staff_url(node("惠民社区第一网格")),
        {
            "role": Role.GRID_CHIEF,
            "username": "second_chief",
            "create": "on",
            "full_name": "第二网格长",
            "password": "Qingcheng#2026!",
        },
    )
    assert response.status_code == 200
    assert "已有网格长" in response.context["form"].errors["role"][0]
    assert not User.objects.filter(username="second_chief").exists()


def test_new_account_needs_a_strong_password(login, node):
    response = login("huimin_admin").post(
        staff_url(node("惠民社区第二网格")),
        {
            "role": Role.PART_TIME_WORKER,
            "username": "weak_one",
            "create": "on",
            "full_name": "弱密码",
            "password": "12345678901",
        },
    )
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(username="weak_one").exists()


def test_revoke_then_the_post_is_vacant(login, node):
    grid = node("惠民社区第一网格")
    assignment = grid.assignments.get(role=Role.GRID_INSTRUCTOR)
    client = login("huimin_admin")
    page = client.get(f"/accounts/assignments/{assignment.pk}/revoke/").content.decode()
    assert "王指导员" in page
    assert "缺员网格" in page
    assert client.post(f"/accounts/assignments/{assignment.pk}/revoke/").status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    page = client.get(staff_url(grid)).content.decode()
    assert "空缺" in page
    assert "缺员" in page
    assert AuditEntry.objects.filter(
        action=Action.DELETE,
        object_type="accounts.roleassignment",
        object_id=str(assignment.pk),
        channel="page",
    ).exists()


def test_disable_and_enable_an_account(login, user):
    volunteer = user("huimin_volunteer")
    client = login("huimin_admin")
    assert "停用账号" in client.get(f"/accounts/users/{volunteer.pk}/").content.decode()
    assert client.post(f"/accounts/users/{volunteer.pk}/active/", {"active": ""}).status_code == 302
    volunteer.refresh_from_db()
    assert not volunteer.is_active
    assert client.post(f"/accounts/users/{volunteer.pk}/active/", {"active": "on"}).status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.is_active


def test_cannot_disable_yourself(login, user):
    me = user("huimin_admin")
    login("huimin_admin").post(f"/accounts/users/{me.pk}/active/", {"active": ""})
    me.refresh_from_db()
    assert me.is_active


def test_cannot_disable_someone_holding_a_post_outside_your_scope(login, user, node):
    from gridgov.accounts.services import assign_role

    volunteer = user("huimin_volunteer")
    assign_role(
        user=user("sysadmin"), person=volunteer, role=Role.PART_TIME_WORKER, node=node("老缸房社区第一网格")
    )
    client = login("huimin_admin")
    page = client.get(f"/accounts/users/{volunteer.pk}/").content.decode()
    assert "停用账号" not in page
    assert "另有 1 项任命不在您的辖区内" in page
    assert client.post(f"/accounts/users/{volunteer.pk}/active/", {"active": ""}).status_code == 403
    volunteer.refresh_from_db()
    assert volunteer.is_active


@pytest.mark.parametrize("kind", ["staff", "revoke", "person", "active"])
def test_outsider_gets_404(login, node, user, kind):
    grid = node("惠民社区第一网格")
    url = {
        "staff": staff_url(grid),
        "revoke": f"/accounts/assignments/{grid.assignments.get(role=Role.GRID_WORKER).pk}/revoke/",
        "person": f"/accounts/users/{user('gaobo').pk}/",
        "active": f"/accounts/users/{user('gaobo').pk}/active/",
    }[kind]
    client = login("laogangfang_worker")
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"active": "", "role": Role.GRID_CHIEF, "username": "laogangfang_worker"}
        ).status_code
        == 404
    )
    assert user("gaobo").is_active
    assert grid.assignments.filter(role=Role.GRID_WORKER).exists()
