"""Signed checkpoints of the audit chain's head, kept outside the database.

The chain's MAC stops whoever can write to the database but lacks the key. Someone who has
both (a root on the application server) could still rewrite the whole log and recompute every
MAC. A checkpoint — the head's `seq` and `hash` at a moment, signed with a key of its own
derived from GRIDGOV_DATA_KEY — written where that person cannot rewrite it, pins the history
up to that point: `gridgov audit verify` checks every checkpoint against the rows and names any
that no longer matches.

Checkpoints are appended, one JSON line each, to `GRIDGOV_PRIVATE_DIR/audit-checkpoints.jsonl`
(opened append-only, flushed to disk with fsync) by the background worker every
AUDIT_CHECKPOINT_INTERVAL seconds when the log has grown, and by `gridgov audit checkpoint`.
Each line is also logged to the `gridgov.audit.checkpoints` logger, which AUDIT_CHECKPOINT_SYSLOG
sends to syslog; the README says how to ship the file to append-only (WORM) storage. A local
file alone protects against the database's users, not against the server's root.

`chain` names the chain a checkpoint belongs to: the hash of its first row. A database created
anew (a re-seeded demo) is another chain; its checkpoints are not compared with this one's.
"""

import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from gridgov.audit.models import HASHED_FIELDS, AuditEntry, ChainHead, chain_hash
from gridgov.core.crypto import derived_key

CHECKPOINT_KEY_PURPOSE = b"gridgov audit checkpoint v1"
FILE_NAME = "audit-checkpoints.jsonl"
GENESIS_HASH = "0" * 64
# How far from the end of the file `last_checkpoint` reads: many lines' worth.
_TAIL_BYTES = 64 * 1024

logger = logging.getLogger("gridgov.audit.checkpoints")


class ChainNotKeyed(Exception):
    """The log still holds rows chained before the MAC (run `gridgov audit rechain` once)."""


@dataclass(frozen=True)
class Checkpoint:
    chain: str
    seq: int
    hash: str
    at: str
    mac: str = ""

    def _signed(self) -> bytes:
        fields = {"chain": self.chain, "seq": self.seq, "hash": self.hash, "at": self.at}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self) -> "Checkpoint":
        mac = hmac.new(derived_key(CHECKPOINT_KEY_PURPOSE), self._signed(), hashlib.sha256).hexdigest()
        return Checkpoint(self.chain, self.seq, self.hash, self.at, mac)

    def is_authentic(self) -> bool:
        return hmac.compare_digest(self.signed().mac, self.mac)

    def to_line(self) -> str:
        return json.dumps({"v": 1, **asdict(self)}, sort_keys=True, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class CheckpointLine:
    """One line of a checkpoint file: a checkpoint, or why the line is not one."""

    source: str
    line: int
    checkpoint: Checkpoint | None
    problem: str = ""

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


def default_path() -> Path:
    return Path(settings.GRIDGOV_PRIVATE_DIR) / FILE_NAME


def parse_line(text: str) -> Checkpoint:
    """A checkpoint from one line; ValueError saying what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(data, dict) or data.get("v") != 1:
        raise ValueError("not a version-1 checkpoint")
    types = {"chain": str, "seq": int, "hash": str, "at": str, "mac": str}
    for name, kind in types.items():
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"field {name!r} is missing or not a {kind.__name__}")
    if data["seq"] < 1:
        raise ValueError("seq is not positive")
    return Checkpoint(data["chain"], data["seq"], data["hash"], data["at"], data["mac"])


def read_lines(path: Path) -> Iterator[CheckpointLine]:
    """Every line of a checkpoint file, parsed (a missing file has none)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            try:
                yield CheckpointLine(str(path), number, parse_line(text))
            except ValueError as exc:
                yield CheckpointLine(str(path), number, None, str(exc))


def last_checkpoint(path: Path | None = None) -> Checkpoint | None:
    """The last well-formed, authentic checkpoint in the file (reads only its tail)."""
    path = path or default_path()
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return None
    for text in reversed(tail):
        try:
            checkpoint = parse_line(text.strip())
        except ValueError:
            continue
        if checkpoint.is_authentic():
            return checkpoint
    return None


def chain_id() -> str | None:
    """The hash of the log's first row (None for an empty log)."""
    return AuditEntry.objects.filter(seq=1).values_list("hash", flat=True).first()


def chain_is_keyed() -> bool:
    """Whether the first row carries the keyed MAC (an empty log is keyed: it has no old rows).

    The first row is the one a legacy log re-chained by `gridgov audit rechain` changes first,
    and the one nobody can forge without the key: one row read, whatever the log's length.
    """
    row = AuditEntry.objects.filter(seq=1).values_list(*HASHED_FIELDS, "prev_hash", "hash").first()
    if row is None:
        return True
    content = dict(zip(HASHED_FIELDS, row[:-2], strict=True))
    return row[-2] == GENESIS_HASH and hmac.compare_digest(chain_hash(GENESIS_HASH, content), row[-1])


def _append_line(path: Path, line: str) -> None:
    """Append one line durably: O_APPEND (never overwrites), fsync the file, and its folder when new."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        data = line.encode()
        written = os.write(fd, data)
        if written != len(data):  # a full disk: say so rather than leave half a line unnoticed
            raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_checkpoint(path: Path | None = None, now: datetime | None = None) -> Checkpoint | None:
    """Sign the current head and append it; None when the log is empty (nothing to pin).

    Raises ChainNotKeyed on a log that still needs `gridgov audit rechain`: a checkpoint would
    pin rows anyone can recompute, and would then forbid re-chaining them.
    """
    if not chain_is_keyed():
        raise ChainNotKeyed(
            "the audit log holds rows chained without the key: run `gridgov audit rechain` once first"
        )
    head = ChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    chain = chain_id()
    if head is None or head[0] == 0 or chain is None:
        return None
    at = (now or timezone.now()).astimezone(UTC).isoformat()
    checkpoint = Checkpoint(chain, head[0], head[1], at).signed()
    line = checkpoint.to_line()
    _append_line(path or default_path(), line)
    logger.info("gridgov audit checkpoint %s", line.strip())
    _last_written.update({"chain": checkpoint.chain, "seq": checkpoint.seq, "at": checkpoint.at})
    return checkpoint


# The worker's memory of the last checkpoint it knows of, so each pass costs one small query.
_last_written: dict[str, Any] = {}
_lock = threading.Lock()


def write_if_due(interval: int | None = None, now: datetime | None = None) -> Checkpoint | None:
    """The worker's checkpoint: when the log grew and `interval` seconds passed since the last one."""
    interval = settings.AUDIT_CHECKPOINT_INTERVAL if interval is None else interval
    now = now or timezone.now()
    with _lock:
        if not _last_written:
            last = last_checkpoint()
            if last is not None:
                _last_written.update({"chain": last.chain, "seq": last.seq, "at": last.at})
        head_seq = ChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
        if head_seq == 0:
            return None
        if _last_written and _last_written["chain"] == chain_id():
            if head_seq == _last_written["seq"]:
                return None
            elapsed = (now - datetime.fromisoformat(_last_written["at"])).total_seconds()
            if elapsed < interval:
                return None
        return write_checkpoint(now=now)


def forget() -> None:
    """Drop the remembered last checkpoint (tests; a checkpoint file replaced by hand)."""
    with _lock:
        _last_written.clear()
