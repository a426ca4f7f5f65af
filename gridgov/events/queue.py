"""Reporting in bursts: accept a checked report now (202 and a receipt), write queued reports in
batches from the worker as the same events `report_event` would write."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gridgov.audit.models import Action as AuditAction
from gridgov.audit.services import appended_together, record_failure
from gridgov.core.context import ActorContext, current_actor, using_context
from gridgov.core.idempotency import check_key
from gridgov.events.intake import (
    CheckedReport,
    Receipt,
    check_report,
    receipt_for,
    report_hash,
    store_files,
    write_reports,
)
from gridgov.events.models import (
    Category,
    IdempotencyKey,
)
from gridgov.events.photos import remove_files
from gridgov.events.selectors import is_user
from gridgov.hierarchy.models import Node
from gridgov.notifications import services as notifications


def queue_report(
    *,
    user: Any,
    category: Category | str | int,
    description: str,
    idempotency_key: str | None,
    lng: float | None = None,
    lat: float | None = None,
    grid: Node | int | None = None,
    address: str = "",
    photos: Iterable[Any] = (),
    resident_ids: Iterable[int] = (),
    household_ids: Iterable[int] = (),
    channel: str = "app",
    now: datetime | None = None,
) -> Receipt:
    """Check a report as `report_event` does and queue it for the worker (`write_queued_reports`),
    which writes it as the same event within a second or so. For phones in a burst (the API's
    `Prefer: respond-async`): the request costs a check and one INSERT, and the writes of many
    reports share their statements.

    The key is required: it is the receipt the phone asks about, and the same key with the same
    body returns the same receipt (or, once written, the event); with another body, ConflictError.
    Photo files are stored now; what was checked is written as the reporter, with this request's
    id and address in the audit log.
    """
    now = now or timezone.now()
    key = check_key(idempotency_key)
    if key is None:
        raise ValidationError({"idempotency_key": "排队上报必须带 Idempotency-Key（回执按它查询）"})
    report = check_report(
        user=user,
        category=category,
        description=description,
        lng=lng,
        lat=lat,
        grid=grid,
        address=address,
        photos=photos,
        resident_ids=resident_ids,
        household_ids=household_ids,
        channel=channel,
        now=now,
        check_scope=True,
    )
    body_hash = report_hash(report, None)
    written: list[str] = []
    try:
        store_files(report, written)
        ctx = current_actor()
        payload = {
            "category": report.category.pk,
            "description": report.text,
            "lng": report.lng,
            "lat": report.lat,
            "grid": report.grid.pk,
            "address": report.address,
            "residents": report.resident_ids,
            "households": report.household_ids,
            "photos": report.stored,
            "channel": report.channel,
            "at": now.isoformat(),
            "ip": ctx.ip,
            "request_id": ctx.request_id,
            "username": ctx.username,
            "context_channel": ctx.channel,
        }
        # New keys are the rule: claim it straight away; the unique constraint catches a retry.
        with transaction.atomic():
            IdempotencyKey.objects.create(
                key=key,
                user=user if is_user(user) else None,
                scope="event",
                body_hash=body_hash,
                payload=payload,
                created_at=now,
            )
    except IntegrityError:
        remove_files(written)
        receipt = receipt_for(user, key, body_hash)
        if receipt is None:
            raise
        return receipt
    except BaseException:
        remove_files(written)
        raise
    return Receipt(key=key, state="queued", accepted_at=now)


QUEUE_BATCH = 200


@dataclass
class QueueResult:
    written: int = 0
    failed: int = 0


def _queued_actor(row: IdempotencyKey) -> ActorContext:
    """The context the report was queued in: its audit rows are the reporter's, from that request."""
    data = row.payload or {}
    return ActorContext(
        user_id=row.user_id,
        username=str(data.get("username") or ""),
        ip=data.get("ip"),
        request_id=str(data.get("request_id") or uuid.uuid4().hex),
        channel=str(data.get("context_channel") or "api"),
    )


def _queued_report(
    row: IdempotencyKey, categories: dict[int, Category], grids: dict[int, Node]
) -> CheckedReport:
    data = row.payload or {}
    category, grid = categories.get(data.get("category", 0)), grids.get(data.get("grid", 0))
    if category is None:
        raise ValidationError({"category": "事件分类已被删除"})
    if grid is None:
        raise ValidationError({"grid": "网格已被删除"})
    at = datetime.fromisoformat(data["at"])
    return CheckedReport(
        reporter_id=row.user_id,
        category=category,
        text=data["description"],
        grid=grid,
        lng=data.get("lng"),
        lat=data.get("lat"),
        address=data.get("address") or "",
        resident_ids=data.get("residents") or [],
        household_ids=data.get("households") or [],
        photos=[],
        channel=data.get("channel") or "api",
        at=at,
        stored=[tuple(p) for p in data.get("photos") or []],
        actor=_queued_actor(row),
    )


