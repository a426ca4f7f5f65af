"""The coverage rule of each grid kind (editable data, PatrolRule), with the shipped defaults."""

from gridgov.hierarchy.models import GridKind, Node
from gridgov.patrols.models import PatrolRule

DEFAULT_RULES: dict[str, dict[str, int]] = {
    GridKind.BASIC: {"period_days": 7, "checkins_per_period": 1, "radius_m": 60, "patrols_per_week": 5},
    GridKind.DEDICATED: {"period_days": 14, "checkins_per_period": 1, "radius_m": 100, "patrols_per_week": 2},
}


def rule_for(grid: Node) -> PatrolRule:
    """The coverage rule of a grid's kind (the shipped default if none was saved)."""
    kind = grid.grid_kind or GridKind.BASIC
    found = PatrolRule.objects.filter(grid_kind=kind).first()
    if found is not None:
        return found
    return PatrolRule(grid_kind=kind, **DEFAULT_RULES.get(kind, DEFAULT_RULES[GridKind.BASIC]))


def ensure_default_rules() -> int:
    made = 0
    for kind, values in DEFAULT_RULES.items():
        _rule, created = PatrolRule.objects.get_or_create(grid_kind=kind, defaults=values)
        made += created
    return made
