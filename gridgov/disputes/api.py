"""/api/v1/disputes…: report a dispute from a phone, follow it, bring in the team, record visits and
the outcome, override the risk rating, and read the early-warning list."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from gridgov.accounts.models import User
from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.params import Finite, ShortPage
from gridgov.disputes import follow_ups, selectors, services, team
from gridgov.disputes.models import Dispute, FollowUp, PartyRole, RiskLevel, TeamRole, VisitKind
from gridgov.hierarchy.models import Node

router = Router(tags=["disputes"])


class PartyIn(Schema):
    resident_id: int | None = None
    name: str = ""
    phone: str = ""
    role: str = PartyRole.OTHER
    note: str = ""


class DisputeIn(Schema):
    category: str = Field(..., description="event category code of a dispute category (is_dispute)")
    description: str
    dispute_type: str = Field(
        "other", description="neighbour, family, property_management, wage_arrears, land, consumer, other"
    )
    lng: Finite | None = None
    lat: Finite | None = None
    grid_id: int | None = None
    address: str = ""
    parties: list[PartyIn] = []


class PartiesIn(Schema):
    parties: list[PartyIn]


class TeamIn(Schema):
    user_id: int | None = None
    username: str = ""
    role: str = Field(
        "", description="team role; empty: what the member is over the place (their organisation or role)"
    )


class TeamRoleIn(Schema):
    role: str


class TeamRemoveIn(Schema):
    reason: str


class VisitIn(Schema):
    visited_at: datetime
    visitor_ids: list[int]
    summary: str
    kind: str = VisitKind.MEDIATION
    others_present: str = ""


class OutcomeIn(Schema):
    outcome: str = Field(..., description="agreement, court, arbitration, police, withdrawn")
    terms: str
    follow_up_days: int | None = Field(30, description="one follow-up this many days on (null: none yet)")
    follow_up_dates: list[date] | None = Field(
        None, description="the follow-up plan's dates (instead of follow_up_days)"
    )


class RiskIn(Schema):
    level: str = Field(..., description="low, medium, high, critical; empty to return to the computed level")
    reason: str


class TypeIn(Schema):
    dispute_type: str


class Error(Schema):
    detail: str


def _user_label(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "full_name": user.full_name}


def dispute_summary(d: Dispute) -> dict[str, Any]:
    event = d.event
    if hasattr(d, "next_follow_up"):  # annotated by selectors.with_follow_ups
        next_due, overdue = d.next_follow_up, getattr(d, "follow_ups_overdue", 0)
    else:
        open_dates = sorted(d.follow_ups.filter(done_at__isnull=True).values_list("due_on", flat=True))
        next_due = open_dates[0] if open_dates else None
        overdue = sum(1 for day in open_dates if day < timezone.localdate())
    return {
        "id": d.pk,
        "event_id": event.pk,
        "event_number": event.number,
        "state": event.state,
        "state_label": event.get_state_display(),
        "category": event.category.code,
        "category_name": event.category.name,
        "dispute_type": d.dispute_type,
        "dispute_type_label": d.get_dispute_type_display(),
        "risk_level": d.risk_level,
        "risk_label": d.get_risk_level_display(),
        "computed_risk": d.computed_risk,
        "risk_reasons": d.risk_reasons,
        "risk_override": d.risk_override,
        "risk_override_reason": d.risk_override_reason,
        "outcome": d.outcome,
        "outcome_label": d.get_outcome_display() if d.outcome else "",
        "outcome_terms": d.outcome_terms,
        "outcome_at": d.outcome_at,
        # The plan: the next open date and how many open dates have passed.
        "follow_up_due": next_due,
        "follow_ups_overdue": overdue,
        "grid_id": event.grid_id,
        "grid_name": event.grid.name,
        "address": event.address,
        "description": event.description,
        "overdue": event.overdue,
        "created_at": d.created_at,
        "version": d.version,
    }


def dispute_detail(d: Dispute, user: Any, reveal: bool = False) -> dict[str, Any]:
    data = dispute_summary(d)
    data["parties"] = [vars(p) for p in selectors.parties_of(d, user, reveal=reveal)]
    data["team"] = [
        {
            "user": _user_label(m.user),
            "role": m.role,
            "role_label": m.get_role_display(),
            "organisation": m.organisation.name if m.organisation else "",
            "added_at": m.added_at,
        }
        for m in selectors.team_of(d)
    ]
    data["visits"] = [
        {
            "id": v.pk,
            "kind": v.kind,
            "kind_label": v.get_kind_display(),
            "visited_at": v.visited_at,
            "visitors": [_user_label(u) for u in v.visitors.all()],
            "others_present": v.others_present,
            "summary": v.summary,
            "recorded_by": _user_label(v.recorded_by),
        }
        for v in selectors.visits_of(d)
    ]
    data["follow_ups"] = [
        {
            "id": f.pk,
            "due_on": f.due_on,
            "purpose": f.purpose,
            "status": f.status,
            "status_label": f.status_label,
            "done_at": f.done_at,
            "done_by": _user_label(f.done_by),
            "done_note": f.done_note,
            "visit_id": f.visit_id,
        }
        for f in selectors.follow_ups_of(d)
    ]
    data["timeline"] = [
        {
            "at": s.at,
            "action": s.action,
            "action_name": s.action_name,
            "from_state": s.from_state,
            "to_state": s.to_state,
            "actor": s.actor.username if s.actor else "",
            "note": s.note,
            "organisation": s.organisation.name if s.organisation else "",
        }
        for s in selectors.timeline_of(d)
    ]
    data["can_work"] = selectors.user_can_work_on(user, d)
    return data


def _get(request: HttpRequest, dispute_id: int) -> Dispute:
    return selectors.get_dispute_or_404(request.user, dispute_id)


@router.post("/disputes", response={200: dict, 201: dict, 400: dict, 403: Error, 409: dict})
def report(request: HttpRequest, body: DisputeIn) -> Status[dict[str, Any]]:
    """Report a dispute. Send `Idempotency-Key`: a retry with the same key and body returns the
    first dispute (200), the same key with another body is refused (409)."""
    key = request.headers.get("Idempotency-Key")
    if not key and getattr(request, "api_token", None) is not None:
        raise ValidationError(
            {"idempotency_key": "手机端提交必须带 Idempotency-Key 请求头（重试时复用同一个值）"}
        )
    grid = None
    if body.grid_id is not None:
        grid = get_visible_or_404(Node.objects.all(), request.user, pk=body.grid_id)
    payload = body.dict()
    dispute, created = services.report_dispute(
        user=request.user,
        category=body.category,
        description=body.description,
        dispute_type=body.dispute_type,
        parties=[p.dict() for p in body.parties],
        lng=body.lng,
        lat=body.lat,
        grid=grid,
        address=body.address,
        idempotency_key=key,
        channel="app",
        body_for_idempotency=payload,
    )
    dispute = selectors.get_dispute_or_404(request.user, dispute.pk)
    return Status(201 if created else 200, dispute_detail(dispute, request.user))


@router.get("/disputes", response=dict)
def list_disputes(
    request: HttpRequest,
    page: Query[ShortPage],
    risk: str = "",
    dispute_type: str = "",
    state: str = "",
    node_id: int | None = None,
) -> dict[str, Any]:
    """The user's disputes, most serious first. `state`: open or done; `risk`: a level or "high+"."""
    queryset = selectors.disputes_for(request.user)
    if node_id is not None:
        node = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
        queryset = queryset.filter(path__under=node.path)
    if risk == "high+":
        queryset = queryset.filter(risk_level__in=[RiskLevel.HIGH, RiskLevel.CRITICAL])
    elif risk:
        queryset = queryset.filter(risk_level=risk)
    if dispute_type:
        queryset = queryset.filter(dispute_type=dispute_type)
    if state == "open":
        queryset = queryset.exclude(event__state__in=selectors.FINAL_STATES)
    elif state == "done":
        queryset = queryset.filter(event__state__in=selectors.FINAL_STATES)
    rows = selectors.with_follow_ups(selectors.ordered(queryset)).select_related(
        "event", "event__grid", "event__category"
    )[page.offset : page.offset + page.limit]
    return {"count": queryset.count(), "items": [dispute_summary(d) for d in rows]}


