"""Break the glass: a reasoned, time-limited, audited, bounded widening of one's search scope.

A grid worker who must find someone outside their grid (a resident who moved away) states why
and names where to look (by default their community). Within their own township the grant opens
at once for two hours; anything wider (another township, the county, the city) is a request that
waits for a superior who manages staff over the requested area, who approves or refuses it with
a reason. Each person may ask at most `BREAK_GLASS_PER_DAY` times a day. Every step (request,
opening, decision, closing) and every search made under a grant is written to the audit log;
supervisors, approvers and the requester are notified.
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
from gridgov.core.errors import ConflictError, LimitReached
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.registry.models import BreakGlassGrant, GrantStatus
from gridgov.search.grants import (
    approvers_of,
    grants_supervised_by,
    may_decide,
    per_day,
    requests_today,
    supervisors_of,
    within_own_township,
)

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


def needs_approval(user: Any, node: Node) -> bool:
    """Wider than the user's own township: a superior must approve."""
    return not within_own_township(user, node.path)


def _clean_reason(reason: str, field: str = "reason") -> str:
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationError({field: f"请写明理由（至少 {MIN_REASON_LENGTH} 个字），例如要查找的人和原因"})
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationError({field: f"理由最多 {MAX_REASON_LENGTH} 个字"})
    return text


def open_break_glass(*, user: Any, reason: str, node: Node | None = None) -> BreakGlassGrant:
    """Ask to search `node`'s subtree for GRANT_HOURS with a stated reason: open at once within the
    user's own township, else a request waiting for a superior (status pending)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("login required")
    home = scope_of(user, Cap.VIEW_REGISTRY)
    if home.everything:
        raise ValidationError({"node": "您已可以检索全部范围，无需申请"})
    if home.empty:
        raise PermissionDenied("no role: cannot search")
    text = _clean_reason(reason)
    target = node or default_wider_node(user)
    if target is None:
        raise ValidationError({"node": "请选择要检索的范围"})
    if target.level == Level.BUILDING:
        raise ValidationError({"node": "请选择网格或更大的范围，而不是楼栋"})
    if home.covers(target.path):
        raise ValidationError({"node": f"{target.name} 已在您的权限范围内，直接检索即可"})
    limit = per_day()
    if requests_today(user) >= limit:
        raise LimitReached(
            f"今天已申请 {limit} 次越权查询，已达每日上限（每人每天 {limit} 次，设置项 BREAK_GLASS_PER_DAY），"
            "请明天再申请；确有急需请联系上级",
            limit=limit,
            setting="BREAK_GLASS_PER_DAY",
        )
    now = timezone.now()
    pending = needs_approval(user, target)
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=user,
            reason=text,
            path=target.path,
            county_code=target.county_code,
            status=GrantStatus.PENDING if pending else GrantStatus.APPROVED,
            expires_at=None if pending else now + datetime.timedelta(hours=GRANT_HOURS),
        )
        changes: dict[str, Any] = {
            "node": target.pk,
            "node_name": target.name,
            "reason": text,
            "status": grant.status,
        }
        if pending:
            record(
                Action.BREAK_GLASS,
                grant,
                user=user,
                changes=changes,
                message=f"break the glass: asked a superior to approve a search of {target.name}",
            )
            _notify_approvers(user, grant, target)
        else:
            changes["expires_at"] = grant.expires_at.isoformat() if grant.expires_at else None
            until = timezone.localtime(grant.expires_at) if grant.expires_at else now
            record(
                Action.BREAK_GLASS,
                grant,
                user=user,
                changes=changes,
                message=f"break the glass: search {target.name} until {until:%H:%M}",
            )
            _notify_supervisors(user, grant, target)
    forget_principal(user)
    return grant


def decide_break_glass(
    grant: BreakGlassGrant, *, user: Any, approve: bool, note: str = ""
) -> BreakGlassGrant:
    """A superior over the requested area approves (the grant opens for GRANT_HOURS from now) or
    refuses (a reason is required) a pending request; the requester is notified."""
    with transaction.atomic():
        grant = BreakGlassGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
        if grant.status != GrantStatus.PENDING:
            raise ConflictError(f"该申请{GrantStatus(grant.status).label}，不能再审批")
        if not may_decide(user, grant):
            raise PermissionDenied("只有所申请范围的上级管理员可以审批，申请人本人不能审批")
        text = " ".join((note or "").split())
        if not approve:
            text = _clean_reason(note, "note")
        elif len(text) > MAX_REASON_LENGTH:
            raise ValidationError({"note": f"审批意见最多 {MAX_REASON_LENGTH} 个字"})
        now = timezone.now()
        grant.status = GrantStatus.APPROVED if approve else GrantStatus.REFUSED
        grant.decided_by, grant.decided_at, grant.decision_note = user, now, text
        if approve:
            grant.expires_at = now + datetime.timedelta(hours=GRANT_HOURS)
        grant.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "expires_at"])
        record(
            Action.BREAK_GLASS,
            grant,
            user=user,
            changes={"status": grant.status, "note": text, "requester": grant.user.username},
            message=f"break the glass: request {'approved' if approve else 'refused'}",
        )
        who = getattr(user, "full_name", "") or user.username
        if approve and grant.expires_at:
            message = f"{who} 已批准您的越权查询申请，至 {timezone.localtime(grant.expires_at):%H:%M} 有效"
        else:
            message = f"{who} 未批准您的越权查询申请：{text}"
        notify([grant.user], message, subject=grant, url=reverse("search:break_glass"))
    forget_principal(grant.user)
    return grant


def close_break_glass(grant: BreakGlassGrant, *, user: Any) -> BreakGlassGrant:
    """End a grant early (its holder when done, or a supervisor who sees it); a pending request is
    withdrawn by its holder."""
    if (
        grant.user_id != getattr(user, "pk", None)
        and not grants_supervised_by(user).filter(pk=grant.pk).exists()
    ):
        raise PermissionDenied("not your grant")
    now = timezone.now()
    if grant.status == GrantStatus.PENDING:
        if grant.user_id != getattr(user, "pk", None):
            raise ConflictError("待审批的申请请用“批准”或“不批准”处理")
        with transaction.atomic():
            grant.status = GrantStatus.WITHDRAWN
            grant.save(update_fields=["status"])
            record(
                Action.BREAK_GLASS,
                grant,
                user=user,
                changes={"status": grant.status},
                message="break the glass: withdrawn",
            )
        return grant
    if grant.status != GrantStatus.APPROVED or grant.expires_at is None or grant.expires_at <= now:
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
    until = timezone.localtime(grant.expires_at) if grant.expires_at else timezone.localtime()
    message = f"{who} 申请越权查询 {target.name}（至 {until:%H:%M}）：{grant.reason}"
    notify(supervisors_of(user), message, subject=grant, url=reverse("search:grants"))


def _notify_approvers(user: Any, grant: BreakGlassGrant, target: Node) -> None:
    """The request goes to the superiors over the area; the requester's own supervisors are told."""
    who = getattr(user, "full_name", "") or user.username
    approvers = approvers_of(target.path, user)
    message = f"{who} 申请越权查询 {target.name}，超出本街道，需您审批：{grant.reason}"
    notify(approvers, message, subject=grant, url=reverse("search:grants"))
    ids = {a.pk for a in approvers}
    others = [s for s in supervisors_of(user) if s.pk not in ids]
    if others:
        notify(
            others,
            f"{who} 申请越权查询 {target.name}（待上级审批）：{grant.reason}",
            subject=grant,
            url=reverse("search:grants"),
        )
