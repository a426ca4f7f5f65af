"""Re-chain an audit log written before the chain was keyed, once: `gridgov audit rechain`.

Before the MAC, each row's hash was a plain SHA-256 that anyone could recompute. A database
from then keeps those rows (and, once upgraded, new rows MAC'd behind them), and `verify` says
so. This walks the log once, checks it is intact as it was written (every link, every hash,
plain or keyed; the unkeyed rows all before the keyed ones), and recomputes every row's hash
with the MAC, in one transaction, with the database's append-only triggers lifted for that
transaction only. It then logs what it did and writes the first checkpoint.

It is refused on a log whose first row already carries the MAC (nothing to do, and a keyed log
is never re-chained), and once any checkpoint exists: re-chaining would then launder an edit
made since. Re-chaining trusts the old log as it is: an edit made before it, by someone who
recomputed the plain hashes, cannot be told from the truth — that is the weakness this ends.
"""

from dataclasses import dataclass

from django.db import connection, transaction

from gridgov.audit import checkpoints
from gridgov.audit.models import HASHED_FIELDS, Action, AuditEntry, ChainHead, chain_hash, unkeyed_chain_hash
from gridgov.audit.services import record

BATCH_SIZE = 5000

_SQLITE_TRIGGERS = {
    "audit_auditentry_no_update": "UPDATE",
    "audit_auditentry_no_delete": "DELETE",
}


class RechainRefused(Exception):
    pass


@dataclass(frozen=True)
class RechainResult:
    rows: int
    unkeyed_rows: int
    old_head: str
    new_head: str
    checkpoint: checkpoints.Checkpoint | None


def _lift_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        else:
            for name in _SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _restore_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")
        else:
            for name, event in _SQLITE_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON audit_auditentry "
                    "BEGIN SELECT RAISE(ABORT, 'audit_auditentry is append-only'); END"
                )


def rechain(batch_size: int = BATCH_SIZE) -> RechainResult:
    """Re-chain the whole log under the key; RechainRefused says why it will not."""
    path = checkpoints.default_path()
    if any(True for _ in checkpoints.read_lines(path)):
        raise RechainRefused(
            f"checkpoints exist ({path}): the chain was keyed and pinned already, "
            "and re-chaining now would launder any edit made since"
        )
    if checkpoints.chain_id() is None:
        raise RechainRefused("the audit log is empty: nothing to re-chain")
    if checkpoints.chain_is_keyed():
        raise RechainRefused("the audit log is keyed already: nothing to re-chain")
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().get(pk=1)
        _lift_triggers()
        columns = (*HASHED_FIELDS, "prev_hash", "hash")
        expected_seq, old_prev, new_prev, unkeyed, keyed_seen = (
            1,
            checkpoints.GENESIS_HASH,
            "0" * 64,
            0,
            False,
        )
        while True:
            batch = list(
                AuditEntry.objects.filter(seq__gte=expected_seq)
                .order_by("seq")
                .values_list(*columns)[:batch_size]
            )
            if not batch:
                break
            updates = []
            for row in batch:
                content = dict(zip(HASHED_FIELDS, row[:-2], strict=True))
                seq, row_prev, row_hash = content["seq"], row[-2], row[-1]
                if seq != expected_seq or row_prev != old_prev:
                    raise RechainRefused(
                        f"the log is broken at seq {expected_seq}: see `gridgov audit verify`"
                    )
                if row_hash == unkeyed_chain_hash(row_prev, content):
                    if keyed_seen:
                        raise RechainRefused(
                            f"seq {seq} is chained without the key after keyed rows: it was forged"
                        )
                    unkeyed += 1
                elif row_hash == chain_hash(row_prev, content):
                    keyed_seen = True
                else:
                    raise RechainRefused(f"seq {seq} was edited: its hash does not match its content")
                new_hash = chain_hash(new_prev, content)
                updates.append((new_prev, new_hash, seq))
                old_prev, new_prev = row_hash, new_hash
                expected_seq += 1
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s", updates
                )
        if head.seq != expected_seq - 1 or head.hash != old_prev:
            raise RechainRefused("the chain head does not match the last row: see `gridgov audit verify`")
        _restore_triggers()
        ChainHead.objects.filter(pk=1).update(hash=new_prev)
        record(
            Action.COMMAND,
            object_type="audit.chain",
            object_repr="审计链密钥化",
            changes={"rows": head.seq, "unkeyed_rows": unkeyed, "unkeyed_head": [head.seq, head.hash]},
            message=f"re-chained {head.seq} rows under the keyed MAC ({unkeyed} were unkeyed)",
        )
    checkpoints.forget()
    checkpoint = checkpoints.write_checkpoint()
    return RechainResult(head.seq, unkeyed, head.hash, new_prev, checkpoint)