@router.get("/disputes/warnings", response=dict)
def warnings(request: HttpRequest, node_id: int | None = None) -> dict[str, Any]:
    """The early-warning list: high-risk disputes, repeated hotspots, overdue and reopened events."""
    under = ""
    if node_id is not None:
        under = get_visible_or_404(Node.objects.all(), request.user, pk=node_id).path
    items = selectors.warnings_for(request.user, under_path=under)
    return {"count": len(items), "items": [w.as_dict() for w in items]}


@router.get("/disputes/{dispute_id}", response=dict)
def detail(request: HttpRequest, dispute_id: int, reveal: str = "") -> dict[str, Any]:
    """Parties' phones masked; `reveal=phone` shows them in full to a user who may (audited), and
    is refused (403) to anyone else."""
    fields = {f.strip() for f in reveal.split(",") if f.strip()}
    if fields - {"phone"}:
        raise ValidationError({"reveal": "只能显示 phone"})
    return dispute_detail(_get(request, dispute_id), request.user, reveal="phone" in fields)


@router.post("/disputes/{dispute_id}/parties", response={200: dict, 400: dict, 403: Error, 409: dict})
def add_parties(request: HttpRequest, dispute_id: int, body: PartiesIn) -> dict[str, Any]:
    dispute = _get(request, dispute_id)
    services.add_parties(dispute, user=request.user, parties=[p.dict() for p in body.parties])
    return dispute_detail(_get(request, dispute_id), request.user)


