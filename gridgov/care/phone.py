"""What the worker's phone holds of the care app: every care schedule of their grids (kind
`visit_due`); the phone works out what is due and overdue each day by itself, offline, and
names the resident from its own resident records."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap


def _rows(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.care.models import CareSchedule
    from gridgov.mobile.kinds import under

    return CareSchedule.objects.restrict(user, Cap.VIEW_REGISTRY).filter(under(roots))


def _out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": s.pk,
            "resident_id": s.resident_id,
            "grid_id": s.grid_id,
            "tags": list(s.tags or []),
            "interval_days": s.interval_days,
            "last_visit_at": s.last_visit_at.isoformat() if s.last_visit_at else None,
            "next_due": s.next_due.isoformat(),
        }
        for s in rows
    ]


def register_kinds() -> None:
    from gridgov.care.models import CareSchedule
    from gridgov.care.schedules import PHONE_KIND
    from gridgov.mobile import changes
    from gridgov.mobile.kinds import Kind, register

    register(Kind(PHONE_KIND, CareSchedule, _rows, _out))
    # The change log's signals are connected for the kinds known when the mobile app got ready;
    # connecting again (same dispatch uids) adds this one.
    changes.connect()
