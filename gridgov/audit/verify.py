"""Check the audit chain end to end: `gridgov audit verify`.

Rows are read in `seq` order in fixed-size batches (keyset pagination on the unique `seq`
index), so memory stays bounded however long the log is. For each row the hash is recomputed
from its content and the previous row's hash:

- a row whose content was edited no longer matches its own hash;
- a removed row leaves a gap in `seq`;
- a row inserted, reordered or re-hashed breaks the link to its neighbour (`prev_hash`);
- rows removed (or appended behind the application's back) at the end disagree with ChainHead.

The first problem found is reported; nothing is written.
"""

from collections.abc import Callable
from dataclasses import dataclass

from gridgov.audit.models import HASHED_FIELDS, AuditEntry, ChainHead, chain_hash

GENESIS_HASH = "0" * 64
BATCH_SIZE = 5000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} rows, head #{self.head_seq} {self.head_hash}"
        return f"audit chain BROKEN at seq {self.bad_seq}: {self.problem} ({self.checked} rows checked before it)"


def verify_chain(batch_size: int = BATCH_SIZE, progress: Callable[[int], None] | None = None) -> VerifyResult:
    head = ChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)

    def broken(seq: int, problem: str, checked: int) -> VerifyResult:
        return VerifyResult(False, checked, head_seq, head_hash, seq, problem)

    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    # Keyset pagination on seq: each batch is an index range scan, never an OFFSET.
    # Plain tuples, not model instances: a third faster over millions of rows.
    columns = (*HASHED_FIELDS, "prev_hash", "hash")
    while True:
        batch = list(
            AuditEntry.objects.filter(seq__gte=expected_seq)
            .order_by("seq")
            .values_list(*columns)[:batch_size]
        )
        if not batch:
            break
        for row in batch:
            content = dict(zip(HASHED_FIELDS, row[:-2], strict=True))
            row_prev_hash, row_hash = row[-2], row[-1]
            seq = content["seq"]
            if seq != expected_seq:
                return broken(
                    expected_seq,
                    f"row(s) removed or renumbered: expected seq {expected_seq}, the next row is seq {seq}",
                    checked,
                )
            if row_prev_hash != prev_hash:
                return broken(
                    seq,
                    "link to the previous row is broken (a row was inserted, "
                    "reordered, re-hashed or removed before it)",
                    checked,
                )
            if chain_hash(row_prev_hash, content) != row_hash:
                return broken(seq, "row content was edited: its hash does not match its content", checked)
            prev_hash = row_hash
            expected_seq += 1
            checked += 1
        if progress is not None:
            progress(checked)
    last_seq = expected_seq - 1
    if head_seq > last_seq:
        return broken(
            last_seq + 1,
            f"the chain head says the log ends at seq {head_seq} but the last row is "
            f"seq {last_seq}: rows were removed at the end",
            checked,
        )
    if head_seq < last_seq:
        return broken(
            head_seq + 1,
            f"rows after the chain head (seq {head_seq}) up to seq {last_seq} were "
            "added behind the application's back",
            checked,
        )
    if head_hash != prev_hash:
        return broken(
            last_seq,
            f"the chain head's hash ({head_hash[:12]}…) does not match the last row's "
            f"({prev_hash[:12]}…): the last row or the head was altered",
            checked,
        )
    return VerifyResult(True, checked, head_seq, head_hash)
