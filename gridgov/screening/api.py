"""/api/v1/screening…: open a round (township or county), the rounds with their answer counts,
the grids that have not answered, a grid's answer (findings or nil return, Idempotency-Key)."""

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.idempotency import replayable
from gridgov.api.params import ShortPage
from gridgov.hierarchy.models import Node
from gridgov.screening import phone, selectors, services

router = Router(tags=["screening"])


class Error(Schema):
    detail: str


class RoundIn(Schema):
    node_id: int = Field(..., description="a township or county: every grid under it answers")
    title: str
    deadline: date
    note: str = ""


class FindingIn(Schema):
    kind: str = Field(..., description="dispute or hazard")
    description: str


class AnswerIn(Schema):
    nil: bool = Field(False, description="nil return (零报告): nothing found")
    findings: list[dict[str, Any]] = []


def round_out(s: selectors.RoundSummary) -> dict[str, Any]:
    r = s.round
    return {
        "id": r.pk,
        "title": r.title,
        "note": r.note,
        "node_id": r.node_id,
        "deadline": r.deadline,
        "opened_at": r.opened_at,
        "grids": s.grids,
        "answered": s.answered,
        "pending": s.pending,
        "nil": s.nil,
        "disputes": s.disputes,
        "hazards": s.hazards,
        "late": s.late,
    }


@router.post("/screening/rounds", response={201: dict, 400: dict, 403: Error, 404: Error})
@replayable("screening.open")
def open_round(request: HttpRequest, response: HttpResponse, body: RoundIn) -> Status[dict[str, Any]]:
    node = get_visible_or_404(Node.objects.all(), request.user, None, pk=body.node_id)
    round_ = services.open_round(
        user=request.user, node=node, title=body.title, deadline=body.deadline, note=body.note
    )
    return Status(201, round_out(selectors.summary(request.user, round_)))


@router.get("/screening/rounds", response=list[dict[str, Any]])
def list_rounds(request: HttpRequest, page: Query[ShortPage]) -> list[dict[str, Any]]:
    rows = selectors.rounds(request.user)[page.offset : page.offset + page.limit]
    return [round_out(selectors.summary(request.user, r)) for r in rows]


@router.get("/screening/rounds/{screeninground_id}", response=dict)
def get_round(request: HttpRequest, screeninground_id: int) -> dict[str, Any]:
    """A round's counts and the grids that have not answered yet (with their worker)."""
    round_ = selectors.get_round(request.user, screeninground_id)
    pending = selectors.returns(request.user, round_, pending_only=True)
    return round_out(selectors.summary(request.user, round_)) | {
        "not_answered": [
            {"grid_id": p["answer"].grid_id, "grid": p["answer"].grid.name, "worker": p["worker"]}
            for p in pending
        ]
    }


@router.get("/screening/mine", response=list[dict[str, Any]])
def my_rounds(request: HttpRequest) -> list[dict[str, Any]]:
    return [phone.return_out(r) for r in selectors.my_returns(request.user)]


@router.post(
    "/screening/returns/{screeningreturn_id}",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
@replayable("screening.answer")
def answer(
    request: HttpRequest, response: HttpResponse, screeningreturn_id: int, body: AnswerIn
) -> dict[str, Any]:
    """The grid's answer: findings (disputes, hazards) or a nil return; once per grid and round."""
    found = selectors.get_return(request.user, screeningreturn_id)
    done = services.answer_round(user=request.user, answer=found, nil=body.nil, findings=body.findings)
    return phone.return_out(done) | {"findings": done.findings, "answered_at": done.answered_at}
