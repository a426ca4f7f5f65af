"""The one place that writes the audit log."""

import contextlib
import functools
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.core import inputs
from gridgov.core.context import current_actor
from gridgov.hierarchy import paths

# Fields never copied into the log: they appear as "***" (set or not), so a save that only
# replaces one secret value with another logs no change. Password and key hashes, and every
# encrypted (`*_enc`) field — ID numbers and phones (registry, dispute parties) and the Open311
# submitter's contact; tests/audit/test_services.py checks that every BinaryField and `*_enc`
# field of every model is listed.
SECRET_FIELDS = {
    "password",
    "token_hash",
    "key_hash",
    "id_number_enc",
    "phone_enc",
    "contact_enc",
    "last_login",
}


def _jsonable(value: Any) -> Any:
    # A refused input is logged with what was refused in it (a field named with a NUL): escaped.
    return inputs.storable(json.loads(json.dumps(value, ensure_ascii=False, default=str)))


def object_path(obj: Any) -> str:
    """Where an object lives in the hierarchy, so that auditors of that subtree see its rows.

    A user (or a user's token) lives where their role assignments are: the deepest node
    covering all of them.
    """
    path = getattr(obj, "path", None)
    if isinstance(path, str):
        return path
    user = obj if hasattr(obj, "assignments") else getattr(obj, "user", None)
    if user is not None and getattr(user, "pk", None) and hasattr(user, "assignments"):
        return paths.common_ancestor(list(user.assignments.values_list("node__path", flat=True)))
    return ""


