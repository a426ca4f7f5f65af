"""Role assignments and the 1+1+1+N staffing rule."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.accounts import services
from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.hierarchy import selectors


@pytest.fixture
def person(db):
    return User.objects.create(username="new_person", full_name="新人")


def test_second_chief_is_refused_with_the_holders_name(user, node, person):
    with pytest.raises(ValidationError) as caught:
        services.assign_role(
            user=user("huimin_admin"), person=person, role=Role.GRID_CHIEF, node=node("惠民社区第一网格")
        )
    message = caught.value.message_dict["role"][0]
    assert "已有网格长" in message
    assert "李网格长" in message
    assert "每个网格只能有一名" in message
    assert not person.assignments.exists()


@pytest.mark.parametrize("role", [Role.GRID_INSTRUCTOR, Role.GRID_WORKER])
def test_second_instructor_or_full_time_worker_is_refused(user, node, person, role):
    with pytest.raises(ValidationError, match="每个网格只能有一名"):
        services.assign_role(
            user=user("huimin_admin"), person=person, role=role, node=node("惠民社区第一网格")
        )


def test_a_race_lost_at_the_database_gets_the_same_clear_message(user, node, person, monkeypatch):
    """Two administrators assign a chief at the same moment: the check passes for both, the
    unique constraint stops the second insert, and it gets a message, not a 500."""
    monkeypatch.setattr(services, "single_role_holder", lambda grid, role: None)
    with pytest.raises(ValidationError, match="已有网格长"):
        services.assign_role(
            user=user("huimin_admin"), person=person, role=Role.GRID_CHIEF, node=node("惠民社区第一网格")
        )
    assert RoleAssignment.objects.filter(node=node("惠民社区第一网格"), role=Role.GRID_CHIEF).count() == 1


def test_part_time_workers_are_unlimited(user, node):
    grid = node("惠民社区第一网格")
    for n in range(6):
        volunteer = User.objects.create(username=f"volunteer{n}")
        services.assign_role(
            user=user("huimin_admin"), person=volunteer, role=Role.PART_TIME_WORKER, node=grid
        )
    assert grid.assignments.filter(role=Role.PART_TIME_WORKER).count() >= 7


def test_reassigning_the_same_person_is_idempotent(user, node):
    grid = node("惠民社区第一网格")
    again = services.assign_role(
        user=user("huimin_admin"), person=user("huimin_chief"), role=Role.GRID_CHIEF, node=grid
    )
    assert again.user.username == "huimin_chief"
    assert grid.assignments.filter(role=Role.GRID_CHIEF).count() == 1


def test_after_revoking_the_chief_a_new_one_can_be_assigned(user, node, person):
    grid = node("惠民社区第一网格")
    services.revoke_role(user=user("huimin_admin"), assignment=grid.assignments.get(role=Role.GRID_CHIEF))
    assert [str(m) for m in selectors.staffing_gaps(user("huimin_admin"))[0]["missing"]] == ["网格长"]
    services.assign_role(user=user("huimin_admin"), person=person, role=Role.GRID_CHIEF, node=grid)
    assert selectors.staffing_gaps(user("huimin_admin")) == []


@pytest.mark.parametrize(
    ("role", "node_name", "words"),
    [
        (Role.GRID_CHIEF, "惠民社区", "网格长只能分配在网格上"),
        (Role.PART_TIME_WORKER, "赛罕区", "兼职网格员只能分配在网格上"),
        (Role.COUNTY_ADMIN, "惠民社区第一网格", "区县管理员只能分配在旗/县/区上"),
        (Role.COMMUNITY_ADMIN, "昭乌达南路街道", "社区/村管理员只能分配在村/社区上"),
        ("mayor", "惠民社区", "未知角色"),
    ],
)
def test_role_on_the_wrong_kind_of_node_is_refused(user, node, person, role, node_name, words):
    with pytest.raises(ValidationError, match=words):
        services.assign_role(user=user("sysadmin"), person=person, role=role, node=node(node_name))
    assert not person.assignments.exists()


def test_a_role_on_a_building_is_refused(user, node, person):
    building = node("惠民社区第一网格").children.first()
    with pytest.raises(ValidationError, match="是楼栋"):
        services.assign_role(user=user("sysadmin"), person=person, role=Role.GRID_WORKER, node=building)


def test_staff_can_only_be_assigned_inside_ones_scope(user, node, person):
    with pytest.raises(PermissionDenied):
        services.assign_role(
            user=user("huimin_admin"),
            person=person,
            role=Role.PART_TIME_WORKER,
            node=node("老缸房社区第一网格"),
        )
    with pytest.raises(PermissionDenied):
        services.assign_role(
            user=user("gaobo"), person=person, role=Role.PART_TIME_WORKER, node=node("惠民社区第一网格")
        )
    assert not person.assignments.exists()


def test_only_system_administrators_appoint_auditors(user, node, person):
    with pytest.raises(PermissionDenied):
        services.assign_role(user=user("saihan_admin"), person=person, role=Role.AUDITOR, node=node("赛罕区"))
    services.assign_role(user=user("sysadmin"), person=person, role=Role.AUDITOR, node=node("赛罕区"))
    assert person.assignments.get().role == Role.AUDITOR


def test_an_assignment_widens_the_scope_at_once(user, node, person):
    assert not selectors.nodes_for(person).exists()
    services.assign_role(
        user=user("huimin_admin"), person=person, role=Role.PART_TIME_WORKER, node=node("惠民社区第二网格")
    )
    assert selectors.nodes_for(person).filter(pk=node("惠民社区第二网格").pk).exists()


def test_disabling_is_limited_to_ones_scope(user):
    with pytest.raises(PermissionDenied):
        services.set_active(user=user("zhaowuda_admin"), person=user("laogangfang_worker"), active=False)
    with pytest.raises(PermissionDenied):
        services.set_active(user=user("huimin_admin"), person=user("saihan_admin"), active=False)
    assert user("laogangfang_worker").is_active
    assert user("saihan_admin").is_active


def test_create_user_refuses_duplicates_case_insensitively(user):
    with pytest.raises(ValidationError, match="已存在"):
        services.create_user(user=user("sysadmin"), username="GaoBo", password="Qingcheng#2026!")


@pytest.mark.parametrize("username", ["gaobo", "auditor", "huimin_volunteer"])
def test_only_staff_managers_create_accounts(user, username):
    with pytest.raises(PermissionDenied):
        services.create_user(user=user(username), username="someone_new", password="Qingcheng#2026!")
    assert not User.objects.filter(username="someone_new").exists()
    assert services.create_user(user=user("huimin_admin"), username="someone_new", password="Qingcheng#2026!")
