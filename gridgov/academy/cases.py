"""The case library (案例库): a settled dispute made teaching material.

1. An official who manages staff over the dispute's place drafts a case from a dispute settled by
   agreement: the draft's text is made from the event's description, the mediation visits and
   the agreement, anonymised with what the registry knows of the people involved (gridgov.academy.
   anonymise). The original text is never stored in the case.
2. An editor edits the draft and submits it; a check refuses it while it still holds a known
   person's name, a phone, an ID number or a house number.
3. A second person (not the one who submitted or last edited it) approves and publishes it, the
   same check passing again, or returns it with a note. Only published cases reach learners
   (the scope rule `Offered("status", "published")`); a published case can be withdrawn.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gridgov.academy import anonymise, services
from gridgov.academy.models import Case, CaseStatus
from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require, restrict
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.crypto import decrypt
from gridgov.core.errors import ConflictError
from gridgov.disputes.models import Dispute, Outcome, Party, PartyRole, TeamMember, TeamRole
from gridgov.hierarchy.models import Level, Node
from gridgov.registry.models import Resident
from gridgov.registry.pii import id_number_of, resident_phone_of

MAX_GRID_RESIDENTS = 5000
ROLE_ORDER: dict[str, int] = {PartyRole.APPLICANT: 0, PartyRole.RESPONDENT: 1, PartyRole.OTHER: 2}
# How the case calls the people who worked on the dispute (by their role, not their name).
TEAM_LABELS: dict[str, str] = {
    TeamRole.GRID_WORKER: "网格员",
    TeamRole.PART_TIME_WORKER: "兼职网格员",
    TeamRole.GRID_CHIEF: "网格长",
    TeamRole.GRID_INSTRUCTOR: "网格指导员",
    TeamRole.COMMUNITY_STAFF: "社区工作人员",
    TeamRole.TOWNSHIP_STAFF: "街道工作人员",
    TeamRole.MEDIATOR: "调解员",
    TeamRole.LAWYER: "律师",
    TeamRole.POLICE: "民警",
    TeamRole.VOLUNTEER_POLICE: "义警",
    TeamRole.SECURITY_COMMITTEE: "治保会成员",
}


def known_of(dispute: Dispute) -> anonymise.Known:
    """The people and places of a dispute as the registry knows them: the parties (their phones,
    ID numbers, addresses and households), the mediation team and visitors, the reporter, the
    grid's registered residents and its buildings."""
    known = anonymise.Known()
    labelled: set[str] = set()

    def add(name: str, label: str, *, whole_only: bool = False) -> None:
        name = (name or "").strip()
        if len(name) >= 2 and name not in labelled:
            labelled.add(name)
            known.people.append(anonymise.Person(name, label, whole_only))

    parties = sorted(
        dispute.parties.select_related("resident__household").order_by("pk"),
        key=lambda p: ROLE_ORDER.get(p.role, 3),
    )
    households = []
    for index, party in enumerate(parties):
        label = anonymise.party_label(index)
        add(party.name, label)
        if party.phone_enc:
            known.phones.append(decrypt(party.phone_enc, Party.PHONE_CONTEXT))
        resident = party.resident
        if resident is not None:
            add(resident.name, label)
            if resident.phone_enc:
                known.phones.append(resident_phone_of(resident))
            if resident.id_number_enc:
                known.id_numbers.append(id_number_of(resident))
            if resident.household is not None:
                households.append((resident.household, label))
    for household, label in households:
        known.places.append(household.address)
        for member in household.members.exclude(name__in=list(labelled)).only("name"):
            add(member.name, f"{label}的家属")
    for worker in TeamMember.objects.filter(dispute=dispute).select_related("user"):
        add(worker.user.full_name, TEAM_LABELS.get(worker.role, "工作人员"))
    for visit in dispute.visits.prefetch_related("visitors"):
        for visitor in visit.visitors.all():
            add(visitor.full_name, "工作人员")
    event = dispute.event
    if event.reporter is not None:
        add(event.reporter.full_name, "网格员")
    if event.address:
        known.places.append(event.address)
    grid_residents = Resident.objects.filter(path__startswith=dispute.path).values_list("name", flat=True)
    for name in grid_residents[:MAX_GRID_RESIDENTS]:
        add(name, anonymise.surname_of(name) + "某", whole_only=True)
    buildings = Node.objects.filter(path__startswith=dispute.path[: len(dispute.path)], level=Level.BUILDING)
    known.places.extend(buildings.values_list("name", flat=True)[:2000])
    known.places.extend(
        Node.objects.filter(pk__in=[event.grid_id, event.grid.parent_id]).values_list("name", flat=True)
    )
    return known


def source_text(dispute: Dispute) -> str:
    """The dispute's story as the case's first draft (before anonymising)."""
    event = dispute.event
    lines = [
        "【基本情况】",
        f"{dispute.get_dispute_type_display()}，风险等级：{dispute.get_risk_level_display()}。",
        "",
        "【纠纷经过】",
        event.description.strip(),
        "",
        "【调解过程】",
    ]
    for visit in dispute.visits.order_by("visited_at"):
        when = timezone.localtime(visit.visited_at)
        lines.append(f"{when:%Y年%m月}，{visit.get_kind_display()}：{visit.summary.strip()}")
    lines += ["", "【化解结果】", f"{dispute.get_outcome_display()}。{dispute.outcome_terms.strip()}"]
    return "\n".join(lines)


