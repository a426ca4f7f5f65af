"""The app's delta sync: `page(user, since)` answers `GET /api/v1/sync?since=<cursor>`.

Without a cursor the phone gets a snapshot of its grids, kind by kind in id order, a page at a
time; the cursor then carries the snapshot's progress and the change-log position taken before
the snapshot began. Once the snapshot is sent, the phone gets the change-log rows after that
position (gridgov.mobile.models explains why the position is safe under concurrent writes): for
each record named, its current state if it is still among what the phone may hold, otherwise a
tombstone (`removed`: deleted, moved out of the grid, closed, no longer visible to the person).
A record written during the snapshot may be sent twice; the phone applies records by id.

The cursor is signed (a forged or damaged one is a 400) and names the person and a fingerprint
of their grids: a phone whose grids changed (a role given or withdrawn, a grid moved), or whose
cursor is older than the change log keeps, gets `reset: true` and starts again from a snapshot.
"""

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from gridgov.accounts.models import User
from gridgov.mobile import kinds
from gridgov.mobile.changes import SUBTREE
from gridgov.mobile.models import SyncChange

PAGE = 500
_SALT = "gridgov.mobile.sync"
_MAX_POSITION = (1 << 63) - 1


class NothingToSync(Exception):
    """The person holds no app role on any grid (any more): the phone must erase what it holds."""


@dataclass
class Cursor:
    user: int
    scope: str
    txid: int
    id: int
    issued: float
    kind: int = -1  # snapshot: index of the kind being sent; -1 once the snapshot is done
    after: int = 0  # snapshot: last id sent of that kind

    def encode(self) -> str:
        return signing.dumps(
            [self.user, self.scope, self.txid, self.id, round(self.issued), self.kind, self.after],
            salt=_SALT,
            compress=True,
        )

    @classmethod
    def decode(cls, raw: str) -> "Cursor":
        try:
            user, scope, txid, pk, issued, kind, after = signing.loads(raw, salt=_SALT)
            cursor = cls(int(user), str(scope), int(txid), int(pk), float(issued), int(kind), int(after))
        except (signing.BadSignature, ValueError, TypeError):
            raise ValidationError({"since": "同步游标无效：请不带 since 重新开始同步"}) from None
        return cursor


# The form of the records sent. Raised when a kind's records gain something phones need (2: the
# residents' name readings for offline search): every phone's cursor then resets to a snapshot.
RECORDS_FORMAT = 2


def fingerprint(user: User, roots: tuple[str, ...]) -> str:
    return hashlib.sha256(f"{RECORDS_FORMAT}|{user.pk}|{'|'.join(roots)}".encode()).hexdigest()[:16]


