"""The annual assessment over the API: lists by place and year, one assessment with its steps,
the steps themselves (409 when not now, 412 on a stale version), the worker's own results."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.params import LongPage
from gridgov.assessment import selectors, services
from gridgov.assessment.models import Assessment
from gridgov.hierarchy.models import Node

router = Router(tags=["assessment"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the API's auth has checked
    return request.user


class StepOut(Schema):
    kind: str
    result: str
    note: str
    actor: str
    at: datetime.datetime


class AssessmentOut(Schema):
    id: int
    worker_id: int
    worker_name: str
    year: int
    indicators: dict[str, float | None]
    indicator_score: Decimal | None
    committee_score: Decimal | None
    total_score: Decimal | None
    result: str
    status: str
    note: str
    appeal_reason: str
    appeal_decision: str
    version: int


class AssessmentDetailOut(AssessmentOut):
    steps: list[StepOut]


def _out(a: Assessment) -> dict[str, Any]:
    fields = {f: getattr(a, f) for f in AssessmentOut.model_fields if f not in {"worker_name"}}
    return {**fields, "worker_name": a.worker.name}


def _detail(a: Assessment) -> dict[str, Any]:
    steps = [
        {
            "kind": s.kind,
            "result": s.result,
            "note": s.note,
            "actor": (s.actor.full_name or s.actor.username) if s.actor else "",
            "at": s.at,
        }
        for s in selectors.steps_of(a)
    ]
    return {**_out(a), "steps": steps}


@router.get("/assessments", response=list[AssessmentOut])
def list_assessments(
    request: HttpRequest,
    response: HttpResponse,
    page: Query[LongPage],
    node_id: int | None = None,
    year: int | None = None,
    status: str = "",
) -> list[dict[str, Any]]:
    """Assessments in the caller's scope (a worker: their own), by place, year and status."""
    user = _user(request)
    node = get_visible_or_404(Node.objects.all(), user, pk=node_id) if node_id else None
    response["Cache-Control"] = "no-store"
    found = selectors.assessments_for(user, node=node, year=year, status=status)
    return [_out(a) for a in found[page.offset : page.offset + page.limit]]


@router.get("/assessments/{assessment_id}", response=AssessmentDetailOut)
def get_assessment(request: HttpRequest, response: HttpResponse, assessment_id: int) -> dict[str, Any]:
    response["Cache-Control"] = "no-store"
    return _detail(selectors.detail(_user(request), assessment_id))


class ComputeIn(Schema):
    node_id: int
    year: int


class CountOut(Schema):
    count: int


@router.post("/assessments/compute", response=CountOut)
def compute(request: HttpRequest, body: ComputeIn) -> dict[str, int]:
    """Open or update the year's assessments of the active workers under a county, township or community."""
    user = _user(request)
    node = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=body.node_id)
    return {"count": services.compute_assessments(user=user, node=node, year=body.year)}


@router.post("/assessments/approve-reviewed", response=CountOut)
def approve_reviewed(request: HttpRequest, body: ComputeIn) -> dict[str, int]:
    """The county approves all its reviewed assessments of a year (409 if 优秀 would exceed the cap)."""
    user = _user(request)
    county = get_visible_or_404(Node.objects.all(), user, Cap.MANAGE_STAFF, pk=body.node_id)
    return {"count": services.approve_reviewed(user=user, county=county, year=body.year)}


class ProposeIn(Schema):
    result: str
    committee_score: Decimal
    note: str = ""
    version: int | None = None


class ReviewIn(Schema):
    agree: bool
    note: str = ""
    version: int | None = None


class NoteIn(Schema):
    note: str = ""
    version: int | None = None


class VersionIn(Schema):
    version: int | None = None


class AppealIn(Schema):
    reason: str


class DecideIn(Schema):
    result: str
    decision: str
    version: int | None = None


def _found(request: HttpRequest, assessment_id: int) -> tuple[User, Assessment]:
    user = _user(request)
    return user, selectors.detail(user, assessment_id)


@router.post("/assessments/{assessment_id}/propose", response=AssessmentDetailOut)
def propose(request: HttpRequest, assessment_id: int, body: ProposeIn) -> dict[str, Any]:
    user, found = _found(request, assessment_id)
    return _detail(services.propose(user=user, assessment=found, **body.dict()))


@router.post("/assessments/{assessment_id}/review", response=AssessmentDetailOut)
def review(request: HttpRequest, assessment_id: int, body: ReviewIn) -> dict[str, Any]:
    user, found = _found(request, assessment_id)
    return _detail(services.review(user=user, assessment=found, **body.dict()))


@router.post("/assessments/{assessment_id}/approve", response=AssessmentDetailOut)
def approve(request: HttpRequest, assessment_id: int, body: VersionIn) -> dict[str, Any]:
    user, found = _found(request, assessment_id)
    return _detail(services.approve(user=user, assessment=found, version=body.version))


@router.post("/assessments/{assessment_id}/return", response=AssessmentDetailOut)
def return_to_township(request: HttpRequest, assessment_id: int, body: NoteIn) -> dict[str, Any]:
    user, found = _found(request, assessment_id)
    return _detail(services.return_to_township(user=user, assessment=found, **body.dict()))


@router.post("/assessments/{assessment_id}/appeal", response=AssessmentDetailOut)
def appeal(request: HttpRequest, assessment_id: int, body: AppealIn) -> dict[str, Any]:
    """The worker's one appeal of their approved result."""
    user, found = _found(request, assessment_id)
    return _detail(services.appeal(user=user, assessment=found, reason=body.reason))


@router.post("/assessments/{assessment_id}/decide-appeal", response=AssessmentDetailOut)
def decide_appeal(request: HttpRequest, assessment_id: int, body: DecideIn) -> dict[str, Any]:
    user, found = _found(request, assessment_id)
    return _detail(services.decide_appeal(user=user, assessment=found, **body.dict()))
