"""Reads of accounts, always through the user's scope.

A person has no place of their own: they are where their role assignments are. Someone in
scope is someone holding a role on a node in scope.
"""

from typing import Any, cast

from django.db.models import QuerySet

from gridgov.accounts.models import Device, RoleAssignment, User
from gridgov.accounts.roles import ROLE_LEVELS, Cap, Role
from gridgov.accounts.scope import can, scope_of
from gridgov.hierarchy.models import Node


def users_for(user: Any, cap: str = Cap.VIEW) -> QuerySet[User]:
    return cast(QuerySet[User], User.objects.restrict(user, cap))


def assignments_for(user: Any, cap: str = Cap.VIEW) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.select_related("user", "node").restrict(user, cap)


def assignments_at(node: Node) -> list[RoleAssignment]:
    """Role assignments held on `node` itself (the caller has fetched `node` through the scope)."""
    order = {role: i for i, role in enumerate(Role.values)}
    return sorted(
        node.assignments.select_related("user"), key=lambda a: (order.get(a.role, 99), a.created_at, a.pk)
    )


def roles_for_level(level: str) -> list[tuple[str, str]]:
    return [(role, str(label)) for role, label in Role.choices if level in ROLE_LEVELS[role]]


def user_named(username: str) -> User | None:
    """The account with this username (any case). A manager names an existing person to give them
    a post in the manager's area; `services.assign_role` decides whether that is allowed."""
    return cast(User | None, User.objects.filter(username__iexact=username.strip()).first())


def own_device(user: Any, device_id: int) -> Device | None:
    """One of the user's own phones (everyone may end their own)."""
    return Device.objects.select_related("user").filter(pk=device_id, user__pk=user.pk or 0).first()


def can_manage_person(viewer: Any, person: User) -> bool:
    """Whether `viewer` may enable/disable `person`: every one of their posts is in scope."""
    if getattr(viewer, "is_superuser", False):
        return True
    paths = list(person.assignments.values_list("node__path", flat=True))
    return bool(paths) and all(can(viewer, Cap.MANAGE_STAFF, path) for path in paths)


def area_path(user: Any, node_id: int | None) -> str:
    """Where an action on an area belongs in the audit log: the node filtered on (already checked
    against the user's scope by the caller), else the user's own single root, else the city."""
    if node_id is not None:
        path = Node.objects.filter(pk=node_id).values_list("path", flat=True).first()
        if path:
            return path
    roots = scope_of(user).roots
    return roots[0] if len(roots) == 1 else ""


def city_settings_access(user: Any) -> str:
    """What a user may do with the city's settings (the ten duties, the care rules): "edit" for
    city administrators, "view" for county administrators (the settings are the city's: a
    county reads what it works by), "" for everyone else."""
    from django.conf import settings

    from gridgov.accounts.scope import principal_of

    if can(user, Cap.MANAGE_HIERARCHY, settings.GRIDGOV_CITY_CODE):
        return "edit"
    if any(a.role in (Role.CITY_ADMIN, Role.COUNTY_ADMIN) for a in principal_of(user).assignments):
        return "view"
    return ""
