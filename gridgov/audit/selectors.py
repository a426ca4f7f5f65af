"""Reads of the audit log for auditors: only the rows of their own subtree (VIEW_AUDIT)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import deny, get_visible_or_404, scope_of
from gridgov.audit.models import AuditEntry
from gridgov.hierarchy.models import Level
from gridgov.hierarchy.paths import CODE_LENGTH

PAGE_SIZE = 50


def can_view_audit(user: Any) -> bool:
    return not scope_of(user, Cap.VIEW_AUDIT).empty


def is_city_auditor(user: Any) -> bool:
    """City-level auditors also see rows that belong to no place (logins of unknown names…)."""
    scope = scope_of(user, Cap.VIEW_AUDIT)
    return scope.everything or any(len(root) == CODE_LENGTH[Level.CITY] for root in scope.roots)


def entries_for(user: Any) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.all().restrict(user, Cap.VIEW_AUDIT)
    if is_city_auditor(user):
        entries = entries | AuditEntry.objects.filter(path="")
    return entries


def require_auditor(user: Any) -> None:
    if not can_view_audit(user):
        deny(user, f"lacks {Cap.VIEW_AUDIT}: audit log", object_type="audit.auditentry")
        raise PermissionDenied("no permission: view_audit")


def get_entry_or_404(user: Any, auditentry_id: int) -> AuditEntry:
    entry = entries_for(user).filter(pk=auditentry_id).first()
    if entry is not None:
        return entry
    # Not in the auditor's subtree: the scope helper logs the attempt and answers 404.
    return get_visible_or_404(AuditEntry.objects.all(), user, Cap.VIEW_AUDIT, pk=auditentry_id)


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    success: bool | None = None
    actor_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_entries(entries: QuerySet[AuditEntry], f: AuditFilter) -> QuerySet[AuditEntry]:
    if f.action:
        entries = entries.filter(action=f.action)
    if f.actor:
        entries = entries.filter(actor_name=f.actor)
    if f.object_type:
        entries = entries.filter(object_type=f.object_type)
    if f.object_id:
        entries = entries.filter(object_id=f.object_id)
    if f.date_from:
        entries = entries.filter(at__gte=_start_of(f.date_from))
    if f.date_to:
        entries = entries.filter(at__lt=_start_of(f.date_to + timedelta(days=1)))
    if f.success is not None:
        entries = entries.filter(success=f.success)
    if f.actor_id is not None:
        entries = entries.filter(actor_id=f.actor_id)
    if f.since is not None:
        entries = entries.filter(at__gte=f.since)
    if f.until is not None:
        entries = entries.filter(at__lt=f.until)
    return entries


def page_of(
    entries: QuerySet[AuditEntry], before: int | None = None, size: int | None = None
) -> tuple[list[AuditEntry], int | None]:
    """One page, newest first, by sequence number (keyset: no COUNT over a log of millions).

    Returns the rows and the `before` value of the next (older) page, if there is one.
    """
    size = size or PAGE_SIZE
    if before is not None:
        entries = entries.filter(seq__lt=before)
    rows = list(entries.order_by("-seq")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].seq if more and rows else None)
