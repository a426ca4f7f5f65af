"""Writes of the overview: display links for the big screen (made and revoked by officials of the
node) and monthly reports asked for on demand. Every write is audited."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.core.crypto import derived_key
from gridgov.hierarchy.models import Level, Node
from gridgov.overview.models import DisplayLink, MonthlyReport, ReportStatus
from gridgov.overview.period import MAX_DAYS

TOKEN_PURPOSE = b"gridgov display link v1"
MAX_NAME = 100


def token_hash(token: str) -> str:
    """The keyed hash stored for a display link's token (the token itself is never stored)."""
    return hmac.new(derived_key(TOKEN_PURPOSE), token.encode("utf-8"), hashlib.sha256).hexdigest()


@logs_failures(Action.CREATE)
@transaction.atomic
def create_display_link(*, user: Any, node: Node, name: str) -> tuple[DisplayLink, str]:
    """A read-only link to `node`'s big screen; returns (link, token). The token is shown once."""
    require(user, Cap.HANDLE_EVENT, node.path, node)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写名称，例如“赛罕区综治中心大屏”"})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"名称最多 {MAX_NAME} 个字"})
    if node.level == Level.BUILDING:
        raise ValidationError({"node": "请选择网格或更大的区域"})
    token = secrets.token_urlsafe(32)
    link = DisplayLink.objects.create(
        node=node,
        name=name,
        token_hash=token_hash(token),
        created_by=user,
        path=node.path,
        county_code=node.county_code,
    )
    record(Action.CREATE, link, user=user, message=f"display link for {node.name}: {name}")
    return link, token


@logs_failures(Action.UPDATE)
@transaction.atomic
def revoke_display_link(*, user: Any, link: DisplayLink) -> DisplayLink:
    require(user, Cap.HANDLE_EVENT, link.path, link)
    if link.revoked_at is not None:
        return link
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    record(
        Action.UPDATE,
        link,
        user=user,
        changes={"revoked_at": [None, link.revoked_at.isoformat()]},
        message="display link revoked",
    )
    return link


def link_for_token(token: str) -> DisplayLink | None:
    """The live link with this token (None: unknown or revoked); notes when it was last seen."""
    if not token or len(token) > 100:
        return None
    link = (
        DisplayLink.objects.select_related("node")
        .defer("node__boundary")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if link is None:
        return None
    now = timezone.now()
    if link.last_seen_at is None or now - link.last_seen_at > datetime.timedelta(minutes=5):
        # A bookkeeping stamp (not audited per view: a wall refreshes every 30 s).
        DisplayLink.objects.filter(pk=link.pk).update(last_seen_at=now)
    return link


@logs_failures(Action.CREATE)
@transaction.atomic
def request_report(*, user: Any, node: Node, start: datetime.date, end: datetime.date) -> MonthlyReport:
    """Queue a report of `node` for [start, end] (the worker builds it); the same one waiting or
    built is returned instead of a second."""
    require(user, Cap.HANDLE_EVENT, node.path, node)
    if end < start:
        raise ValidationError({"end": "结束日期不能早于开始日期"})
    if (end - start).days > MAX_DAYS:
        raise ValidationError({"end": f"报告周期最长 {MAX_DAYS} 天"})
    if end > timezone.localdate():
        raise ValidationError({"end": "结束日期不能晚于今天"})
    existing = (
        MonthlyReport.objects.filter(node=node, start=start, end=end)
        .exclude(status=ReportStatus.FAILED)
        .first()
    )
    if existing is not None:
        return existing
    report = MonthlyReport.objects.create(
        node=node, start=start, end=end, requested_by=user, path=node.path, county_code=node.county_code
    )
    record(Action.CREATE, report, user=user, message=f"report of {node.name} {start}–{end} requested")
    return report


def check_report_access(user: Any, report: MonthlyReport) -> None:
    if report.status != ReportStatus.DONE:
        raise PermissionDenied("not built yet")
