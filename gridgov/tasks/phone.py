"""The worker's tasks on the phone (kind `task`): the open tasks of their grids; held and refused
ones never reach it, a completed one leaves it (a tombstone at the next sync)."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap


def _rows(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.mobile.kinds import under
    from gridgov.tasks.models import AssignmentState, TaskAssignment

    return (
        TaskAssignment.objects.restrict(user, Cap.VIEW)
        .filter(under(roots), state=AssignmentState.OPEN)
        .select_related("task", "task__duty")
    )


def assignment_out(a: Any) -> dict[str, Any]:
    task = a.task
    return {
        "id": a.pk,
        "task_id": task.pk,
        "title": task.title,
        "description": task.description,
        "duty": task.duty.name if task.duty_id else "职责外（已准入）",
        "source": task.source,
        "source_name": task.get_source_display(),
        "deadline": task.deadline.isoformat(),
        "grid_id": a.grid_id,
        "state": a.state,
        "result": a.result,
    }


def _out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    return [assignment_out(a) for a in rows]


def register_kinds() -> None:
    from gridgov.mobile import changes
    from gridgov.mobile.kinds import Kind, register
    from gridgov.tasks.models import TaskAssignment

    register(Kind("task", TaskAssignment, _rows, _out))
    changes.connect()
