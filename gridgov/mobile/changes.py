"""Writing the change log (see gridgov.mobile.models): one row per change of a synced record, in
the transaction that makes the change.

Model saves and deletes are caught by signals (wired in `connect`). Writes that bypass signals
call the functions here themselves: `log_rows` after a bulk insert (Excel import), and the
hierarchy's move sends `subtree_moved`, logged as one "subtree" row that makes every phone whose
grid it touches sync afresh (paths below a moved node were rewritten in place).
"""

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone

from gridgov.mobile import kinds
from gridgov.mobile.models import SyncChange

SUBTREE = "subtree"
Row = tuple[str, int, str, str, int | None]

# Rows logged inside `logged_together()`, inserted together when it ends.
_pending: ContextVar[list[Row] | None] = ContextVar("gridgov_sync_pending", default=None)


@contextlib.contextmanager
def logged_together() -> Iterator[None]:
    """Insert the change rows logged inside the block with one statement at its end (writers of
    many records at once, e.g. the events' batch writer sending post_save for a bulk insert).
    Use it inside the transaction of the writes; nested blocks join the outermost one."""
    if _pending.get() is not None:
        yield
        return
    rows: list[Row] = []
    token = _pending.set(rows)
    try:
        yield
    finally:
        _pending.reset(token)
    _insert(rows)


def _insert(rows: list[Row]) -> None:
    """(kind, object id, path, old path, user id) rows, stamped with this transaction's id on
    PostgreSQL (see the models' docstring: what makes the cursor safe there)."""
    if not rows:
        return
    pending = _pending.get()
    if pending is not None:
        pending.extend(rows)
        return
    table = connection.ops.quote_name(SyncChange._meta.db_table)
    txid = "pg_current_xact_id()::text::bigint" if connection.vendor == "postgresql" else "0"
    now = "CURRENT_TIMESTAMP"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (txid, kind, object_id, path, old_path, user_id, at) "  # noqa: S608
            f"VALUES ({txid}, %s, %s, %s, %s, %s, {now})",
            rows,
        )


def log(kind: str, object_id: int, path: str, old_path: str = "", user_id: int | None = None) -> None:
    _insert([(kind, object_id, path or "", old_path if old_path != path else "", user_id)])


def log_rows(kind: str, rows: Iterable[tuple[int, str]]) -> None:
    """Log records written without model signals (bulk inserts): (id, path) pairs."""
    _insert([(kind, pk, path, "", None) for pk, path in rows])


def log_created(instances: Iterable[Any]) -> None:
    """Log records written by a bulk insert (which sends no signal): the events intake calls it
    through `gridgov.events.hooks` for every batch of reported events."""
    with logged_together():
        for instance in instances:
            for kind in kinds.kinds_of_model(type(instance)):
                if kind.logged(instance):
                    log(kind.name, instance.pk, instance.path)


def log_subtree_move(old_path: str, new_path: str) -> None:
    log(SUBTREE, 0, new_path, old_path)


def prune(now: datetime | None = None) -> int:
    """Drop changes older than SYNC_CHANGE_RETENTION_DAYS (the worker, each pass); a phone whose
    cursor is that old is told to start again from a snapshot (gridgov.mobile.sync)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SYNC_CHANGE_RETENTION_DAYS)
    deleted, _ = SyncChange.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- signals ------------------------------------------------------------------------------------


def _before_save(sender: type[models.Model], instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Remember where the record was, when the save may move it."""
    if raw or instance._state.adding or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "path" not in update_fields:
        instance._sync_old_path = instance.path
        return
    instance._sync_old_path = (
        sender._default_manager.filter(pk=instance.pk).values_list("path", flat=True).first() or ""
    )


def _after_save(
    sender: type[models.Model], instance: Any, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    for kind in kinds.kinds_of_model(sender):
        if kind.logged(instance):
            log(kind.name, instance.pk, instance.path, getattr(instance, "_sync_old_path", ""))
    # A record just made has nothing following it yet.
    if not (created and kinds.kinds_of_model(sender)):
        _followers(sender, instance)


def _after_delete(sender: type[models.Model], instance: Any, **_: Any) -> None:
    for kind in kinds.kinds_of_model(sender):
        if kind.logged(instance):
            log(kind.name, instance.pk, instance.path)
    _followers(sender, instance)


def _followers(sender: type[models.Model], instance: Any) -> None:
    for kind, follower in kinds.followed_by(sender):
        record_id = follower.record_id(instance)
        if record_id is None:
            continue
        record = kind.model._default_manager.filter(pk=record_id).values_list("path", flat=True).first()
        if record is not None:
            log(kind.name, record_id, record, user_id=follower.person_id(instance))


def _subtree_moved(sender: Any, old_path: str, new_path: str, **_: Any) -> None:
    log_subtree_move(old_path, new_path)


def connect() -> None:
    from gridgov.hierarchy.signals import subtree_moved

    models_seen: set[type[models.Model]] = set()
    for kind in kinds.all_kinds():
        models_seen.add(kind.model)
        models_seen.update(f.model for f in kind.followers)
    for model in models_seen:
        uid = f"sync_{model._meta.label_lower}"
        if kinds.kinds_of_model(model):
            pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}_pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}_post")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}_delete")
    subtree_moved.connect(_subtree_moved, dispatch_uid="sync_subtree_moved")
