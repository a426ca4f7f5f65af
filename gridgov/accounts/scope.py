"""The one place that decides what a user may see and change.

A user's scope for a capability is the union of the subtrees of the nodes where they hold a
role granting it. Every page, API endpoint, export and admin list narrows its queryset with
`visible()` and fetches single objects with `get_visible_or_404()`; nothing filters by hand.
"""

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404

from gridgov.accounts.roles import ROLE_CAPS, Cap

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """Subtree roots (hierarchy paths); `everything` for system administrators."""

    roots: tuple[str, ...] = ()
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not self.everything and not self.roots

    def q(self, field: str = "path") -> Q:
        if self.everything:
            return Q()
        if not self.roots:
            return Q(pk__in=[])
        query = Q()
        for root in self.roots:
            query |= Q(**{f"{field}__under": root})
        return query

    def covers(self, path: str) -> bool:
        return self.everything or any(path.startswith(root) for root in self.roots)


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop roots already inside another root."""
    ordered = sorted(paths, key=len)
    kept: list[str] = []
    for path in ordered:
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return tuple(sorted(kept))


def scope_of(user: Any, cap: str = Cap.VIEW) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cache: dict[str, Scope] = user.__dict__.setdefault("_gridgov_scopes", {})
    if cap in cache:
        return cache[cap]
    if user.is_superuser and cap != Cap.VIEW_AUDIT:
        scope = Scope(everything=True)
    else:
        paths: set[str] = set()
        for role, path, special in role_assignments(user):
            if cap in ROLE_CAPS.get(role, set()) or (cap == Cap.SEE_SPECIAL_GROUPS and special):
                paths.add(path)
        scope = Scope(roots=_minimal(paths))
    cache[cap] = scope
    return scope


def role_assignments(user: Any) -> list[tuple[str, str, bool]]:
    """The user's (role, node path, grants special groups): one query per user object, whatever
    the number of capabilities asked about (`gridgov.accounts.access` preloads them)."""
    if "_gridgov_assignments" not in user.__dict__:
        user.__dict__["_gridgov_assignments"] = list(
            user.assignments.values_list("role", "node__path", "grants_special_groups")
        )
    assignments: list[tuple[str, str, bool]] = user.__dict__["_gridgov_assignments"]
    return assignments


def forget_scopes(user: Any) -> None:
    user.__dict__.pop("_gridgov_scopes", None)
    user.__dict__.pop("_gridgov_assignments", None)


def visible(
    queryset: models.QuerySet[M], user: Any, cap: str = Cap.VIEW, field: str = "path"
) -> models.QuerySet[M]:
    return queryset.filter(scope_of(user, cap).q(field))


def can(user: Any, cap: str, path: str) -> bool:
    return scope_of(user, cap).covers(path)


def deny(user: Any, message: str, obj: models.Model | None = None, **kwargs: Any) -> None:
    """Log a refused access (Action.DENIED); callers then raise PermissionDenied or Http404."""
    from gridgov.audit.services import record_denied

    record_denied(
        obj, message=message, user=user if getattr(user, "is_authenticated", False) else None, **kwargs
    )


def get_visible_or_404(
    queryset: models.QuerySet[M], user: Any, cap: str = Cap.VIEW, field: str = "path", **lookup: Any
) -> M:
    """Fetch one object inside the user's scope; outside it, log the attempt and answer 404.

    404 rather than 403 so an outsider cannot even learn that the object exists.
    """
    obj = visible(queryset, user, cap, field).filter(**lookup).first()
    if obj is not None:
        return obj
    outside = queryset.filter(**lookup).first()
    if outside is not None:
        deny(user, f"out of scope ({cap})", outside)
    raise Http404("not found")


def require(user: Any, cap: str, path: str, obj: models.Model | None = None) -> None:
    """Raise PermissionDenied (and log it) unless `user` has `cap` over `path`."""
    if not can(user, cap, path):
        deny(user, f"lacks {cap} on {path}", obj, path=path if obj is None else "")
        raise PermissionDenied(f"no permission: {cap}")
