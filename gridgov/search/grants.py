"""Reads about break-the-glass grants: who supervises and who may approve them, how many a person
asked for today, and the grants as lists for the pages and the API.

The bounds (gridgov.search.services): a grant within the requester's own township opens at once;
a wider one waits for a superior, someone who manages staff over the requested area (the
administrator of that community, township, county or the city); each person may ask at most
`BREAK_GLASS_PER_DAY` times a day.
"""

import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import can
from gridgov.hierarchy.models import Level
from gridgov.hierarchy.paths import ancestors, at_level
from gridgov.hierarchy.selectors import place_names
from gridgov.registry.models import BreakGlassGrant, GrantStatus

ADMIN_ROLES = (Role.COMMUNITY_ADMIN, Role.TOWNSHIP_ADMIN, Role.COUNTY_ADMIN, Role.CITY_ADMIN)


def per_day() -> int:
    return int(getattr(settings, "BREAK_GLASS_PER_DAY", 3))


def own_townships(user: Any) -> set[str]:
    """Paths of the townships where the user works (none for roles placed above a township)."""
    places = user.assignments.values_list("node__path", flat=True)
    return {at_level(p, Level.TOWNSHIP) for p in places} - {""}


def within_own_township(user: Any, path: str) -> bool:
    return any(path.startswith(township) for township in own_townships(user))


def requests_today(user: Any, now: datetime.datetime | None = None) -> int:
    """How many grants the user asked for since midnight in the city (refused ones count too)."""
    local = timezone.localtime(now or timezone.now())
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return BreakGlassGrant.objects.filter(user=user, granted_at__gte=midnight).count()


def approvers_of(path: str, requester: Any) -> list[Any]:
    """Administrators over the requested area (of it or above it), the requester left out."""
    from gridgov.accounts.models import RoleAssignment

    found = RoleAssignment.objects.filter(
        role__in=ADMIN_ROLES, node__path__in=ancestors(path)
    ).select_related("user")
    seen: dict[int, Any] = {}
    for assignment in found:
        if assignment.user.is_active and assignment.user_id != requester.pk:
            seen[assignment.user_id] = assignment.user
    return list(seen.values())


def may_decide(user: Any, grant: BreakGlassGrant) -> bool:
    """A pending request may be decided by anyone who manages staff over its area, not its holder."""
    return (
        grant.status == GrantStatus.PENDING
        and grant.user_id != getattr(user, "pk", None)
        and can(user, Cap.MANAGE_STAFF, grant.path)
    )


def open_and_pending(user: Any) -> list[BreakGlassGrant]:
    """The user's own grants that are open now or waiting for a decision, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    grants = BreakGlassGrant.objects.filter(user=user, status__in=(GrantStatus.APPROVED, GrantStatus.PENDING))
    now = timezone.now()
    return [
        g
        for g in grants.select_related("user", "decided_by").order_by("-granted_at")[:20]
        if g.status == GrantStatus.PENDING or (g.expires_at and g.expires_at > now)
    ]


def grants_supervised_by(user: Any) -> QuerySet[BreakGlassGrant]:
    """Grants a supervisor sees: those of staff placed in their subtree, and those opening it."""
    return (
        BreakGlassGrant.objects.restrict(user, Cap.MANAGE_STAFF)
        .exclude(user__pk=user.pk)  # one's own grants are not supervised by oneself
        .select_related("user", "decided_by")
        .order_by("-granted_at")
    )


def supervisors_of(user: Any) -> list[Any]:
    """Community and township administrators above the places where the user works."""
    from gridgov.accounts.models import RoleAssignment

    places = list(user.assignments.values_list("node__path", flat=True))
    prefixes = {at_level(p, level) for p in places for level in (Level.COMMUNITY, Level.TOWNSHIP)} - {""}
    if not prefixes:
        return []
    admins = RoleAssignment.objects.filter(
        role__in=(Role.COMMUNITY_ADMIN, Role.TOWNSHIP_ADMIN), node__path__in=prefixes
    ).select_related("user")
    seen: dict[int, Any] = {}
    for assignment in admins:
        if assignment.user.is_active and assignment.user_id != user.pk:
            seen[assignment.user_id] = assignment.user
    return list(seen.values())


def grant_out(
    grant: BreakGlassGrant, names: dict[str, str] | None = None, viewer: Any = None
) -> dict[str, Any]:
    if names is None:
        names = place_names([grant.path])
    decider = grant.decided_by
    return {
        "id": grant.pk,
        "user": grant.user.username,
        "user_name": getattr(grant.user, "full_name", ""),
        "reason": grant.reason,
        "path": grant.path,
        "node_name": names.get(grant.path, ""),
        "granted_at": grant.granted_at,
        "expires_at": grant.expires_at,
        "status": grant.status,
        "status_label": str(GrantStatus(grant.status).label),
        "active": grant.status == GrantStatus.APPROVED
        and grant.expires_at is not None
        and grant.expires_at > timezone.now(),
        "decided_by": (getattr(decider, "full_name", "") or decider.username) if decider else None,
        "decided_at": grant.decided_at,
        "decision_note": grant.decision_note,
        "may_decide": may_decide(viewer, grant) if viewer is not None else False,
    }


def grants_out(grants: list[BreakGlassGrant], viewer: Any = None) -> list[dict[str, Any]]:
    names = place_names({g.path for g in grants})
    return [grant_out(g, names, viewer) for g in grants]