def _pg_horizon() -> tuple[int, int | None]:
    """PostgreSQL: the oldest running transaction's id, and this transaction's (if it wrote)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint, "
            "pg_current_xact_id_if_assigned()::text::bigint"
        )
        xmin, own = cursor.fetchone()
    return int(xmin), (int(own) if own is not None else None)


def _head() -> tuple[int, int]:
    """The log position before which every change is visible now and nothing can still appear.

    SQLite: the last id (commit order is id order). PostgreSQL: just below the oldest running
    transaction (`pg_snapshot_xmin`): every transaction before it has finished."""
    if connection.vendor == "postgresql":
        xmin, own = _pg_horizon()
        if own is not None and own >= xmin:
            # This transaction's own rows are visible to it (see _visible_bound): past those so far.
            last = SyncChange.objects.filter(txid=own).order_by("-id").values_list("id", flat=True).first()
            return own, last or 0
        return xmin - 1, _MAX_POSITION
    last = SyncChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return 0, last


def _visible_bound() -> Q:
    """Rows a delta read may return now. PostgreSQL: those of finished transactions, and this
    transaction's own (a sync request writes nothing, so that only matters when one transaction
    both writes and reads the log, as a test does)."""
    if connection.vendor == "postgresql":
        xmin, own = _pg_horizon()
        bound = Q(txid__lt=xmin)
        return bound | Q(txid=own) if own is not None else bound
    return Q()


def page(user: User, since: str | None, limit: int = PAGE) -> dict[str, Any]:
    roots = kinds.grid_roots(user)
    if not roots:
        raise NothingToSync
    scope = fingerprint(user, roots)
    now = time.time()
    if since:
        cursor = Cursor.decode(since)
        if cursor.user != user.pk:
            raise ValidationError({"since": "同步游标不属于当前用户"})
        if cursor.scope != scope or cursor.issued < now - settings.SYNC_CHANGE_RETENTION_DAYS * 86400 + 3600:
            return _reset(user, roots, scope, now)
    else:
        txid, pk = _head()
        cursor = Cursor(user.pk, scope, txid, pk, now, kind=0)
    if cursor.kind >= 0:
        return _snapshot(user, roots, cursor, now, limit, reset=False)
    return _delta(user, roots, cursor, now, limit)


def _reset(user: User, roots: tuple[str, ...], scope: str, now: float) -> dict[str, Any]:
    txid, pk = _head()
    return _snapshot(user, roots, Cursor(user.pk, scope, txid, pk, now, kind=0), now, PAGE, reset=True)


def _snapshot(
    user: User, roots: tuple[str, ...], cursor: Cursor, now: float, limit: int, *, reset: bool
) -> dict[str, Any]:
    all_kinds = kinds.all_kinds()
    records: list[dict[str, Any]] = []
    while cursor.kind < len(all_kinds) and len(records) < limit:
        kind = all_kinds[cursor.kind]
        room = limit - len(records)
        rows = list(kind.rows(user, roots).filter(pk__gt=cursor.after).order_by("pk")[:room])
        records.extend(
            {"kind": kind.name, "id": item["id"], "data": item} for item in kind.serialize(rows, user)
        )
        if len(rows) < room:
            cursor.kind, cursor.after = cursor.kind + 1, 0
        else:
            cursor.after = rows[-1].pk
    done = cursor.kind >= len(all_kinds)
    if done:
        cursor.kind, cursor.after = -1, 0
    cursor.issued = now
    return {
        "cursor": cursor.encode(),
        "more": True,  # after the snapshot, the changes made while it was sent
        "reset": reset,
        "snapshot": True,
        "records": records,
        "removed": [],
    }


def _delta(user: User, roots: tuple[str, ...], cursor: Cursor, now: float, limit: int) -> dict[str, Any]:
    mine = kinds.under(roots) | kinds.under(roots, "old_path") | Q(user=user)
    after = Q(txid__gt=cursor.txid) | Q(txid=cursor.txid, id__gt=cursor.id)
    rows = list(
        SyncChange.objects.filter(after, _visible_bound())
        .filter(mine | Q(kind=SUBTREE))
        .order_by("txid", "id")
        .values_list("txid", "id", "kind", "object_id", "path", "old_path")[:limit]
    )
    wanted: dict[str, set[int]] = {}
    for _txid, _id, kind_name, object_id, path, old_path in rows:
        if kind_name == SUBTREE:
            if any(_overlaps(root, p) for root in roots for p in (path, old_path) if p):
                return _reset(user, roots, cursor.scope, now)
            continue
        wanted.setdefault(kind_name, set()).add(object_id)
    records: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for kind in kinds.all_kinds():
        ids = wanted.get(kind.name)
        if not ids:
            continue
        current = list(kind.rows(user, roots).filter(pk__in=ids).order_by("pk"))
        records.extend(
            {"kind": kind.name, "id": item["id"], "data": item} for item in kind.serialize(current, user)
        )
        removed.extend({"kind": kind.name, "id": pk} for pk in sorted(ids - {row.pk for row in current}))
    if rows:
        cursor.txid, cursor.id = rows[-1][0], rows[-1][1]
    cursor.issued = now
    return {
        "cursor": cursor.encode(),
        "more": len(rows) == limit,
        "reset": False,
        "snapshot": False,
        "records": records,
        "removed": removed,
    }


def _overlaps(root: str, path: str) -> bool:
    return path.startswith(root) or root.startswith(path)
