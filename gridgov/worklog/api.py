"""/api/v1/worklog…: a worker's day log (his own, or one his chief, instructor or centre reads),
his note for a day (Idempotency-Key), and the household load per area."""

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema

from gridgov.accounts.models import User
from gridgov.api.idempotency import replayable
from gridgov.care.selectors import get_node
from gridgov.worklog import selectors, services

router = Router(tags=["worklog"])


class NoteIn(Schema):
    day: date
    text: str = ""


def log_out(log: dict[str, Any]) -> dict[str, Any]:
    worker = log["worker"]
    return {
        "worker": {"id": worker.pk, "name": worker.full_name or worker.username},
        "day": log["day"],
        "entries": [
            {"at": e.at, "kind": e.kind, "kind_name": e.kind_name, "text": e.text} for e in log["entries"]
        ],
        "note": log["note"],
    }


def _worker(request: HttpRequest, worker_id: int | None) -> User:
    if worker_id is None:
        assert isinstance(request.user, User)
        return request.user
    return selectors.readable_worker(request.user, worker_id)


@router.get("/worklog", response=dict)
def day_log(request: HttpRequest, day: date | None = None, worker_id: int | None = None) -> dict[str, Any]:
    """A day of a worker's log (default: the caller, today)."""
    worker = _worker(request, worker_id)
    return log_out(selectors.day_log(request.user, worker, day or timezone.localdate()))


@router.post("/worklog/notes", response={200: dict, 400: dict, 403: dict})
@replayable("worklog.note")
def save_note(request: HttpRequest, response: HttpResponse, body: NoteIn) -> dict[str, Any]:
    note = services.save_note(user=request.user, day=body.day, text=body.text)
    return {"day": note.day, "text": note.text}


@router.get("/worklog/load", response=dict)
def household_load(request: HttpRequest, node_id: int) -> dict[str, Any]:
    """Households per child area, per grid and per full-time worker against the target of about
    300; the grids above the split threshold."""
    node = get_node(request.user, node_id)
    rows = selectors.household_load(request.user, node)
    return {
        "target": selectors.TARGET_HOUSEHOLDS,
        "split_above": selectors.SPLIT_ABOVE,
        "rows": [
            {
                "node_id": r.node.pk,
                "name": r.node.name,
                "households": r.households,
                "grids": r.grids,
                "workers": r.workers,
                "per_grid": r.per_grid,
                "per_worker": r.per_worker,
                "to_split": r.over,
            }
            for r in rows
        ],
    }
