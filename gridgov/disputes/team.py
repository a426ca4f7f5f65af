"""The mediation team: who may join a dispute's team and as what, and every change to it.

A member's team role comes from what they actually are over the dispute's place: a member of
the judicial office, lawyers' office, police station or security committee serving it, a member
of its community's or township's governance centre, or a role assignment there (网格员, 网格长,
网格指导员, 兼职网格员, 社区/街道管理员). Someone may be both (a grid worker who is also a
volunteer police officer): the caller may then name the role, which is checked against those.
Only the person the user adds joins; each addition, removal and role change is written on the
event's timeline and the person concerned is told.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures
from gridgov.core.errors import ConflictError
from gridgov.disputes.access import require_work
from gridgov.disputes.models import Dispute, TeamMember, TeamRole
from gridgov.disputes.services import step_fields
from gridgov.events.models import EventStep, MemberRole, Organisation, OrgKind, OrgMember
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level
from gridgov.notifications.services import notify

# Organisation kinds whose members take part in mediation (plus the governance centres).
TEAM_ORG_KINDS = (
    OrgKind.JUDICIAL,
    OrgKind.LAWYER,
    OrgKind.POLICE,
    OrgKind.SECURITY_COMMITTEE,
    OrgKind.GOVERNANCE_CENTRE,
)
# Role assignments over the place and the team role each gives.
ASSIGNMENT_ROLES: dict[str, str] = {
    Role.GRID_WORKER: TeamRole.GRID_WORKER,
    Role.PART_TIME_WORKER: TeamRole.PART_TIME_WORKER,
    Role.GRID_CHIEF: TeamRole.GRID_CHIEF,
    Role.GRID_INSTRUCTOR: TeamRole.GRID_INSTRUCTOR,
    Role.COMMUNITY_ADMIN: TeamRole.COMMUNITY_STAFF,
    Role.TOWNSHIP_ADMIN: TeamRole.TOWNSHIP_STAFF,
}

Eligible = tuple[str, Organisation | None]


def _name(user: User) -> str:
    return user.full_name or user.username


def _org_role(membership: OrgMember) -> str | None:
    org = membership.organisation
    if org.kind == OrgKind.JUDICIAL:
        return TeamRole.MEDIATOR
    if org.kind == OrgKind.LAWYER:
        return TeamRole.LAWYER
    if org.kind == OrgKind.POLICE:
        return (
            TeamRole.VOLUNTEER_POLICE if membership.role == MemberRole.VOLUNTEER_POLICE else TeamRole.POLICE
        )
    if org.kind == OrgKind.SECURITY_COMMITTEE:
        return TeamRole.SECURITY_COMMITTEE
    # A governance centre: the community's or the township's (a county's or the city's centre
    # supervises and dispatches rather than joining a team).
    level = paths.level_of(org.path)
    if level == Level.TOWNSHIP:
        return TeamRole.TOWNSHIP_STAFF
    if level == Level.COMMUNITY:
        return TeamRole.COMMUNITY_STAFF
    return None


def eligible_roles(member: User, dispute: Dispute) -> list[Eligible]:
    """Every team role `member` may take on this dispute, the most specific first: organisations
    serving the place (the nearest first), then role assignments over it (the nearest first)."""
    if not member.is_active:
        return []
    above = paths.ancestors(dispute.path)
    found: list[Eligible] = []
    memberships = (
        OrgMember.objects.filter(
            user=member,
            organisation__active=True,
            organisation__kind__in=TEAM_ORG_KINDS,
            organisation__path__in=above,
        )
        .select_related("organisation")
        .order_by("-organisation__path", "organisation_id")
    )
    for membership in memberships:
        role = _org_role(membership)
        if role is not None and all(role != r for r, _ in found):
            found.append((role, membership.organisation))
    assignments = member.assignments.filter(role__in=list(ASSIGNMENT_ROLES), node__path__in=above).order_by(
        "-node__path"
    )
    for role in assignments.values_list("role", flat=True):
        team_role = ASSIGNMENT_ROLES[role]
        if all(team_role != r for r, _ in found):
            found.append((team_role, None))
    return found


def team_role_for(member: User, dispute: Dispute) -> Eligible | None:
    """The role `member` joins as unless one is named: the first of `eligible_roles`."""
    roles = eligible_roles(member, dispute)
    return roles[0] if roles else None


def _choose(member: User, dispute: Dispute, role: str) -> Eligible:
    roles = eligible_roles(member, dispute)
    if not roles:
        raise ValidationError(
            {
                "member": f"{_name(member)} 不是服务本辖区的司法所、律师、派出所、治保会、综治中心人员，"
                "也不是本网格、社区或街道的工作人员"
            }
        )
    if not role:
        return roles[0]
    if role not in TeamRole.values:
        raise ValidationError({"role": f"团队角色必须是 {', '.join(TeamRole.values)} 之一"})
    for eligible in roles:
        if eligible[0] == role:
            return eligible
    allowed = "、".join(str(TeamRole(r).label) for r, _ in roles)
    raise ValidationError(
        {"role": f"{_name(member)} 不能以{TeamRole(role).label}身份加入本纠纷的调解，可选：{allowed}"}
    )


def team_candidates(dispute: Dispute) -> list[tuple[User, list[Eligible]]]:
    """Everyone who could join and as what: staff of the serving organisations and the staff of
    the grid, community and township (the user may add themselves)."""
    above = paths.ancestors(dispute.path)
    on_team = set(dispute.team.values_list("user_id", flat=True))
    members = User.objects.filter(
        is_active=True,
        org_memberships__organisation__kind__in=TEAM_ORG_KINDS,
        org_memberships__organisation__path__in=above,
        org_memberships__organisation__active=True,
    )
    staff = User.objects.filter(
        is_active=True, assignments__role__in=list(ASSIGNMENT_ROLES), assignments__node__path__in=above
    )
    result: list[tuple[User, list[Eligible]]] = []
    seen: set[int] = set(on_team)
    for user in [*members.exclude(pk__in=on_team).distinct(), *staff.exclude(pk__in=on_team).distinct()]:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        roles = eligible_roles(user, dispute)
        if roles:
            result.append((user, roles))
    return result


def _locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().select_related("event", "event__grid").get(pk=dispute.pk)


@logs_failures(Action.UPDATE)
@transaction.atomic
def add_team_member(
    dispute: Dispute, *, user: Any, member: User, role: str = "", now: datetime | None = None
) -> TeamMember:
    """Bring `member` into the team, as `role` if given (checked), else as what they are."""
    dispute = _locked(dispute)
    require_work(user, dispute, "邀请调解团队成员")
    if dispute.outcome:
        raise ConflictError("纠纷已有化解结果，调解团队不再变动")
    if not member.is_active:
        raise ValidationError({"member": "该账号已停用"})
    if dispute.team.filter(user=member).exists():
        raise ValidationError({"member": f"{_name(member)} 已在调解团队中"})
    role, organisation = _choose(member, dispute, role)
    now = now or timezone.now()
    added = TeamMember.objects.create(
        dispute=dispute, user=member, role=role, organisation=organisation, added_by=user, added_at=now
    )
    label = TeamRole(role).label
    where = f"（{organisation.name}）" if organisation else ""
    joined_self = member.pk == getattr(user, "pk", None)
    EventStep.objects.create(
        action="dispute_team",
        **step_fields(
            dispute.event,
            user=user,
            organisation=organisation,
            at=now,
            note=f"{label}{_name(member)}{where}加入调解团队"
            if joined_self
            else f"邀请{label}{_name(member)}{where}加入调解",
            member=member.username,
            role=role,
            change="added",
        ),
    )
    if not joined_self:
        notify(
            [member],
            f"您被邀请作为{label}参与矛盾纠纷 {dispute.event.number} 的调解（{dispute.event.grid.name}）",
            subject=dispute.event,
        )
    return added


@logs_failures(Action.UPDATE)
@transaction.atomic
def change_team_role(
    dispute: Dispute, *, user: Any, member: User, role: str, now: datetime | None = None
) -> TeamMember:
    """Change what a member takes part as (one of the roles they are eligible for)."""
    dispute = _locked(dispute)
    require_work(user, dispute, "调整调解团队")
    if dispute.outcome:
        raise ConflictError("纠纷已有化解结果，调解团队不再变动")
    row = dispute.team.filter(user=member).first()
    if row is None:
        raise ValidationError({"member": "该人员不在调解团队中"})
    if not role:
        raise ValidationError({"role": "请选择团队角色"})
    role, organisation = _choose(member, dispute, role)
    if role == row.role:
        return row
    before = row.role
    row.role = role
    row.organisation = organisation
    row.save(update_fields=["role", "organisation"])
    EventStep.objects.create(
        action="dispute_team_role",
        **step_fields(
            dispute.event,
            user=user,
            organisation=organisation,
            at=now,
            note=f"{_name(member)} 的团队角色：{TeamRole(before).label} → {TeamRole(role).label}",
            member=member.username,
            before=before,
            after=role,
            change="role",
        ),
    )
    if member.pk != getattr(user, "pk", None):
        notify(
            [member],
            f"您在矛盾纠纷 {dispute.event.number} 调解团队中的角色已调整为{TeamRole(role).label}",
            subject=dispute.event,
        )
    return row


@logs_failures(Action.UPDATE)
@transaction.atomic
def remove_team_member(dispute: Dispute, *, user: Any, member: User, reason: str) -> None:
    dispute = _locked(dispute)
    require_work(user, dispute, "调整调解团队")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明调整原因"})
    row = dispute.team.filter(user=member).first()
    if row is None:
        raise ValidationError({"member": "该人员不在调解团队中"})
    role = row.role
    row.delete()
    EventStep.objects.create(
        action="dispute_team_removed",
        **step_fields(
            dispute.event,
            user=user,
            note=f"{TeamRole(role).label}{_name(member)} 退出调解团队：{reason[:200]}",
            member=member.username,
            role=role,
            change="removed",
        ),
    )
    if member.pk != getattr(user, "pk", None):
        notify(
            [member],
            f"您已退出矛盾纠纷 {dispute.event.number} 的调解团队：{reason[:100]}",
            subject=dispute.event,
        )
