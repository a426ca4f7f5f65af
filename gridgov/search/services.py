"""Break the glass: a reasoned, time-limited, audited widening of one's search scope.

A grid worker who must find someone outside their grid (a resident who moved away) states why
and names where to look (by default their community). For two hours their searches cover that
subtree too; the grant, and every search made under it, is written to the audit log, and the
community and township administrators above them are notified and see the grant in their list.
"""

import datetime
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import forget_principal, scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.registry.models import BreakGlassGrant
from gridgov.search.selectors import supervisors_of

GRANT_HOURS = 2
MIN_REASON_LENGTH = 5
MAX_REASON_LENGTH = 500


def _home_node(user: Any) -> Node | None:
    """The node where the user works (their first grid-level role's grid, else their first role's node)."""
    assignments = list(user.assignments.select_related("node").order_by("node__path"))
    grids = [a.node for a in assignments if a.node.level == Level.GRID]
    if grids:
        return cast(Node, grids[0])
    return assignments[0].node if assignments else None


def default_wider_node(user: Any) -> Node | None:
    """What "search wider" opens when the user names nothing: the community above their grid."""
    home = _home_node(user)
    if home is None:
        return None
    return home.parent if home.parent_id else home


def open_break_glass(*, user: Any, reason: str, node: Node | None = None) -> BreakGlassGrant:
    """Grant `user` search access to `node`'s subtree for GRANT_HOURS, with a stated reason."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("login required")
    home = scope_of(user, Cap.VIEW_REGISTRY)
    if home.everything:
        raise ValidationError({"node": "您已可以检索全部范围，无需申请"})
    if home.empty:
        raise PermissionDenied("no role: cannot search")
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": f"请写明理由（至少 {MIN_REASON_LENGTH} 个字），例如要查找的人和原因"}
        )
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": f"理由最多 {MAX_REASON_LENGTH} 个字"})
    target = node or default_wider_node(user)
    if target is None:
        raise ValidationError({"node": "请选择要检索的范围"})
    if target.level == Level.BUILDING:
        raise ValidationError({"node": "请选择网格或更大的范围，而不是楼栋"})
    if home.covers(target.path):
        raise ValidationError({"node": f"{target.name} 已在您的权限范围内，直接检索即可"})
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=user,
            reason=text,
            path=target.path,
            county_code=target.county_code,
            expires_at=now + datetime.timedelta(hours=GRANT_HOURS),
        )
        record(
            Action.BREAK_GLASS,
            grant,
            user=user,
            changes={
                "node": target.pk,
                "node_name": target.name,
                "reason": text,
                "expires_at": grant.expires_at.isoformat(),
            },
            message=f"break the glass: search {target.name} until {timezone.localtime(grant.expires_at):%H:%M}",
        )
        _notify_supervisors(user, grant, target)
    forget_principal(user)
    return grant


def close_break_glass(grant: BreakGlassGrant, *, user: Any) -> BreakGlassGrant:
    """End a grant early: its holder when done, or a supervisor who sees it."""
    from gridgov.search.selectors import grants_supervised_by

    if (
        grant.user_id != getattr(user, "pk", None)
        and not grants_supervised_by(user).filter(pk=grant.pk).exists()
    ):
        raise PermissionDenied("not your grant")
    now = timezone.now()
    if grant.expires_at <= now:
        return grant
    with transaction.atomic():
        grant.expires_at = now
        grant.save(update_fields=["expires_at"])
        record(
            Action.BREAK_GLASS,
            grant,
            user=user,
            changes={"closed": True},
            message="break the glass: closed early",
        )
    return grant


def _notify_supervisors(user: Any, grant: BreakGlassGrant, target: Node) -> None:
    who = getattr(user, "full_name", "") or user.username
    until = timezone.localtime(grant.expires_at)
    message = f"{who} 申请越权查询 {target.name}（至 {until:%H:%M}）：{grant.reason}"
    notify(supervisors_of(user), message, subject=grant, url=reverse("search:grants"))
