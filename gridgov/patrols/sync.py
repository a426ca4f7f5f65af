"""What a phone holds of patrols: the coverage rules and when each building of its grids was last
checked in (the phone works out which buildings are due, offline too)."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.mobile.kinds import Kind, register, under
from gridgov.patrols.models import BuildingCoverage, PatrolRule


def _rules(user: User, roots: Sequence[str]) -> QuerySet[PatrolRule]:
    # City-wide settings, the same for everyone: not personal, not scoped.
    return PatrolRule.objects.all()


def _rules_out(rows: list[PatrolRule], user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": r.pk,
            "grid_kind": r.grid_kind,
            "period_days": r.period_days,
            "checkins_per_period": r.checkins_per_period,
            "radius_m": r.radius_m,
            "patrols_per_week": r.patrols_per_week,
        }
        for r in rows
    ]


def _coverage(user: User, roots: Sequence[str]) -> QuerySet[BuildingCoverage]:
    return BuildingCoverage.objects.restrict(user).filter(under(roots))


def _coverage_out(rows: list[BuildingCoverage], user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "building_id": c.building_id,
            "grid_id": c.grid_id,
            "last_checkin_at": c.last_checkin_at.isoformat(),
        }
        for c in rows
    ]


def register_kinds() -> None:
    register(Kind("patrol_rule", PatrolRule, rows=_rules, serialize=_rules_out, logged=lambda _r: False))
    register(Kind("patrol_building", BuildingCoverage, rows=_coverage, serialize=_coverage_out))