@router.post("/disputes/{dispute_id}/type", response={200: dict, 400: dict, 403: Error})
def set_type(request: HttpRequest, dispute_id: int, body: TypeIn) -> dict[str, Any]:
    services.update_dispute_type(_get(request, dispute_id), user=request.user, dispute_type=body.dispute_type)
    return dispute_summary(_get(request, dispute_id))


@router.get("/disputes/{dispute_id}/team/candidates", response=dict)
def team_candidates(request: HttpRequest, dispute_id: int) -> dict[str, Any]:
    """Who can be brought in (the user too) and as what: serving judicial office, lawyers, police,
    security committee, governance centres, grid, community and township staff. `role` is the
    one they join as unless another of `roles` is named."""
    dispute = _get(request, dispute_id)
    return {
        "items": [
            {
                "user": _user_label(u),
                "role": roles[0][0],
                "organisation": roles[0][1].name if roles[0][1] else "",
                "roles": [
                    {
                        "role": role,
                        "role_label": TeamRole(role).label,
                        "organisation": org.name if org else "",
                    }
                    for role, org in roles
                ],
            }
            for u, roles in team.team_candidates(dispute)
        ]
    }


def _member(body: TeamIn) -> User:
    if body.user_id is not None:
        return get_object_or_404(User, pk=body.user_id)
    return get_object_or_404(User, username=body.username)


@router.post(
    "/disputes/{dispute_id}/team", response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict}
)
def add_team_member(request: HttpRequest, dispute_id: int, body: TeamIn) -> dict[str, Any]:
    """Bring someone into the team (the user themselves too) as what they are over the place, or
    as `role` if they may take it; written on the timeline."""
    dispute = _get(request, dispute_id)
    team.add_team_member(dispute, user=request.user, member=_member(body), role=body.role)
    return dispute_detail(_get(request, dispute_id), request.user)


