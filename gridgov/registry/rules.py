"""Small shared rules of the registry (kept free of imports from the API layer, which imports
the registry's modules in turn)."""

from typing import Any

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can
from gridgov.hierarchy.models import Node
from gridgov.registry.choices import ResidenceStatus

# A resident with one of these statuses lives in a household; the others are history.
ACTIVE_STATUSES = (ResidenceStatus.PRESENT, ResidenceStatus.AWAY)


def may_see_special(user: Any, path: str) -> bool:
    """Special-population tags: only where the user is granted them (see RoleAssignment)."""
    return can(user, Cap.SEE_SPECIAL_GROUPS, path)


def household_address(building: Node, unit: str, room: str) -> str:
    base = building.address or building.name
    return f"{base}{f'{unit}单元' if unit else ''}{f'{room}室' if room else ''}"[:200]
