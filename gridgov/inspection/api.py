"""/api/v1/inspection…: the checklist, plans (made with picked or drawn grids), a grid's
inspection (scores, findings with photos), rectifications (the worker's own, report back with an
Idempotency-Key and optional photos; re-inspection), and scores per grid and worker. Scoped
through the selectors; lists paged by the bounded `Page`."""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.idempotency import replayable
from gridgov.api.params import Finite, Page
from gridgov.hierarchy.models import Node
from gridgov.inspection import phone, selectors, services
from gridgov.inspection.models import InspectionFinding, InspectionPlan, InspectionVisit, Rectification

router = Router(tags=["inspection"])


class Error(Schema):
    detail: str


class PlanIn(Schema):
    node_id: int = Field(..., description="the township or county the plan covers")
    title: str
    starts_on: date
    ends_on: date
    inspector_ids: list[int] = Field(..., max_length=50)
    grid_ids: list[int] = Field([], max_length=services.MAX_GRIDS, description="picked grids (or draw_count)")
    draw_count: int | None = Field(None, ge=1, le=services.MAX_GRIDS, description="grids drawn at random")
    draw_seed: int | None = Field(
        None, ge=0, lt=services.MAX_SEED, description="the draw's seed (made if empty)"
    )


class ScoreIn(Schema):
    points: dict[str, Finite] = Field(
        ..., description="checklist item id → points (0 to its maximum, halves)"
    )
    note: str = ""
    version: int | None = None


class RectifyIn(Schema):
    requirement: str
    deadline: datetime


class ReviewIn(Schema):
    accept: bool
    reason: str = ""
    deadline: datetime | None = None


class RectificationQuery(Page):
    node_id: int | None = None
    state: str = ""
    overdue: bool = False


class ScoresQuery(Schema):
    node_id: int
    start: date | None = None
    end: date | None = None


def _node(request: HttpRequest, node_id: int) -> Node:
    return get_visible_or_404(Node.objects.all(), request.user, None, pk=node_id)


def plan_out(p: InspectionPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "title": p.title,
        "node_id": p.node_id,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "state": p.state,
        "draw_seed": p.draw_seed,
        "draw_count": p.draw_count,
        "drawn_at": p.drawn_at,
        "created_at": p.created_at,
    }


def visit_out(v: InspectionVisit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "plan_id": v.plan_id,
        "grid_id": v.grid_id,
        "grid_name": v.grid.name,
        "worker_id": v.worker_id,
        "state": v.state,
        "score": float(v.score) if v.score is not None else None,
        "note": v.note,
        "inspected_at": v.inspected_at,
        "version": v.version,
    }


def finding_out(f: InspectionFinding) -> dict[str, Any]:
    return {
        "id": f.pk,
        "visit_id": f.visit_id,
        "item_id": f.item_id,
        "description": f.description,
        "photos": [p.pk for p in f.photos.all()],
        "created_at": f.created_at,
    }


def rectification_out(r: Rectification) -> dict[str, Any]:
    return phone.rectification_out(r) | {
        "finding_id": r.finding_id,
        "report": r.report,
        "reported_at": r.reported_at,
        "closed_at": r.closed_at,
        "created_at": r.created_at,
    }


@router.get("/inspection/checklist", response=list[dict[str, Any]])
def checklist(request: HttpRequest) -> list[dict[str, Any]]:
    """The active checklist items, each under one of the ten duties, with its maximum points."""
    return [
        {
            "id": i.pk,
            "duty": i.duty.code,
            "duty_name": i.duty.name,
            "text": i.text,
            "max_points": i.max_points,
        }
        for i in services.checklist()
    ]


@router.get("/inspection/plans", response=list[dict[str, Any]])
def list_plans(request: HttpRequest, page: Query[Page], node_id: int | None = None) -> list[dict[str, Any]]:
    """Plans the caller sees (of their area, or naming them as an inspector)."""
    node = _node(request, node_id) if node_id else None
    rows = selectors.plans_for(request.user, node)[page.offset : page.offset + page.limit]
    return [plan_out(p) | {"grids": p.grids, "done": p.done} for p in rows]  # type: ignore[attr-defined]


@router.post("/inspection/plans", response={201: dict, 400: dict, 403: Error, 404: Error})
@replayable("inspection.plan")
def create_plan(request: HttpRequest, response: HttpResponse, body: PlanIn) -> Status[dict[str, Any]]:
    """A plan by a township or county: `grid_ids` picked, or `draw_count` grids drawn at random
    (seeded by `draw_seed`, or a seed made and recorded)."""
    plan = services.create_plan(
        user=request.user,
        node=_node(request, body.node_id),
        title=body.title,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        inspector_ids=body.inspector_ids,
        grid_ids=body.grid_ids,
        draw_count=body.draw_count,
        draw_seed=body.draw_seed,
    )
    return Status(
        201, plan_out(plan) | {"visits": [visit_out(v) for v in selectors.visits_of(request.user, plan)]}
    )


@router.get("/inspection/plans/{inspectionplan_id}", response=dict[str, Any])
def get_plan(request: HttpRequest, inspectionplan_id: int) -> dict[str, Any]:
    plan = selectors.get_plan(request.user, inspectionplan_id)
    return plan_out(plan) | {
        "inspector_ids": list(plan.inspectors.values_list("pk", flat=True)),
        "visits": [visit_out(v) for v in selectors.visits_of(request.user, plan)],
    }