def _fail_queued(row: IdempotencyKey, exc: Exception) -> None:
    """Mark a queued report failed: the receipt, the reporter's inbox and the audit log say why."""
    actor = _queued_actor(row)
    message = "; ".join(getattr(exc, "messages", None) or [str(exc)])[:300]
    data = row.payload or {}
    remove_files([name for name, *_ in data.get("photos") or []])
    row.payload, row.error = None, message or exc.__class__.__name__
    row.save(update_fields=["payload", "error"])
    with using_context(actor):
        record_failure(
            AuditAction.CREATE,
            object_type="events.event",
            object_repr=f"queued report {row.key}"[:200],
            message=f"queued report not written: {row.error}",
            user=None,
        )
    if row.user_id is not None:
        notifications.notify([row.user_id], f"您的上报未能写入（{row.key}）：{row.error}")


def _mark_written(written: list[tuple[int, int]]) -> None:
    """Point each key row at its event and drop its payload: one statement run for every row
    (`bulk_update` would build a CASE expression per row, a third of a batch's time)."""
    if not written:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        # Only quoted identifiers are interpolated; the values are parameters.
        cursor.executemany(
            f"UPDATE {qn(IdempotencyKey._meta.db_table)} SET {qn('event_id')} = %s, "  # noqa: S608
            f"{qn('payload')} = NULL WHERE {qn('id')} = %s",
            [(event_id, key_id) for key_id, event_id in written],
        )


def write_queued_reports(limit: int = QUEUE_BATCH) -> QueueResult:
    """Write up to `limit` queued reports, oldest first, as events in one transaction.

    A report that cannot be written is marked failed (the phone's receipt says why; the
    reporter's inbox too) and the others are written: a statement that fails sends the batch
    through one report at a time; a constraint that fails only at COMMIT (foreign keys are
    checked there) rolls the batch back, and its reports are then written one per transaction.
    Either way the queue moves on: one bad report never holds up the ones behind it."""
    # Polled several times a second: look before taking the write lock (the queue is usually empty).
    if not IdempotencyKey.objects.filter(payload__isnull=False).exists():
        return QueueResult()
    try:
        return _write_queued(limit)
    except IntegrityError:
        pass
    result = QueueResult()
    for key_id in (
        IdempotencyKey.objects.filter(payload__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    ):
        try:
            one = _write_queued(1, key_id=key_id)
        except IntegrityError as exc:
            with transaction.atomic():
                row = (
                    IdempotencyKey.objects.select_for_update()
                    .filter(pk=key_id, payload__isnull=False)
                    .first()
                )
                if row is not None:
                    _fail_queued(row, exc)
                    result.failed += 1
            continue
        result.written += one.written
        result.failed += one.failed
    return result


def _write_queued(limit: int, key_id: int | None = None) -> QueueResult:
    result = QueueResult()
    with transaction.atomic():
        # Workers running side by side (PostgreSQL) take different rows; SQLite writes one at a time.
        queued = IdempotencyKey.objects.select_for_update(skip_locked=True).filter(payload__isnull=False)
        if key_id is not None:
            queued = queued.filter(pk=key_id)
        rows = list(queued.order_by("id")[:limit])
        if not rows:
            return result
        categories = Category.objects.in_bulk({(r.payload or {}).get("category", 0) for r in rows})
        grids = Node.objects.select_related("parent").in_bulk(
            {(r.payload or {}).get("grid", 0) for r in rows}
        )
        ready: list[tuple[IdempotencyKey, CheckedReport]] = []
        for row in rows:
            try:
                ready.append((row, _queued_report(row, categories, grids)))
            except (ValidationError, KeyError, ValueError, TypeError) as exc:
                _fail_queued(row, exc)
                result.failed += 1
        try:
            with transaction.atomic(), appended_together():
                events = write_reports([report for _, report in ready])
        except Exception:  # one bad report spoils the batch: find it by writing them one by one
            events, kept = [], []
            for row, report in ready:
                try:
                    with transaction.atomic(), appended_together():
                        events.extend(write_reports([report]))
                    kept.append((row, report))
                except Exception as exc:
                    _fail_queued(row, exc)
                    result.failed += 1
            ready = kept
        _mark_written([(row.pk, event.pk) for (row, _report), event in zip(ready, events, strict=True)])
        result.written = len(ready)
    return result