@router.patch(
    "/disputes/{dispute_id}/team/{user_id}",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
def change_team_role(request: HttpRequest, dispute_id: int, user_id: int, body: TeamRoleIn) -> dict[str, Any]:
    """Change a member's team role to another they may take; written on the timeline."""
    dispute = _get(request, dispute_id)
    team.change_team_role(
        dispute, user=request.user, member=get_object_or_404(User, pk=user_id), role=body.role
    )
    return dispute_detail(_get(request, dispute_id), request.user)


@router.delete(
    "/disputes/{dispute_id}/team/{user_id}", response={200: dict, 400: dict, 403: Error, 404: Error}
)
def remove_team_member(
    request: HttpRequest, dispute_id: int, user_id: int, body: TeamRemoveIn
) -> dict[str, Any]:
    dispute = _get(request, dispute_id)
    team.remove_team_member(
        dispute, user=request.user, member=get_object_or_404(User, pk=user_id), reason=body.reason
    )
    return dispute_detail(_get(request, dispute_id), request.user)


@router.post("/disputes/{dispute_id}/visits", response={201: dict, 400: dict, 403: Error, 409: dict})
def record_visit(request: HttpRequest, dispute_id: int, body: VisitIn) -> Status[dict[str, Any]]:
    """A joint mediation visit (before the outcome) or a follow-up visit (after it)."""
    dispute = _get(request, dispute_id)
    services.record_visit(
        dispute,
        user=request.user,
        visited_at=body.visited_at,
        visitor_ids=body.visitor_ids,
        summary=body.summary,
        kind=body.kind,
        others_present=body.others_present,
    )
    return Status(201, dispute_detail(_get(request, dispute_id), request.user))


@router.post("/disputes/{dispute_id}/outcome", response={200: dict, 400: dict, 403: Error, 409: dict})
def record_outcome(request: HttpRequest, dispute_id: int, body: OutcomeIn) -> dict[str, Any]:
    dispute = _get(request, dispute_id)
    services.record_outcome(
        dispute,
        user=request.user,
        outcome=body.outcome,
        terms=body.terms,
        follow_up_days=body.follow_up_days,
        follow_up_dates=body.follow_up_dates,
    )
    return dispute_detail(_get(request, dispute_id), request.user)


@router.post("/disputes/{dispute_id}/risk", response={200: dict, 400: dict, 403: Error})
def override_risk(request: HttpRequest, dispute_id: int, body: RiskIn) -> dict[str, Any]:
    """Set the risk level by hand with a reason (logged), or send level "" to return to the computed one."""
    services.override_risk(_get(request, dispute_id), user=request.user, level=body.level, reason=body.reason)
    return dispute_summary(_get(request, dispute_id))


class FollowUpPlanIn(Schema):
    dates: list[date] = Field(
        ..., description="planned follow-up dates (today or later, at most two years ahead)"
    )
    purpose: str = ""


class FollowUpDoneIn(Schema):
    note: str


class FollowUpCancelIn(Schema):
    reason: str


def _follow_up(dispute: Dispute, item_id: int) -> FollowUp:
    return get_object_or_404(FollowUp, pk=item_id, dispute_id=dispute.pk)


@router.post("/disputes/{dispute_id}/follow-ups", response={201: dict, 400: dict, 403: Error, 409: dict})
def plan_follow_ups(request: HttpRequest, dispute_id: int, body: FollowUpPlanIn) -> Status[dict[str, Any]]:
    """Add dates to the follow-up plan (after the outcome); each is due on its day, then overdue."""
    dispute = _get(request, dispute_id)
    follow_ups.plan_follow_ups(dispute, user=request.user, dates=body.dates, purpose=body.purpose)
    return Status(201, dispute_detail(_get(request, dispute_id), request.user))


@router.post(
    "/disputes/{dispute_id}/follow-ups/{item_id}/done",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
def complete_follow_up(
    request: HttpRequest, dispute_id: int, item_id: int, body: FollowUpDoneIn
) -> dict[str, Any]:
    """Mark a planned follow-up done, with what was found."""
    dispute = _get(request, dispute_id)
    follow_ups.complete_follow_up(
        dispute, user=request.user, item_id=_follow_up(dispute, item_id).pk, note=body.note
    )
    return dispute_detail(_get(request, dispute_id), request.user)


@router.delete(
    "/disputes/{dispute_id}/follow-ups/{item_id}",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
def cancel_follow_up(
    request: HttpRequest, dispute_id: int, item_id: int, body: FollowUpCancelIn
) -> dict[str, Any]:
    """Take an open date off the plan, with the reason."""
    dispute = _get(request, dispute_id)
    follow_ups.cancel_follow_up(
        dispute, user=request.user, item_id=_follow_up(dispute, item_id).pk, reason=body.reason
    )
    return dispute_detail(_get(request, dispute_id), request.user)
