"""/api/v1/care…: the care rules, a worker's due visits, due and overdue counts per area, home
visits (recorded from the phone with an Idempotency-Key), household checks and the stale list.
Answers hold personal data: never cached."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.idempotency import replayable
from gridgov.api.params import LongPage, Page
from gridgov.care import selectors, services
from gridgov.care.models import CareRule, CareSchedule, HomeVisit, Verification
from gridgov.registry.models import Household, Resident

router = Router(tags=["care"])

PAGE = 200


class Error(Schema):
    detail: str


class VisitIn(Schema):
    resident_id: int
    method: str = Field(..., description="in_person, phone or video")
    found: str = ""
    needs: str = Field("", description="what is needed; reported as an event of the grid")
    need_category: str = Field("", description="event category code of the need (default: care categories)")
    visited_at: datetime | None = Field(None, description="when (default: now); at most 90 days ago")


class RulePatch(Schema):
    interval_days: int | None = None
    active: bool | None = None
    name: str | None = None


def _private(response: HttpResponse) -> None:
    response["Cache-Control"] = "no-store"


def rule_out(rule: CareRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "tag": rule.tag,
        "tag_name": rule.get_tag_display(),
        "name": rule.name,
        "interval_days": rule.interval_days,
        "active": rule.active,
    }


def schedule_out(s: CareSchedule, today: date) -> dict[str, Any]:
    resident = s.resident
    household = resident.household
    return {
        "id": s.pk,
        "resident_id": s.resident_id,
        "name": resident.name,
        "household_id": resident.household_id,
        "address": household.address if household is not None else "",
        "tags": s.tags,
        "interval_days": s.interval_days,
        "last_visit_at": s.last_visit_at,
        "next_due": s.next_due,
        "overdue": s.next_due < today,
        "days_overdue": max(0, (today - s.next_due).days),
    }


def visit_out(v: HomeVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "resident_id": v.resident_id,
        "name": v.resident.name,
        "household_id": v.household_id,
        "address": v.household.address,
        "grid_id": v.grid_id,
        "worker": (v.worker.full_name or v.worker.username) if v.worker is not None else "",
        "visited_at": v.visited_at,
        "method": v.method,
        "method_name": v.get_method_display(),
        "found": v.found,
        "needs": v.needs,
        "event_id": v.event_id,
        "event_number": v.event.number if v.event_id and v.event else "",
    }


def verification_out(v: Verification) -> dict[str, Any]:
    return {"household_id": v.household_id, "verified_at": v.verified_at, "source": v.source}


@router.get("/care/rules", response=list[dict[str, Any]])
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    """The visiting rules per care tag (city-wide data)."""
    return [rule_out(r) for r in selectors.rules()]


@router.patch("/care/rules/{carerule_id}", response={200: dict, 400: dict, 403: Error, 404: Error})
def update_rule(request: HttpRequest, carerule_id: int, body: RulePatch) -> dict[str, Any]:
    """Change a rule (city administrators); every schedule follows at once."""
    rule = CareRule.objects.filter(pk=carerule_id).first()
    if rule is None:
        from django.http import Http404

        raise Http404
    services.update_rule(rule, user=request.user, **body.dict(exclude_unset=True))
    return rule_out(rule)


@router.get("/care/due", response=dict)
def my_due(
    request: HttpRequest, response: HttpResponse, horizon_days: int = selectors.DUE_HORIZON_DAYS
) -> dict[str, Any]:
    """The visits due in the caller's own grids within `horizon_days` (overdue first)."""
    _private(response)
    if not 0 <= horizon_days <= 366:
        raise ValidationError({"horizon_days": "0 至 366"})
    today = timezone.localdate()
    rows = list(selectors.due_visits(request.user, horizon_days=horizon_days, today=today)[: PAGE + 1])
    return {
        "items": [schedule_out(s, today) for s in rows[:PAGE]],
        "more": len(rows) > PAGE,
        "overdue": sum(1 for s in rows if s.next_due < today),
    }


