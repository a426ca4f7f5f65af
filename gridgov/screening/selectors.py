"""Reads of screening rounds through the scoping door: the rounds of an area with their answer
counts, the grids that have not answered, a worker's rounds to answer."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.care.selectors import grid_workers, own_grid_ids
from gridgov.hierarchy.models import Node
from gridgov.screening.models import ReturnState, ScreeningReturn, ScreeningRound


@dataclass
class RoundSummary:
    round: ScreeningRound
    grids: int
    answered: int
    nil: int
    disputes: int
    hazards: int

    @property
    def pending(self) -> int:
        return self.grids - self.answered

    @property
    def late(self) -> bool:
        return self.pending > 0 and self.round.deadline < timezone.localdate()


def rounds(user: Any) -> QuerySet[ScreeningRound]:
    return (
        ScreeningRound.objects.restrict(user)
        .select_related("node", "opened_by")
        .order_by("-opened_at", "-pk")
    )


def get_round(user: Any, round_id: int) -> ScreeningRound:
    return get_visible_or_404(
        ScreeningRound.objects.select_related("node", "opened_by"), user, Cap.VIEW, pk=round_id
    )


def summary(user: Any, round_: ScreeningRound) -> RoundSummary:
    """Answer counts over the returns the user may see (a township sees its grids of a county round)."""
    totals = (
        ScreeningReturn.objects.restrict(user)
        .filter(round=round_)
        .aggregate(
            grids=Count("pk"),
            answered=Count("pk", filter=~Q(state=ReturnState.PENDING)),
            nil=Count("pk", filter=Q(state=ReturnState.NIL)),
            disputes=Sum("disputes"),
            hazards=Sum("hazards"),
        )
    )
    return RoundSummary(
        round_,
        totals["grids"],
        totals["answered"],
        totals["nil"],
        totals["disputes"] or 0,
        totals["hazards"] or 0,
    )


def returns(user: Any, round_: ScreeningRound, *, pending_only: bool = False) -> list[dict[str, Any]]:
    found = ScreeningReturn.objects.restrict(user).filter(round=round_).select_related("grid", "answered_by")
    if pending_only:
        found = found.filter(state=ReturnState.PENDING)
    rows = list(found.order_by("state", "path"))
    workers = grid_workers([r.grid_id for r in rows])
    return [{"answer": r, "worker": workers.get(r.grid_id, "")} for r in rows]


def answers(
    user: Any, node: Node, *, start: date | None = None, end: date | None = None, state: str = ""
) -> QuerySet[ScreeningReturn]:
    """The grids' answers under `node` — what the overview counts (排查已报送): answered (findings
    or a nil return) between two local dates (inclusive), or in one state (`pending`: not yet
    answered, any date) — newest first."""
    found = ScreeningReturn.objects.restrict(user).filter(path__under=node.path)
    if state == ReturnState.PENDING:
        found = found.filter(state=ReturnState.PENDING)
    else:
        found = found.exclude(state=ReturnState.PENDING)
        if state in ReturnState.values:
            found = found.filter(state=state)
        zone = timezone.get_current_timezone()
        if start is not None:
            found = found.filter(answered_at__gte=datetime.combine(start, time.min, tzinfo=zone))
        if end is not None:
            after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
            found = found.filter(answered_at__lt=after)
    return found.select_related("round", "grid", "answered_by").order_by(
        F("answered_at").desc(nulls_last=True), "path", "-pk"
    )


def my_returns(user: Any) -> QuerySet[ScreeningReturn]:
    """The rounds the user's grids have still to answer."""
    return (
        ScreeningReturn.objects.restrict(user)
        .filter(grid_id__in=own_grid_ids(user), state=ReturnState.PENDING)
        .select_related("round")
        .order_by("round__deadline", "pk")
    )


def get_return(user: Any, return_id: int) -> ScreeningReturn:
    return get_visible_or_404(
        ScreeningReturn.objects.select_related("round", "grid"), user, Cap.VIEW, pk=return_id
    )