def _normalized_ip(ip: str | None) -> str | None:
    """The form the database gives back (so the row hashes the same after a round trip); junk → None."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


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
    A row with no place of its own (a system command, a failed login of an unknown name)
    belongs to the whole city, so the city's auditors see it.

    Inside `appended_together()` the row is only prepared; it gets its `seq` and hash when the
    block ends.
    """
    ctx = current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk or "")
        object_repr = object_repr or str(obj)[:200]
        path = path or object_path(obj)
    path = path or settings.GRIDGOV_CITY_CODE
    actor_id = ctx.user_id
    actor_name = ctx.username
    if user is not None:
        actor_id = user.pk if getattr(user, "pk", None) else None
        actor_name = getattr(user, "username", "") or actor_name
    entry = AuditEntry(
        actor_id=actor_id,
        actor_name=inputs.printable(actor_name)[:150],
        channel=ctx.channel,
        ip=_normalized_ip(ctx.ip),
        request_id=ctx.request_id,
        action=action,
        object_type=object_type,
        object_id=inputs.printable(object_id)[:64],
        object_repr=inputs.printable(object_repr)[:200],
        path=path,
        changes=_jsonable(changes or {}),
        success=success,
        message=inputs.printable(message)[:500],
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(entry)
    else:
        _append([entry])
    return entry


# Rows prepared inside `appended_together()`, appended to the chain when it ends.
_pending: ContextVar[list[AuditEntry] | None] = ContextVar("gridgov_audit_pending", default=None)


@contextlib.contextmanager
def appended_together() -> Iterator[None]:
    """Append the audit rows written inside the block to the chain together, at its end.

    Use it as the last thing inside a transaction that writes several audited rows (an event
    with its first step): every append locks the chain head until COMMIT, so appending at the
    end holds that lock (which every writer of the city waits for on PostgreSQL) only for the
    final statements, and the rows go in with one INSERT. If the block raises, its rows are
    dropped with the transaction they belonged to. Nested blocks join the outermost one.
    """
    if _pending.get() is not None:
        yield
        return
    rows: list[AuditEntry] = []
    token = _pending.set(rows)
    try:
        yield
    finally:
        _pending.reset(token)
    if rows:
        _append(rows)


def _append(entries: list[AuditEntry]) -> None:
    """Chain `entries` behind the head and insert them, in the caller's transaction.

    Joins the caller's transaction without a savepoint: if this append fails, the write it logs
    must fail with it. Locking the head row orders concurrent appends (gap-free seq).
    """
    with transaction.atomic(savepoint=False):
        head = ChainHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash").first()
        if head is None:  # an empty database (the migration creates the row; a flush removes it)
            created, _ = ChainHead.objects.get_or_create(pk=1)
            head = (created.seq, created.hash)
        now = timezone.now()
        seq, prev_hash = head
        for entry in entries:
            seq += 1
            entry.seq, entry.at, entry.prev_hash = seq, now, prev_hash
            entry.hash = prev_hash = entry.compute_hash()
        AuditEntry.objects.append(entries)
        ChainHead.objects.filter(pk=1).update(seq=seq, hash=prev_hash)
    failures = current_actor().failures
    failures.extend(entry.seq for entry in entries if not entry.success)


def record_created(objects: Iterable[models.Model], *, message: str = "") -> int:
    """One CREATE row per row a bulk insert wrote, with its values: the rows the model signal
    logs for a `create()`, which a bulk insert does not send. Appended together."""
    count = 0
    with appended_together():
        for obj in objects:
            record(Action.CREATE, obj, changes=diff(None, field_values(obj)), message=message)
            count += 1
    return count


def record_rows(
    action: str,
    object_type: str,
    rows: Iterable[tuple[Any, str, str, dict[str, Any]]],
    *,
    message: str = "",
    user: Any = None,
) -> int:
    """One row per record written without model instances (raw multi-row INSERTs of an import):
    (object id, description, hierarchy path, changes) each. Appended together."""
    count = 0
    with appended_together():
        for object_id, object_repr, path, changes in rows:
            record(
                action,
                object_type=object_type,
                object_id=str(object_id),
                object_repr=object_repr,
                path=path,
                changes=changes,
                message=message,
                user=user,
            )
            count += 1
    return count


def record_failure(
    action: str, obj: models.Model | None = None, *, message: str, **kwargs: Any
) -> AuditEntry:
    """Log a write that was refused or failed; called outside the failed transaction."""
    return record(action, obj, success=False, message=message, **kwargs)


def failure_logged(since: int = 0) -> bool:
    """Whether an unsuccessful row (denied, failed) of the current request or command is in the log
    (only those logged after the first `since` of them, for one call among several).

    A row written inside a transaction that then rolled back is gone again, as with a refusal
    inside an atomic service; the caller then logs the failure itself, outside the transaction.
    """
    ctx = current_actor()
    recent = ctx.failures[since:]
    if not recent:
        return False
    return AuditEntry.objects.filter(seq__in=recent, request_id=ctx.request_id, success=False).exists()


F = TypeVar("F", bound=Callable[..., Any])


def _target(args: tuple[Any, ...], kwargs: dict[str, Any]) -> models.Model | None:
    """The object a service call is about: its first model argument other than the acting user."""
    candidates = [*args, *(value for key, value in kwargs.items() if key != "user")]
    return next((value for value in candidates if isinstance(value, models.Model)), None)


def logs_failures(action: str) -> Callable[[F], F]:
    """Decorate a write service so that a ValidationError it raises is logged as a failed write,
    and a PermissionDenied as a denied access.

    Put it outside `@transaction.atomic`: the failure row is written after the service's own
    transaction has rolled back, so the row survives whichever door the call came through (a
    page that re-renders its form, the API, a command). Refusals for lack of permission are
    already logged as DENIED by the scope helpers. Messages are logged, submitted values are not.
    """

    def decorate(service: F) -> F:
        @functools.wraps(service)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # The acting user the service was called for (`user=`) is the row's actor.
            user = kwargs.get("user")
            actor = user if getattr(user, "is_authenticated", False) else None
            logged_before = len(current_actor().failures)
            try:
                return service(*args, **kwargs)
            except PermissionDenied as exc:
                # The scope helper logged the refusal, but inside the service's transaction.
                if not failure_logged(logged_before):
                    record_denied(_target(args, kwargs), message=f"{service.__name__}: {exc}", user=actor)
                raise
            except ValidationError as exc:
                target = _target(args, kwargs)
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                record_failure(
                    action,
                    target,
                    changes={"errors": errors},
                    object_repr=f"{service.__name__}: {target}" if target is not None else service.__name__,
                    message=f"{service.__name__} refused: {'; '.join(exc.messages)}",
                    user=actor,
                )
                raise

        return cast(F, wrapper)

    return decorate


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
    return cast(dict[str, Any], _jsonable(values))


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    before, after = before or {}, after or {}
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        if key in {"updated_at"}:
            continue
        if before.get(key) != after.get(key):
            changed[key] = [before.get(key), after.get(key)]
    return changed
