"""The mediation team (gridgov.disputes.team): only whom the user adds joins, with the role they
actually hold over the place (or one named and checked); every change is on the timeline."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.audit.models import Action, AuditEntry
from gridgov.core.errors import ConflictError
from gridgov.disputes import services, team
from gridgov.events.models import Organisation
from gridgov.notifications.models import Notice


def _steps(dispute, *actions):
    return list(dispute.event.steps.filter(action__in=actions).order_by("at", "pk"))


def test_grid_worker_brings_in_mediator_lawyer_and_police(med):
    dispute = med.report()
    gaobo = med["gaobo"]
    mediator = team.add_team_member(dispute, user=gaobo, member=med["zhaowuda_mediator"])
    lawyer = team.add_team_member(dispute, user=gaobo, member=med["huimin_lawyer"])
    police = team.add_team_member(dispute, user=gaobo, member=med["saihan_police"])
    volunteer = team.add_team_member(dispute, user=gaobo, member=med["huimin_yijing"])
    security = team.add_team_member(dispute, user=gaobo, member=med["huimin_security"])
    assert (mediator.role, mediator.organisation.name) == ("mediator", "昭乌达南路司法所")
    assert (lawyer.role, lawyer.organisation.name) == ("lawyer", "惠民社区包联律师")
    assert police.role == "police"
    assert volunteer.role == "volunteer_police"
    assert security.role == "security_committee"
    # Only whom the user added: the one who brings others in is not added silently.
    assert not dispute.team.filter(user=gaobo).exists()
    assert dispute.team.count() == 5
    assert Notice.objects.filter(
        user=med["zhaowuda_mediator"], event=dispute.event, message__contains="司法所调解员"
    ).exists()
    steps = _steps(dispute, "dispute_team")
    assert len(steps) == 5
    assert all(s.actor == gaobo and s.data["change"] == "added" for s in steps)
    assert any("周淑珍" in s.note for s in steps)


def test_a_community_administrator_who_forms_a_team_is_not_made_a_grid_worker(med):
    dispute = med.report()
    admin = med["huimin_admin"]
    team.add_team_member(dispute, user=admin, member=med["zhaowuda_mediator"])
    assert list(dispute.team.values_list("user__username", flat=True)) == ["zhaowuda_mediator"]
    # Joining explicitly, they join as what they are: community staff.
    row = team.add_team_member(dispute, user=admin, member=admin)
    assert row.role == "community_staff"
    step = _steps(dispute, "dispute_team")[-1]
    assert "社区工作人员" in step.note
    assert "加入调解团队" in step.note
    assert not Notice.objects.filter(user=admin, event=dispute.event, message__contains="邀请").exists()


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("gaobo", "grid_worker"),
        ("huimin_chief", "grid_chief"),
        ("huimin_admin", "community_staff"),
        ("zhaowuda_admin", "township_staff"),
        ("zhaowuda_mediator", "mediator"),
        ("huimin_yijing", "volunteer_police"),
    ],
)
def test_the_role_comes_from_the_members_own_assignment_or_organisation(med, username, role):
    dispute = med.report()
    assert team.add_team_member(dispute, user=med["huimin_admin"], member=med[username]).role == role


def test_a_role_named_by_the_user_is_checked_against_what_the_member_is(med):
    dispute = med.report()
    with pytest.raises(ValidationError) as exc:
        team.add_team_member(dispute, user=med["gaobo"], member=med["huimin_admin"], role="grid_worker")
    assert "role" in exc.value.error_dict
    assert "社区工作人员" in exc.value.error_dict["role"][0].message  # what they may join as
    with pytest.raises(ValidationError) as exc:
        team.add_team_member(dispute, user=med["gaobo"], member=med["gaobo"], role="judge")
    assert "role" in exc.value.error_dict
    assert dispute.team.count() == 0
    assert not _steps(dispute, "dispute_team")


def test_someone_who_is_two_things_may_join_as_either(med):
    dispute = med.report()
    volunteer = med["huimin_yijing"]
    roles = [role for role, _org in team.eligible_roles(volunteer, dispute)]
    assert roles[0] == "volunteer_police"
    # Give the volunteer police officer a part-time grid role in the grid too.
    from gridgov.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=volunteer, node=med.grid, role="part_time_worker")
    roles = [role for role, _org in team.eligible_roles(volunteer, dispute)]
    assert roles == ["volunteer_police", "part_time_worker"]
    row = team.add_team_member(dispute, user=med["gaobo"], member=volunteer, role="part_time_worker")
    assert (row.role, row.organisation) == ("part_time_worker", None)
    changed = team.change_team_role(dispute, user=med["gaobo"], member=volunteer, role="volunteer_police")
    assert changed.role == "volunteer_police"
    assert changed.organisation.kind == "police"
    step = _steps(dispute, "dispute_team_role")[-1]
    assert "兼职网格员 → 义警" in step.note
    assert step.data == {
        "member": "huimin_yijing",
        "before": "part_time_worker",
        "after": "volunteer_police",
        "change": "role",
    }
    assert Notice.objects.filter(user=volunteer, message__contains="义警").exists()


def test_a_role_change_to_one_the_member_cannot_hold_is_refused(med):
    dispute = med.report()
    team.add_team_member(dispute, user=med["gaobo"], member=med["huimin_lawyer"])
    with pytest.raises(ValidationError) as exc:
        team.change_team_role(dispute, user=med["gaobo"], member=med["huimin_lawyer"], role="police")
    assert "role" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        team.change_team_role(dispute, user=med["gaobo"], member=med["zhaowuda_mediator"], role="mediator")
    assert "member" in exc.value.error_dict
    assert dispute.team.get().role == "lawyer"
    assert not _steps(dispute, "dispute_team_role")


def test_candidates_include_the_user_and_say_as_what(med):
    dispute = med.report()
    candidates = {u.username: roles for u, roles in team.team_candidates(dispute)}
    assert {"zhaowuda_mediator", "huimin_lawyer", "saihan_police", "huimin_yijing", "gaobo"} <= set(
        candidates
    )
    assert candidates["gaobo"][0][0] == "grid_worker"
    assert candidates["huimin_admin"][0][0] == "community_staff"
    assert "heating_staff" not in candidates
    assert "laogangfang_worker" not in candidates
    team.add_team_member(dispute, user=med["gaobo"], member=med["gaobo"])
    assert "gaobo" not in {u.username for u, _roles in team.team_candidates(dispute)}


@pytest.mark.parametrize("member", ["heating_staff", "laogangfang_worker", "auditor", "city_admin"])
def test_people_not_serving_the_place_cannot_join(med, member):
    dispute = med.report()
    with pytest.raises(ValidationError) as exc:
        team.add_team_member(dispute, user=med["gaobo"], member=med[member])
    assert "member" in exc.value.error_dict
    assert dispute.team.count() == 0


def test_mediator_of_another_township_cannot_join(med):
    dispute = med.report()
    other = Organisation.objects.filter(kind="judicial").exclude(name="昭乌达南路司法所").first()
    outsider = other.members.first().user
    with pytest.raises(ValidationError):
        team.add_team_member(dispute, user=med["gaobo"], member=outsider)


def test_an_inactive_account_cannot_join(med):
    dispute = med.report()
    lawyer = med["huimin_lawyer"]
    lawyer.is_active = False
    lawyer.save()
    with pytest.raises(ValidationError) as exc:
        team.add_team_member(dispute, user=med["gaobo"], member=lawyer)
    assert "member" in exc.value.error_dict


@pytest.mark.parametrize("action", ["add", "role", "remove"])
def test_someone_outside_the_dispute_cannot_change_the_team_and_the_attempt_is_logged(med, action):
    dispute = med.report()
    team.add_team_member(dispute, user=med["gaobo"], member=med["huimin_lawyer"])
    outsider = med["laogangfang_worker"]
    attempts = {
        "add": lambda: team.add_team_member(dispute, user=outsider, member=med["zhaowuda_mediator"]),
        "role": lambda: team.change_team_role(
            dispute, user=outsider, member=med["huimin_lawyer"], role="lawyer"
        ),
        "remove": lambda: team.remove_team_member(
            dispute, user=outsider, member=med["huimin_lawyer"], reason="无关人员"
        ),
    }
    with pytest.raises(PermissionDenied):
        attempts[action]()
    assert AuditEntry.objects.filter(
        action=Action.DENIED,
        object_type="disputes.dispute",
        object_id=str(dispute.pk),
        actor_name="laogangfang_worker",
    ).exists()
    assert list(dispute.team.values_list("user__username", "role")) == [("huimin_lawyer", "lawyer")]


def test_the_same_person_cannot_join_twice(med):
    dispute = med.report()
    team.add_team_member(dispute, user=med["gaobo"], member=med["zhaowuda_mediator"])
    with pytest.raises(ValidationError):
        team.add_team_member(dispute, user=med["gaobo"], member=med["zhaowuda_mediator"])


def test_removing_a_member_needs_a_reason_and_is_on_the_timeline(med):
    dispute = med.report()
    team.add_team_member(dispute, user=med["gaobo"], member=med["huimin_lawyer"])
    with pytest.raises(ValidationError):
        team.remove_team_member(dispute, user=med["gaobo"], member=med["huimin_lawyer"], reason=" ")
    team.remove_team_member(
        dispute, user=med["gaobo"], member=med["huimin_lawyer"], reason="律师出差，改由调解员跟进"
    )
    assert not dispute.team.filter(user=med["huimin_lawyer"]).exists()
    step = _steps(dispute, "dispute_team_removed")[-1]
    assert "包联律师" in step.note
    assert "律师出差" in step.note
    assert step.data["change"] == "removed"
    assert Notice.objects.filter(user=med["huimin_lawyer"], message__contains="退出").exists()
    assert AuditEntry.objects.filter(object_type="disputes.teammember", action=Action.DELETE).exists()


def test_after_the_outcome_no_one_joins_and_no_role_changes(med):
    dispute = med.report()
    team.add_team_member(dispute, user=med["gaobo"], member=med["gaobo"])
    services.record_outcome(
        dispute, user=med["huimin_admin"], outcome="agreement", terms="双方和解，握手言和"
    )
    with pytest.raises(ConflictError):
        team.add_team_member(dispute, user=med["gaobo"], member=med["zhaowuda_mediator"])
    with pytest.raises(ConflictError):
        team.change_team_role(dispute, user=med["gaobo"], member=med["gaobo"], role="grid_worker")


# ------------------------------------------------------------------------------------ API


def _json(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_team_through_the_api(med, api):
    dispute = med.report()
    url = f"/api/v1/disputes/{dispute.pk}/team"
    gaobo = api("gaobo")
    candidates = gaobo.get(f"{url}/candidates").json()["items"]
    me = next(c for c in candidates if c["user"]["username"] == "gaobo")
    assert me["role"] == "grid_worker"
    assert me["roles"][0]["role_label"] == "专职网格员"
    assert _json(gaobo, "post", url, {"username": "gaobo"}).status_code == 200
    detail = _json(gaobo, "post", url, {"username": "huimin_admin"}).json()
    roles = {m["user"]["username"]: m["role"] for m in detail["team"]}
    assert roles == {"gaobo": "grid_worker", "huimin_admin": "community_staff"}
    # A role the member does not hold: 400 naming the field; nothing changes.
    response = _json(gaobo, "post", url, {"username": "zhaowuda_mediator", "role": "police"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["role"]
    admin_id = med["huimin_admin"].pk
    response = _json(gaobo, "patch", f"{url}/{admin_id}", {"role": "grid_worker"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["role"]
    assert _json(gaobo, "patch", f"{url}/999999", {"role": "grid_worker"}).status_code == 404
    # Refusals: someone outside, an unknown user, hostile input.
    outsider = api("laogangfang_worker")
    assert _json(outsider, "post", url, {"username": "laogangfang_worker"}).status_code == 404
    assert _json(gaobo, "post", url, {"username": "nobody-here"}).status_code == 404
    assert _json(gaobo, "post", url, {"user_id": 2**63}).status_code in (400, 404, 422)
    assert _json(gaobo, "post", url, {"username": "gaobo\x00", "role": "x" * 5000}).status_code in (400, 404)
    removed = _json(gaobo, "delete", f"{url}/{admin_id}", {"reason": "社区另有安排"}).json()
    assert [m["user"]["username"] for m in removed["team"]] == ["gaobo"]
    actions = [s["action"] for s in removed["timeline"] if s["action"].startswith("dispute_team")]
    assert actions == ["dispute_team", "dispute_team", "dispute_team_removed"]
