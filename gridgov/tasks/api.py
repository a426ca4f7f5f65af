"""/api/v1/tasks…: the ten duties, issuing a task to an area's grid workers, the admission
review, the worker's task list and completing a task (with an Idempotency-Key, optional photos),
the burden per worker and month."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from gridgov.api.idempotency import replayable
from gridgov.care.selectors import get_node as _registry_node
from gridgov.tasks import phone, selectors, services
from gridgov.tasks.models import Task

router = Router(tags=["tasks"])


class Error(Schema):
    detail: str


class TaskIn(Schema):
    node_id: int = Field(..., description="the area: every grid under it gets the task")
    title: str
    deadline: datetime
    duty: str = Field("", description="duty code; empty: outside the ten duties (admission review)")
    description: str = ""


class DecisionIn(Schema):
    approve: bool
    reason: str = ""


def duty_out(d: Any) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "description": d.description}


def task_out(t: Task) -> dict[str, Any]:
    return {
        "id": t.pk,
        "title": t.title,
        "description": t.description,
        "duty": t.duty.code if t.duty is not None else "",
        "duty_name": t.duty.name if t.duty is not None else "职责外",
        "node_id": t.node_id,
        "source": t.source,
        "source_name": t.get_source_display(),
        "deadline": t.deadline,
        "admission": t.admission,
        "admission_name": t.get_admission_display(),
        "decision_reason": t.decision_reason,
        "decided_at": t.decided_at,
        "created_at": t.created_at,
        "assignments": selectors.assignment_counts(t),
    }


@router.get("/tasks/duties", response=list[dict[str, Any]])
def list_duties(request: HttpRequest) -> list[dict[str, Any]]:
    """The ten duties of a full-time grid worker (city-wide data)."""
    return [duty_out(d) for d in selectors.duties()]


@router.post("/tasks", response={201: dict, 400: dict, 403: Error, 404: Error})
@replayable("tasks.issue")
def issue(request: HttpRequest, response: HttpResponse, body: TaskIn) -> Status[dict[str, Any]]:
    """Give a task to every grid worker under `node_id`; without a duty it waits for admission."""
    from gridgov.accounts.scope import get_visible_or_404
    from gridgov.hierarchy.models import Node

    node = get_visible_or_404(Node.objects.all(), request.user, None, pk=body.node_id)
    task = services.issue_task(
        user=request.user,
        node=node,
        title=body.title,
        deadline=body.deadline,
        duty=body.duty,
        description=body.description,
    )
    return Status(201, task_out(task))


@router.get("/tasks/admission", response=list[dict[str, Any]])
def admission_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Tasks outside the ten duties waiting for this county administrator's review."""
    return [task_out(t) for t in selectors.admission_queue(request.user)]


@router.get("/tasks/mine", response=list[dict[str, Any]])
def my_tasks(request: HttpRequest) -> list[dict[str, Any]]:
    """The open tasks of the caller's grids (held or refused tasks never appear)."""
    return [phone.assignment_out(a) for a in selectors.my_tasks(request.user)]


@router.get("/tasks/burden", response=dict)
def burden(request: HttpRequest, node_id: int, month: str = "") -> dict[str, Any]:
    """Per worker under `node_id` and month (YYYY-MM): tasks by duty and source, share refused."""
    node = _registry_node(request.user, node_id)
    rows = selectors.burden(request.user, node, month or None)
    return {
        "rows": [
            {
                "worker": b.worker,
                "grid": b.grid,
                "total": b.total,
                "done": b.done,
                "refused": b.refused,
                "refused_share": round(b.refused_share, 3),
                "by_duty": b.by_duty,
                "by_source": b.by_source,
            }
            for b in rows
        ]
    }


@router.get("/tasks/{task_id}", response=dict)
def get_task(request: HttpRequest, task_id: int) -> dict[str, Any]:
    return task_out(selectors.get_task(request.user, task_id))


@router.post("/tasks/{task_id}/admission", response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict})
@replayable("tasks.admission")
def decide(request: HttpRequest, response: HttpResponse, task_id: int, body: DecisionIn) -> dict[str, Any]:
    """The county's admission decision, with its reason (required for a refusal)."""
    task = selectors.get_task(request.user, task_id)
    return task_out(
        services.decide_admission(user=request.user, task=task, approve=body.approve, reason=body.reason)
    )


@router.post(
    "/task-assignments/{taskassignment_id}/complete",
    response={200: dict, 400: dict, 403: Error, 404: Error, 409: dict},
)
@replayable("tasks.complete")
def complete(
    request: HttpRequest,
    response: HttpResponse,
    taskassignment_id: int,
    result: Form[str] = "",
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> dict[str, Any]:
    """Complete a task of one's grid: a short result and optional photos (multipart)."""
    assignment = selectors.get_assignment(request.user, taskassignment_id)
    done = services.complete_task(
        user=request.user, assignment=assignment, result=result, photos=photos or []
    )
    return phone.assignment_out(done) | {"completed_at": done.completed_at}