@router.get("/inspection/visits/{inspectionvisit_id}", response=dict[str, Any])
def get_visit(request: HttpRequest, inspectionvisit_id: int) -> dict[str, Any]:
    visit = selectors.get_visit(request.user, inspectionvisit_id)
    return visit_out(visit) | {
        "points": {str(k): float(v) for k, v in selectors.item_points(visit).items()},
        "findings": [finding_out(f) for f in selectors.findings_of(request.user, visit)],
    }


@router.post(
    "/inspection/visits/{inspectionvisit_id}/score",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict, 412: dict},
)
@replayable("inspection.score")
def score(
    request: HttpRequest, response: HttpResponse, inspectionvisit_id: int, body: ScoreIn
) -> dict[str, Any]:
    """Score every checklist item; send the `version` read to refuse overwriting another's score."""
    visit = selectors.get_visit(request.user, inspectionvisit_id)
    done = services.score_visit(
        user=request.user, visit=visit, points=body.points, note=body.note, version=body.version
    )
    return visit_out(done)


@router.post(
    "/inspection/visits/{inspectionvisit_id}/findings",
    response={201: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
@replayable("inspection.finding")
def add_finding(
    request: HttpRequest,
    response: HttpResponse,
    inspectionvisit_id: int,
    description: Form[str] = "",
    item_id: Form[int | None] = None,
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[dict[str, Any]]:
    """A finding of the inspection with optional photos (multipart)."""
    visit = selectors.get_visit(request.user, inspectionvisit_id)
    finding = services.add_finding(
        user=request.user, visit=visit, description=description, item_id=item_id, photos=photos or []
    )
    return Status(201, finding_out(finding))


@router.post(
    "/inspection/findings/{inspectionfinding_id}/rectification",
    response={201: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
@replayable("inspection.rectify")
def rectify(
    request: HttpRequest, response: HttpResponse, inspectionfinding_id: int, body: RectifyIn
) -> Status[dict[str, Any]]:
    """Send the finding to the grid's worker for rectification by `deadline`."""
    finding = selectors.get_finding(request.user, inspectionfinding_id)
    made = services.issue_rectification(
        user=request.user, finding=finding, requirement=body.requirement, deadline=body.deadline
    )
    return Status(201, rectification_out(selectors.get_rectification(request.user, made.pk)))


@router.get("/inspection/rectifications", response=list[dict[str, Any]])
def list_rectifications(request: HttpRequest, query: Query[RectificationQuery]) -> list[dict[str, Any]]:
    """Rectifications the caller sees, by place and state; `overdue=true`: past deadline, not reported."""
    node = _node(request, query.node_id) if query.node_id else None
    rows = selectors.rectifications_for(request.user, node=node, state=query.state, overdue=query.overdue)
    return [rectification_out(r) for r in rows[query.offset : query.offset + query.limit]]


@router.get("/inspection/rectifications/mine", response=list[dict[str, Any]])
def my_rectifications(request: HttpRequest) -> list[dict[str, Any]]:
    """The open rectifications of the caller's grids (the worker's list)."""
    return [rectification_out(r) for r in selectors.my_rectifications(request.user)]


@router.get("/inspection/rectifications/{rectification_id}", response=dict[str, Any])
def get_rectification(request: HttpRequest, rectification_id: int) -> dict[str, Any]:
    rect = selectors.get_rectification(request.user, rectification_id)
    return rectification_out(rect) | {
        "steps": [
            {
                "kind": s.kind,
                "text": s.text,
                "by": s.by_id,
                "at": s.at,
                "photos": [p.pk for p in s.photos.all()],
            }
            for s in selectors.steps_of(rect)
        ]
    }


@router.post(
    "/inspection/rectifications/{rectification_id}/report",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
@replayable("inspection.report")
def report(
    request: HttpRequest,
    response: HttpResponse,
    rectification_id: int,
    text: Form[str] = "",
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """The worker reports the rectification done (text, optional photos; multipart). A retry with
    the same Idempotency-Key gets the first answer; a second report while one waits is a 409."""
    rect = selectors.get_rectification(request.user, rectification_id)
    done = services.report_rectification(
        user=request.user, rectification=rect, text=text, photos=photos or []
    )
    return rectification_out(done)


@router.post(
    "/inspection/rectifications/{rectification_id}/review",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
@replayable("inspection.review")
def review(
    request: HttpRequest, response: HttpResponse, rectification_id: int, body: ReviewIn
) -> dict[str, Any]:
    """Re-inspection: `accept` closes it; a rejection needs a `reason` (and may set a new deadline)."""
    rect = selectors.get_rectification(request.user, rectification_id)
    done = services.review_rectification(
        user=request.user, rectification=rect, accept=body.accept, reason=body.reason, deadline=body.deadline
    )
    return rectification_out(done)


@router.get("/inspection/scores", response=dict[str, Any])
def scores(request: HttpRequest, query: Query[ScoresQuery]) -> dict[str, Any]:
    """Per grid and per worker under `node_id`, the inspections of the period (default: this year)."""
    node = _node(request, query.node_id)
    _first, _after, start, end = selectors.period_bounds(query.start, query.end)

    def rows(found: list[selectors.ScoreRow]) -> list[dict[str, Any]]:
        return [
            {
                "id": r.key,
                "name": r.name,
                "place": r.place,
                "inspections": r.inspections,
                "mean": float(r.mean) if r.mean is not None else None,
                "lowest": float(r.lowest) if r.lowest is not None else None,
                "highest": float(r.highest) if r.highest is not None else None,
                "open_rectifications": r.open_rectifications,
                "overdue": r.overdue,
            }
            for r in found
        ]

    return {
        "start": start,
        "end": end,
        "grids": rows(selectors.grid_scores(request.user, node, start, end)),
        "workers": rows(selectors.worker_scores(request.user, node, start, end)),
    }