def settled_disputes(user: User) -> Any:
    """Disputes settled by agreement that the user may turn into cases (their subtree)."""
    return (
        restrict(Dispute.objects.all(), user, Cap.MANAGE_STAFF)
        .filter(outcome=Outcome.AGREEMENT)
        .select_related("event")
        .order_by("-outcome_at")
    )


@transaction.atomic
def draft_case(*, user: User, dispute_id: Any, node: Node | None = None) -> Case:
    dispute = (
        settled_disputes(user)
        .filter(pk=services.int_of(dispute_id, "dispute_id", "纠纷", 1, 2**31 - 1))
        .first()
    )
    if dispute is None:
        raise ValidationError({"dispute_id": "纠纷不存在、不在您的范围内或尚未调解成功"})
    if node is None:
        node = Node.objects.filter(level=Level.COUNTY, county_code=dispute.county_code).first()
    node = services.offering_node(user, node)
    if not dispute.path.startswith(node.path):
        raise ValidationError({"node_id": "发布层级须包含纠纷发生地"})
    known = known_of(dispute)
    made = anonymise.anonymise(source_text(dispute), known)
    record(
        Action.READ_SENSITIVE,
        dispute,
        changes={"parties": list(dispute.parties.values_list("pk", flat=True))},
        message="dispute parties read to anonymise a teaching case",
    )
    return Case.objects.create(
        node=node,
        path=node.path,
        county_code=node.county_code,
        dispute=dispute,
        title=f"{dispute.get_dispute_type_display()}化解案例",
        dispute_type=dispute.dispute_type,
        body=made.text,
        replaced=dict(made.replaced),
        created_by=user,
        edited_by=user,
    )


def _manage(user: User, case: Case) -> Case:
    require(user, Cap.MANAGE_STAFF, case.path, case)
    return Case.objects.select_for_update().get(pk=case.pk)


def check_clean(case: Case) -> None:
    """Refuse (400 naming the body) a text that still holds personal data."""
    known = known_of(case.dispute) if case.dispute_id and case.dispute is not None else anonymise.Known()
    left = anonymise.leftovers(f"{case.title}\n{case.body}\n{case.lessons}", known)
    if left:
        raise ValidationError({"body": "正文仍含个人信息：" + "、".join(left) + "，请修改后再提交"})


@transaction.atomic
def edit_case(*, user: User, case: Case, version: Any = None, **fields: Any) -> Case:
    case = _manage(user, case)
    services.check_version(case, version)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.WITHDRAWN):
        raise ConflictError("只有编辑中或已撤回的案例可以修改")
    if "title" in fields:
        case.title = services.text(fields["title"], "title", "标题", 100)
    if "body" in fields:
        case.body = services.text(fields["body"], "body", "案例正文", 20000)
    if "lessons" in fields:
        case.lessons = services.text(fields["lessons"], "lessons", "经验启示", 5000, required=False)
    case.status = CaseStatus.DRAFT
    case.edited_by = user
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db()
    return case


@transaction.atomic
def submit_case(*, user: User, case: Case) -> Case:
    case = _manage(user, case)
    if case.status != CaseStatus.DRAFT:
        raise ConflictError("只有编辑中的案例可以提交审核")
    check_clean(case)
    case.status, case.submitted_by, case.review_note = CaseStatus.SUBMITTED, user, ""
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db()
    record(Action.TRANSITION, case, message="case submitted for approval")
    return case


@transaction.atomic
def approve_case(*, user: User, case: Case) -> Case:
    case = _manage(user, case)
    if case.status != CaseStatus.SUBMITTED:
        raise ConflictError("只有待审核的案例可以批准发布")
    if user.pk in (case.submitted_by_id, case.edited_by_id):
        raise ConflictError("须由编辑、提交人以外的另一人审核发布")
    check_clean(case)
    case.status, case.approved_by, case.published_at = CaseStatus.PUBLISHED, user, timezone.now()
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db()
    record(Action.TRANSITION, case, message="case approved and published")
    from gridgov.notifications.services import notify

    notify(
        [case.submitted_by_id] if case.submitted_by_id else [],
        f"教学案例「{case.title}」已审核发布",
        subject=case,
        url=f"/academy/cases/{case.pk}/",
        exclude=user,
    )
    return case


@transaction.atomic
def return_case(*, user: User, case: Case, note: Any) -> Case:
    case = _manage(user, case)
    if case.status != CaseStatus.SUBMITTED:
        raise ConflictError("只有待审核的案例可以退回")
    case.review_note = services.text(note, "note", "退回意见", 300)
    case.status = CaseStatus.DRAFT
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db()
    record(Action.TRANSITION, case, message="case returned to the editor")
    from gridgov.notifications.services import notify

    notify(
        [case.submitted_by_id] if case.submitted_by_id else [],
        f"教学案例「{case.title}」被退回：{case.review_note}",
        subject=case,
        url=f"/academy/cases/{case.pk}/",
        exclude=user,
    )
    return case


@transaction.atomic
def withdraw_case(*, user: User, case: Case) -> Case:
    case = _manage(user, case)
    if case.status != CaseStatus.PUBLISHED:
        raise ConflictError("只有已发布的案例可以撤回")
    case.status = CaseStatus.WITHDRAWN
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db()
    record(Action.TRANSITION, case, message="case withdrawn from the library")
    return case
