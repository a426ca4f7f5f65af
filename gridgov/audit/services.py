"""The one place that writes the audit log."""

import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.core.context import current_actor

# Fields never copied into the log in clear (their change is recorded, not their value).
SECRET_FIELDS = {"password", "token_hash", "id_number_enc", "phone_enc", "last_login"}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def object_path(obj: Any) -> str:
    return str(getattr(obj, "path", "") or "")


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict[str, Any] | None = None,
    success: bool = True,
    message: str = "",
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    path: str = "",
    user: Any = None,
) -> AuditEntry:
    """Append one row to the audit chain, inside the caller's transaction if there is one.

    `user` overrides the context's actor (used at login, before the request has a user).
    """
    ctx = current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk or "")
        object_repr = object_repr or str(obj)[:200]
        path = path or object_path(obj)
    actor_id = ctx.user_id
    actor_name = ctx.username
    if user is not None:
        actor_id = user.pk if getattr(user, "pk", None) else None
        actor_name = getattr(user, "username", "") or actor_name
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_name=actor_name[:150],
            channel=ctx.channel,
            ip=ctx.ip,
            request_id=ctx.request_id,
            action=action,
            object_type=object_type,
            object_id=object_id[:64],
            object_repr=object_repr[:200],
            path=path,
            changes=_jsonable(changes or {}),
            success=success,
            message=message[:500],
            prev_hash=head.hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


def record_failure(action: str, obj: models.Model | None = None, *, message: str, **kwargs: Any) -> AuditEntry:
    """Log a write that was refused or failed; called outside the failed transaction."""
    return record(action, obj, success=False, message=message, **kwargs)


def record_denied(obj: models.Model | None = None, *, message: str, **kwargs: Any) -> AuditEntry:
    return record(Action.DENIED, obj, success=False, message=message, **kwargs)


def field_values(obj: models.Model) -> dict[str, Any]:
    """A model's concrete field values as they would appear in the log."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS:
            values[field.name] = "***"
            continue
        values[field.attname] = field.value_from_object(obj)
    return _jsonable(values)


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    before, after = before or {}, after or {}
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        if key in {"updated_at"}:
            continue
        if before.get(key) != after.get(key):
            changed[key] = [before.get(key), after.get(key)]
    return changed