@router.get("/care/due/summary", response=dict)
def due_summary(request: HttpRequest, response: HttpResponse, node_id: int | None = None) -> dict[str, Any]:
    """Due and overdue visits per child area of `node_id` (per grid and its worker below a community)."""
    _private(response)
    node = selectors.get_node(request.user, node_id) if node_id else selectors.default_node(request.user)
    if node is None:
        return {"node": None, "rows": []}
    rows = selectors.due_by_child(request.user, node)
    return {
        "node": {"id": node.pk, "name": node.name, "level": node.level},
        "rows": [
            {
                "node_id": r.node.pk,
                "name": r.node.name,
                "worker": r.worker,
                "total": r.total,
                "overdue": r.overdue,
                "due": r.due,
            }
            for r in rows
        ],
    }


@router.post("/care/visits", response={201: dict, 400: dict, 403: Error, 404: Error, 409: dict})
@replayable("care.visit")
def record_visit(request: HttpRequest, response: HttpResponse, body: VisitIn) -> Status[dict[str, Any]]:
    """Record a home visit; retried with the same Idempotency-Key it is stored once."""
    _private(response)
    resident = get_visible_or_404(
        Resident.objects.all(), request.user, Cap.VIEW_REGISTRY, pk=body.resident_id
    )
    visit = services.record_visit(
        user=request.user,
        resident=resident,
        method=body.method,
        found=body.found,
        needs=body.needs,
        need_category=body.need_category,
        visited_at=body.visited_at,
    )
    return Status(201, visit_out(visit))


@router.get("/care/visits", response=dict)
def list_visits(
    request: HttpRequest,
    response: HttpResponse,
    page: Query[Page],
    node_id: int | None = None,
    since: date | None = None,
) -> dict[str, Any]:
    _private(response)
    node = selectors.get_node(request.user, node_id) if node_id else None
    limit, offset = page.limit, page.offset
    rows = list(selectors.visits(request.user, node=node, since=since)[offset : offset + limit + 1])
    return {"items": [visit_out(v) for v in rows[:limit]], "more": len(rows) > limit}


@router.get("/care/visits/{homevisit_id}", response=dict)
def get_visit(request: HttpRequest, response: HttpResponse, homevisit_id: int) -> dict[str, Any]:
    _private(response)
    visit = get_visible_or_404(
        HomeVisit.objects.select_related("resident", "household", "worker", "event"),
        request.user,
        Cap.VIEW_REGISTRY,
        pk=homevisit_id,
    )
    return visit_out(visit)


@router.post("/households/{household_id}/verify", response={200: dict, 403: Error, 404: Error, 409: dict})
@replayable("care.verify")
def verify_household(request: HttpRequest, response: HttpResponse, household_id: int) -> dict[str, Any]:
    """The worker checked this household's data and found it current (stamps last verified)."""
    household = get_visible_or_404(Household.objects.all(), request.user, Cap.VIEW_REGISTRY, pk=household_id)
    return verification_out(services.verify_household(user=request.user, household=household))


@router.get("/care/stale", response=dict)
def stale(
    request: HttpRequest,
    response: HttpResponse,
    page: Query[LongPage],
    node_id: int | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Households not verified in `days` days (default GRIDGOV_STALE_AFTER_DAYS), never verified first."""
    _private(response)
    if days is not None and not 1 <= days <= 3650:
        raise ValidationError({"days": "1 至 3650"})
    node = selectors.get_node(request.user, node_id) if node_id else selectors.default_node(request.user)
    if node is None:
        return {"items": [], "more": False, "days": days or selectors.stale_after_days()}
    limit, offset = page.limit, page.offset
    rows = list(selectors.stale_households(request.user, node, days=days)[offset : offset + limit + 1])
    return {
        "days": days or selectors.stale_after_days(),
        "items": [
            {
                "household_id": h.pk,
                "number": h.number,
                "address": h.address,
                "grid": h.grid.name,
                "verified_at": getattr(getattr(h, "verification", None), "verified_at", None),
            }
            for h in rows[:limit]
        ],
        "more": len(rows) > limit,
    }
