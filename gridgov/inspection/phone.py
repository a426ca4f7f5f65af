"""The worker's rectifications on the phone (kind `rectification`): the open rectifications of
their grids, with the finding and, after a rejected report, the reason; a reported one leaves the
phone (a tombstone at the next sync) and comes back if the re-inspection sends it back."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap


def _rows(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.inspection.models import Rectification, RectificationState
    from gridgov.mobile.kinds import under

    return (
        Rectification.objects.restrict(user, Cap.VIEW)
        .filter(under(roots), state=RectificationState.OPEN)
        .select_related("finding", "finding__item", "finding__visit__plan", "grid")
    )


def rectification_out(r: Any) -> dict[str, Any]:
    finding = r.finding
    return {
        "id": r.pk,
        "grid_id": r.grid_id,
        "grid_name": r.grid.name,
        "plan": finding.visit.plan.title,
        "item": finding.item.text if finding.item_id else "",
        "finding": finding.description,
        "requirement": r.requirement,
        "deadline": r.deadline.isoformat(),
        "state": r.state,
        "rejections": r.rejections,
        "last_reason": r.last_reason,
        "version": r.version,
    }


def _out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    return [rectification_out(r) for r in rows]


def register_kinds() -> None:
    from gridgov.inspection.models import Rectification
    from gridgov.mobile import changes
    from gridgov.mobile.kinds import Kind, register

    register(Kind("rectification", Rectification, _rows, _out))
    changes.connect()
