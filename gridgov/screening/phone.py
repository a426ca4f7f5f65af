"""The rounds a worker's grids have still to answer, on the phone (kind `screening`); an answered
one leaves it."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap


def _rows(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.mobile.kinds import under
    from gridgov.screening.models import ReturnState, ScreeningReturn

    return (
        ScreeningReturn.objects.restrict(user, Cap.VIEW)
        .filter(under(roots), state=ReturnState.PENDING)
        .select_related("round")
    )


def return_out(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "round_id": r.round_id,
        "title": r.round.title,
        "note": r.round.note,
        "deadline": r.round.deadline.isoformat(),
        "grid_id": r.grid_id,
        "state": r.state,
    }


def _out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    return [return_out(r) for r in rows]


def register_kinds() -> None:
    from gridgov.mobile import changes
    from gridgov.mobile.kinds import Kind, register
    from gridgov.screening.models import ScreeningReturn

    register(Kind("screening", ScreeningReturn, _rows, _out))
    changes.connect()
