"""The audit log over /api/v1/audit, for auditors only (VIEW_AUDIT) and only their subtree's rows:
read-only, filtered by object, actor, action and time, newest first, paged by sequence number."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from gridgov.audit import selectors
from gridgov.audit.models import Action, AuditEntry
from gridgov.core.labels import channel_label, model_label

router = Router(tags=["audit"])

MAX_SEQ = 2**63 - 1


class AuditFilterIn(Schema):
    object_type: str = Field("", max_length=64, description="e.g. registry.resident")
    object_id: str = Field("", max_length=64)
    actor: str = Field("", max_length=150, description="the actor's username")
    actor_id: int | None = Field(None, ge=1, le=MAX_SEQ)
    action: Action | None = None
    success: bool | None = None
    since: datetime | None = Field(None, description="rows at or after this time (ISO 8601)")
    until: datetime | None = Field(None, description="rows before this time (ISO 8601)")


class AuditPage(Schema):
    """Keyset paging: a log of millions is never counted or skipped through."""

    limit: int = Field(50, ge=1, le=200, description="rows in this page (1–200)")
    before: int | None = Field(None, ge=1, le=MAX_SEQ, description="`next_before` of the previous page")


class EntryOut(Schema):
    id: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str
    channel: str
    channel_label: str
    ip: str | None
    request_id: str
    action: str
    action_label: str
    object_type: str
    object_type_label: str
    object_id: str
    object_repr: str
    path: str
    success: bool
    message: str
    changes: dict[str, Any]


class EntryDetailOut(EntryOut):
    prev_hash: str
    hash: str


class EntryPageOut(Schema):
    items: list[EntryOut]
    next_before: int | None = Field(description="pass as `before` for the next (older) page")


def entry_out(entry: AuditEntry) -> dict[str, Any]:
    return {
        **{name: getattr(entry, name) for name in EntryDetailOut.model_fields if hasattr(entry, name)},
        "channel_label": channel_label(entry.channel),
        "action_label": entry.get_action_display(),
        "object_type_label": model_label(entry.object_type),
    }


@router.get("/audit/entries", response=EntryPageOut)
def list_entries(
    request: HttpRequest, filters: Query[AuditFilterIn], page: Query[AuditPage]
) -> dict[str, Any]:
    """Rows of the auditor's subtree (a city auditor also sees rows of no place), newest first."""
    selectors.require_auditor(request.user)
    wanted = selectors.AuditFilter(
        action=filters.action or "",
        actor=filters.actor.strip(),
        actor_id=filters.actor_id,
        object_type=filters.object_type.strip(),
        object_id=filters.object_id.strip(),
        success=filters.success,
        since=filters.since,
        until=filters.until,
    )
    entries = selectors.filter_entries(selectors.entries_for(request.user), wanted)
    rows, next_before = selectors.page_of(entries, page.before, page.limit)
    return {"items": [entry_out(e) for e in rows], "next_before": next_before}


@router.get("/audit/entries/{auditentry_id}", response=EntryDetailOut)
def get_entry(request: HttpRequest, auditentry_id: int) -> dict[str, Any]:
    """One row with its place in the hash chain; 404 outside the auditor's subtree (and for
    anyone who is no auditor, as on the page)."""
    return entry_out(selectors.get_entry_or_404(request.user, auditentry_id))
