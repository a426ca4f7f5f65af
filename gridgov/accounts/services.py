"""Writes to accounts: users, role assignments (with the 1+1+1+N staffing rules), API tokens."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from gridgov.accounts.models import ApiToken, RoleAssignment, User
from gridgov.accounts.roles import ROLE_LEVELS, SINGLE_PER_GRID, Cap, Role
from gridgov.accounts.scope import deny, forget_principal, require, scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.hierarchy.models import Level, Node

_ROLE_NAMES = dict(Role.choices)
_LEVEL_NAMES = dict(Level.choices)


@logs_failures(Action.CREATE)
@transaction.atomic
def create_user(
    *, user: Any, username: str, password: str, full_name: str = "", validate: bool = True
) -> User:
    if not getattr(user, "is_superuser", False) and scope_of(user, Cap.MANAGE_STAFF).empty:
        deny(user, "lacks manage_staff anywhere: cannot create accounts")
        raise PermissionDenied("没有创建账号的权限")
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "账号不能为空"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"账号 {username} 已存在"})
    new = User(username=username, full_name=full_name)
    if validate:
        try:
            validate_password(password, new)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    new.set_password(password)
    new.save()
    return new


def single_role_holder(node: Node, role: str) -> RoleAssignment | None:
    return RoleAssignment.objects.filter(node=node, role=role).select_related("user").first()


@logs_failures(Action.CREATE)
def assign_role(
    *,
    user: Any,
    person: User,
    role: str,
    node: Node,
    grants_special_groups: bool = False,
    check_scope: bool = True,
) -> RoleAssignment:
    """Give `person` a role on `node`; refuse a second chief/instructor/full-time worker on a grid."""
    if role not in Role.values:
        raise ValidationError({"role": f"未知角色 {role!r}"})
    if node.level not in ROLE_LEVELS[role]:
        allowed = "、".join(str(_LEVEL_NAMES[level]) for level in sorted(ROLE_LEVELS[role]))
        raise ValidationError(
            {"node": f"{_ROLE_NAMES[role]}只能分配在{allowed}上，{node.name} 是{_LEVEL_NAMES[node.level]}"}
        )
    if check_scope:
        require(user, Cap.MANAGE_STAFF, node.path, node)
        # Separation of duties: the administrators an auditor watches do not choose the auditor.
        if role == Role.AUDITOR and not getattr(user, "is_superuser", False):
            deny(user, "only a system administrator appoints auditors", node)
            raise PermissionDenied("只有系统管理员可以任命审计员")
    if role in SINGLE_PER_GRID:
        holder = single_role_holder(node, role)
        if holder is not None and holder.user_id != person.pk:
            raise ValidationError(
                {
                    "role": f"{node.name} 已有{_ROLE_NAMES[role]}（{holder.user.full_name or holder.user.username}），"
                    "每个网格只能有一名；请先撤销原任命"
                }
            )
    try:
        with transaction.atomic():
            assignment, _ = RoleAssignment.objects.get_or_create(
                user=person, role=role, node=node, defaults={"grants_special_groups": grants_special_groups}
            )
    except IntegrityError:
        # Lost a race with another assignment of the same single role.
        raise ValidationError({"role": f"{node.name} 已有{_ROLE_NAMES[role]}，每个网格只能有一名"}) from None
    forget_principal(person)
    return assignment


def revoke_role(*, user: Any, assignment: RoleAssignment) -> None:
    require(user, Cap.MANAGE_STAFF, assignment.node.path, assignment.node)
    assignment.delete()
    forget_principal(assignment.user)


@logs_failures(Action.UPDATE)
def set_active(*, user: Any, person: User, active: bool) -> User:
    """Enable or disable an account; disabling ends its sessions and tokens (accounts.signals)."""
    paths = list(person.assignments.values_list("node__path", flat=True))
    for path in paths:
        require(user, Cap.MANAGE_STAFF, path)
    if not paths and not getattr(user, "is_superuser", False):
        raise ValidationError({"user": "该账号没有任何任命，只有系统管理员可以修改"})
    person.is_active = active
    person.save(update_fields=["is_active"])
    return person


def issue_token(person: User, label: str = "") -> tuple[ApiToken, str]:
    """A login through the API: logged as one, so auditors see phone and browser logins together."""
    token, raw = ApiToken.issue(person, label)
    record(
        Action.LOGIN,
        person,
        user=person,
        changes={"api_token": [None, f"{token.prefix}…"]},
        message=f"API token {token.prefix}… issued, expires {token.expires_at:%Y-%m-%d %H:%M}",
    )
    return token, raw


def revoke_token(token: ApiToken) -> None:
    token.revoke()
    record(Action.UPDATE, token, changes={"revoked_at": [None, str(token.revoked_at)]}, user=token.user)
