"""Writes for whistle and report: reporting an event, and every step of its workflow.

`report_event` and `transition` are the contract other apps build on (disputes, Open311, the
intake benchmark): keep their signatures stable.
"""

import contextlib
import hashlib
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import ROLE_CAPS, Cap
from gridgov.accounts.scope import can, principal_of, require
from gridgov.api.idempotency import body_hash, check_key
from gridgov.audit.models import Action as AuditAction
from gridgov.audit.services import appended_together, record_denied, record_failure
from gridgov.core.context import ActorContext, current_actor, using_context
from gridgov.core.errors import ConflictError
from gridgov.events.deadlines import add_hours, hours_between
from gridgov.events.models import (
    AssignmentRole,
    Category,
    ClockRequest,
    Event,
    EventAssignment,
    EventPhoto,
    EventStep,
    IdempotencyKey,
    Organisation,
    OrgMember,
    Request,
    RequestStatus,
    State,
    Supervision,
)
from gridgov.events.workflow import (
    ACTION_NAMES,
    ACTOR_NAMES,
    CLOCK_STATES,
    STATE_NAMES,
    Action,
    Actor,
    actions_from,
    rule_for,
)
from gridgov.hierarchy import paths
from gridgov.hierarchy.geo import GridLocator
from gridgov.hierarchy.models import Level, Node
from gridgov.mobile.changes import logged_together
from gridgov.notifications import services as notifications
from gridgov.registry.models import Household, Resident

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 9
MAX_DESCRIPTION = 2000
DUPLICATE_RADIUS_M = 200
DUPLICATE_WINDOW_HOURS = 24
MAX_EXTENSION_HOURS = 24 * 30


# --- photos -------------------------------------------------------------------------------------


def sniff_image(head: bytes) -> str | None:
    """The image type from its first bytes (JPEG, PNG, WebP), or None if it is not one of them."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class CheckedPhoto:
    name: str
    content: bytes
    content_type: str


def check_photos(photos: Iterable[Any], field_name: str = "photos") -> list[CheckedPhoto]:
    """Read and check uploads by content: an image (JPEG/PNG/WebP) of at most 5 MB each."""
    checked: list[CheckedPhoto] = []
    for index, photo in enumerate(photos or ()):
        label = getattr(photo, "name", None) or f"#{index + 1}"
        size = getattr(photo, "size", None)
        if size is not None and size > MAX_PHOTO_BYTES:
            raise ValidationError({field_name: f"照片 {label} 超过 5 MB（{size / 1024 / 1024:.1f} MB）"})
        if isinstance(photo, bytes | bytearray):
            content = bytes(photo)
        else:
            if hasattr(photo, "seek"):
                photo.seek(0)
            content = photo.read(MAX_PHOTO_BYTES + 1)
        if len(content) > MAX_PHOTO_BYTES:
            raise ValidationError({field_name: f"照片 {label} 超过 5 MB"})
        content_type = sniff_image(content[:16])
        if content_type is None:
            raise ValidationError({field_name: f"{label} 不是图片（只接受 JPEG、PNG、WebP）"})
        checked.append(CheckedPhoto(str(label), content, content_type))
    if len(checked) > MAX_PHOTOS:
        raise ValidationError({field_name: f"最多上传 {MAX_PHOTOS} 张照片"})
    return checked


def _save_photo_file(photo: CheckedPhoto, written: list[str]) -> str:
    """Store one checked photo under a fresh name; `written` lists the files for clean-up."""
    name = f"events/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{_EXTENSIONS[photo.content_type]}"
    stored = default_storage.save(name, ContentFile(photo.content))
    written.append(stored)
    return stored


def _store_photos(
    event: Event, step: EventStep | None, photos: list[CheckedPhoto], user: Any, written: list[str]
) -> None:
    for photo in photos:
        stored = _save_photo_file(photo, written)
        EventPhoto.objects.create(
            event=event,
            step=step,
            image=stored,
            content_type=photo.content_type,
            size=len(photo.content),
            uploaded_by=user if _is_user(user) else None,
        )


def _remove_files(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)


# --- reporting ----------------------------------------------------------------------------------


def _is_user(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def resolve_category(category: Category | str | int | None) -> Category:
    if isinstance(category, Category):
        found: Category | None = category
    elif category in (None, ""):
        raise ValidationError({"category": "请选择事件分类"})
    else:
        from gridgov.events.selectors import category_by_key

        found = category_by_key(str(category).strip())
    if found is None or not found.active:
        raise ValidationError({"category": f"未知的事件分类：{category}"})
    return found


def _resolve_grid(grid: Node | int | None, lng: float | None, lat: float | None) -> Node:
    if grid is not None:
        node = grid if isinstance(grid, Node) else _grid_node(int(grid))
        if node is None or node.level != Level.GRID:
            raise ValidationError({"grid": "网格不存在"})
        return node
    if lng is None or lat is None:
        raise ValidationError({"location": "请提供事件位置（经纬度）或所在网格"})
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise ValidationError({"location": "经纬度必须是数字"}) from None
    if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValidationError({"location": "经纬度超出范围（经度 -180~180，纬度 -90~90）"})
    grid_id = GridLocator.grid_id_at(lng, lat)
    located = _grid_node(grid_id) if grid_id is not None else None
    if located is None:
        raise ValidationError({"location": f"位置（{lng:.6f}, {lat:.6f}）不在本市任何网格内"})
    return located


class _TTLCache:
    """A small per-process cache for rows that rarely change and are read on every report
    (grid nodes with their community); entries live a minute, like the grid locator's polygons."""

    def __init__(self, seconds: float = 60) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.values: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self.lock:
            hit = self.values.get(key)
            if hit is not None and now - hit[0] < self.seconds:
                return hit[1]
        value = load()
        with self.lock:
            if len(self.values) > 20_000:
                self.values.clear()
            self.values[key] = (now, value)
        return value

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


# Grid nodes only: their ids are never reused. (People are not cached: a cached id of an account
# that a rolled-back transaction created would break the notification's foreign key.)
_GRIDS = _TTLCache()


def _grid_node(grid_id: int) -> Node | None:
    return _GRIDS.get(grid_id, lambda: Node.objects.select_related("parent").filter(pk=grid_id).first())


def forget_cached_rows() -> None:
    """Drop cached grids (tests; node changes call it through a signal)."""
    _GRIDS.clear()


@dataclass
class _Report:
    """A checked report, ready to be written (now, or later by the worker from the queue)."""

    reporter_id: int | None  # None: a trusted channel without an account (Open311)
    category: Category
    text: str
    grid: Node
    lng: float | None
    lat: float | None
    address: str
    resident_ids: list[int]
    household_ids: list[int]
    photos: list[CheckedPhoto]
    channel: str
    at: datetime
    # (name, content type, size) of the photo files, once stored.
    stored: list[tuple[str, str, int]] = field(default_factory=list)
    # Whose the audit rows are when the worker writes a queued report (None: the current actor).
    actor: ActorContext | None = None

    def acting(self) -> contextlib.AbstractContextManager[Any]:
        """The block runs as the reporter's request (queued) or as the current actor."""
        return using_context(self.actor) if self.actor is not None else contextlib.nullcontext()


def _check_report(
    *,
    user: Any,
    category: Category | str | int,
    description: str,
    lng: float | None,
    lat: float | None,
    grid: Node | int | None,
    address: str,
    photos: Iterable[Any],
    resident_ids: Iterable[int],
    household_ids: Iterable[int],
    channel: str,
    now: datetime,
    check_scope: bool,
) -> _Report:
    """Everything a report needs, checked; raises ValidationError / PermissionDenied naming the field."""
    category_obj = resolve_category(category)
    text = (description or "").strip()
    if not text:
        raise ValidationError({"description": "请填写事件描述"})
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError({"description": f"事件描述最长 {MAX_DESCRIPTION} 字"})
    grid_node = _resolve_grid(grid, lng, lat)
    if check_scope:
        try:
            require(user, Cap.REPORT_EVENT, grid_node.path, grid_node)
        except PermissionDenied:
            raise PermissionDenied(f"{grid_node.name} 不在您的上报范围内") from None
    checked = check_photos(photos)
    resident_ids = sorted({int(pk) for pk in resident_ids or ()})
    household_ids = sorted({int(pk) for pk in household_ids or ()})
    if resident_ids:
        found = set(
            Resident.objects.filter(pk__in=resident_ids)
            .restrict(user, Cap.VIEW_REGISTRY)
            .values_list("pk", flat=True)
        )
        if len(found) != len(resident_ids):
            raise ValidationError(
                {"resident_ids": f"居民不存在或不在您的范围内：{sorted(set(resident_ids) - found)}"}
            )
    if household_ids:
        found = set(
            Household.objects.filter(pk__in=household_ids)
            .restrict(user, Cap.VIEW_REGISTRY)
            .values_list("pk", flat=True)
        )
        if len(found) != len(household_ids):
            raise ValidationError(
                {"household_ids": f"户不存在或不在您的范围内：{sorted(set(household_ids) - found)}"}
            )
    return _Report(
        reporter_id=user.pk if _is_user(user) else None,
        category=category_obj,
        text=text,
        grid=grid_node,
        lng=float(lng) if lng is not None else None,
        lat=float(lat) if lat is not None else None,
        address=(address or "").strip()[:200],
        resident_ids=resident_ids,
        household_ids=household_ids,
        photos=checked,
        channel=channel[:16],
        at=now,
    )


def _report_hash(report: _Report, body_for_idempotency: Any) -> str:
    body = (
        body_for_idempotency
        if body_for_idempotency is not None
        else {
            "category": report.category.code,
            "description": report.text,
            "lng": report.lng,
            "lat": report.lat,
            "grid": report.grid.pk,
            "address": report.address,
            "residents": report.resident_ids,
            "households": report.household_ids,
            "photos": [hashlib.sha256(p.content).hexdigest() for p in report.photos],
        }
    )
    return body_hash(body)


def _store_files(report: _Report, written: list[str]) -> None:
    """Store the report's photo files (before its transaction; `written` lists them for clean-up)."""
    for photo in report.photos:
        report.stored.append((_save_photo_file(photo, written), photo.content_type, len(photo.content)))


def _created(instances: list[Any], reports: list[_Report]) -> None:
    """Send post_save for rows written with bulk_create, each as its reporter: the audit log and
    the apps listening (disputes, the phones' change log: one statement for the lot) see them as
    they see a `create()`."""
    with logged_together():
        for instance, report in zip(instances, reports, strict=True):
            with report.acting():
                post_save.send(
                    sender=type(instance),
                    instance=instance,
                    created=True,
                    update_fields=None,
                    raw=False,
                    using=instance._state.db,
                )


def _write_reports(reports: list[_Report]) -> list[Event]:
    """Write checked reports as events, each with its first step, photos, people and the notice
    to its community's centre, in a few statements for the lot (the worker writes the queue in
    batches). Call inside a transaction and `appended_together()`."""
    events = []
    for report in reports:
        community = report.grid.parent or report.grid
        category = report.category
        events.append(
            Event(
                number=new_event_number(report.at),
                category=category,
                description=report.text,
                severity=category.severity,
                state=State.REPORTED,
                is_open=True,
                grid=report.grid,
                handling_node=community,
                path=report.grid.path,
                county_code=report.grid.county_code,
                lng=report.lng if report.lng is not None else report.grid.lng,
                lat=report.lat if report.lat is not None else report.grid.lat,
                address=report.address or report.grid.name,
                reporter_id=report.reporter_id,
                channel=report.channel,
                created_at=report.at,
                due_at=add_hours(report.at, category.ack_hours, category.time_basis),
                resolve_due_at=add_hours(report.at, category.resolve_hours, category.time_basis),
            )
        )
    Event.objects.bulk_create(events)
    _created(events, reports)
    for event, report in zip(events, reports, strict=True):
        with report.acting():
            if report.resident_ids:
                event.residents.add(*report.resident_ids)
            if report.household_ids:
                event.households.add(*report.household_ids)
    steps = [
        EventStep(
            event=event,
            at=report.at,
            actor_id=report.reporter_id,
            action="report",
            from_state="",
            to_state=State.REPORTED,
            note=f"通过{report.channel}上报",
            data={"channel": report.channel},
        )
        for event, report in zip(events, reports, strict=True)
    ]
    EventStep.objects.bulk_create(steps)
    _created(steps, reports)
    photos: list[EventPhoto] = []
    photo_reports: list[_Report] = []
    for event, step, report in zip(events, steps, reports, strict=True):
        # The answer to the report shows this step: spare the caller reading it back.
        event.report_step = step
        for name, content_type, size in report.stored:
            photos.append(
                EventPhoto(
                    event=event,
                    step=step,
                    image=name,
                    content_type=content_type,
                    size=size,
                    uploaded_by_id=report.reporter_id,
                )
            )
            photo_reports.append(report)
    if photos:
        EventPhoto.objects.bulk_create(photos)
        _created(photos, photo_reports)
    staff: dict[int, list[int]] = {}
    notices: list[notifications.Draft] = []
    for event in events:
        community = event.handling_node
        if community.pk not in staff:
            staff[community.pk] = centre_user_ids(community)
        message = f"新事件待受理：{event.number} {event.category.name}"
        notices += notifications.drafts(staff[community.pk], message, subject=event, awaiting=State.REPORTED)
    notifications.send(notices)
    return events


@dataclass(frozen=True)
class Receipt:
    """What became of a report sent with an idempotency key: queued, created (the event) or failed."""

    key: str
    state: str
    accepted_at: datetime
    event: Event | None = None
    error: str = ""


def receipt_for(user: Any, key: str, body_hash: str | None = None) -> Receipt | None:
    """The receipt of `user`'s key (None: unknown key); with `body_hash`, ConflictError if the key
    was used for a different body."""
    # Plain values first: nearly every key is new, and then there is nothing to load.
    found = (
        IdempotencyKey.objects.filter(user=user if _is_user(user) else None, scope="event", key=key)
        .values_list("body_hash", "event_id", "error", "created_at")
        .first()
    )
    if found is None:
        return None
    stored_hash, event_id, error, accepted_at = found
    event = Event.objects.filter(pk=event_id).first() if event_id else None
    if body_hash is not None and stored_hash != body_hash:
        raise ConflictError(
            "Idempotency-Key 已用于另一次内容不同的提交；请为新事件使用新的键",
            idempotency_key=key,
            event_number=event.number if event else None,
        )
    state = "created" if event is not None else "failed" if error else "queued"
    return Receipt(key=key, state=state, accepted_at=accepted_at, event=event, error=error)


def not_written(receipt: Receipt) -> ConflictError:
    """The 409 for a key whose report has no event (yet): still queued, or failed with a reason."""
    if receipt.state == "queued":
        return ConflictError(
            "这次上报已排队等待写入，请稍后查询回执", idempotency_key=receipt.key, state="queued"
        )
    return ConflictError(f"这次上报未能写入：{receipt.error}", idempotency_key=receipt.key, state="failed")


def _replay(user: Any, key: str, body_hash: str) -> Event | None:
    """The event already created for this key and body; ConflictError if the body differs, or if
    that report is still queued or could not be written."""
    receipt = receipt_for(user, key, body_hash)
    if receipt is None or receipt.event is not None:
        return receipt.event if receipt else None
    raise not_written(receipt)


def new_event_number(at: datetime) -> str:
    return f"SJ{timezone.localtime(at):%Y%m%d}{secrets.token_hex(5).upper()}"


def report_event(
    *,
    user: Any,
    category: Category | str | int,
    description: str,
    lng: float | None = None,
    lat: float | None = None,
    grid: Node | int | None = None,
    address: str = "",
    photos: Iterable[Any] = (),
    resident_ids: Iterable[int] = (),
    household_ids: Iterable[int] = (),
    idempotency_key: str | None = None,
    channel: str = "app",
    body_for_idempotency: Any = None,
    now: datetime | None = None,
    check_scope: bool = True,
) -> tuple[Event, bool]:
    """Report an event found in a grid; returns (event, created).

    The grid comes from the GPS point unless given. Everything is checked before anything is
    written, and everything is written in one transaction (photo files are removed again if it
    fails). With an idempotency key, a retry with the same body returns the first event
    (created=False); the same key with another body raises ConflictError (HTTP 409).
    `check_scope=False` is for trusted channels that authenticate otherwise (Open311 API keys).
    """
    now = now or timezone.now()
    key = check_key(idempotency_key)
    report = _check_report(
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
        check_scope=check_scope,
    )
    body_hash = ""
    if key is not None:
        body_hash = _report_hash(report, body_for_idempotency)
        replayed = _replay(user, key, body_hash)
        if replayed is not None:
            return replayed, False

    written: list[str] = []
    try:
        _store_files(report, written)
        # The audit rows go to the chain last, after the key is claimed (see appended_together).
        with transaction.atomic(), appended_together():
            event = _write_reports([report])[0]
            if key is not None:
                # The key is claimed last, in one INSERT: a concurrent retry that got here first
                # makes this fail on the unique constraint (PostgreSQL waits for its COMMIT), the
                # whole transaction rolls back, and the winner's event is replayed below.
                IdempotencyKey.objects.create(
                    key=key,
                    user=user if _is_user(user) else None,
                    scope="event",
                    body_hash=body_hash,
                    event=event,
                )
    except IntegrityError:
        _remove_files(written)
        if key is None:
            raise
        replayed = _replay(user, key, body_hash)
        if replayed is None:
            raise
        return replayed, False
    except BaseException:
        _remove_files(written)
        raise
    return event, True


# --- reporting in bursts: accept now, write in batches -------------------------------------------


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
    report = _check_report(
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
    body_hash = _report_hash(report, None)
    written: list[str] = []
    try:
        _store_files(report, written)
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
                user=user if _is_user(user) else None,
                scope="event",
                body_hash=body_hash,
                payload=payload,
                created_at=now,
            )
    except IntegrityError:
        _remove_files(written)
        receipt = receipt_for(user, key, body_hash)
        if receipt is None:
            raise
        return receipt
    except BaseException:
        _remove_files(written)
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


def _queued_report(row: IdempotencyKey, categories: dict[int, Category], grids: dict[int, Node]) -> _Report:
    data = row.payload or {}
    category, grid = categories.get(data.get("category", 0)), grids.get(data.get("grid", 0))
    if category is None:
        raise ValidationError({"category": "事件分类已被删除"})
    if grid is None:
        raise ValidationError({"grid": "网格已被删除"})
    at = datetime.fromisoformat(data["at"])
    return _Report(
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
        stored=[tuple(p) for p in data.get("photos") or []],  # type: ignore[misc]
        actor=_queued_actor(row),
    )


def _fail_queued(row: IdempotencyKey, exc: Exception) -> None:
    """Mark a queued report failed: the receipt, the reporter's inbox and the audit log say why."""
    actor = _queued_actor(row)
    message = "; ".join(getattr(exc, "messages", None) or [str(exc)])[:300]
    data = row.payload or {}
    _remove_files([name for name, *_ in data.get("photos") or []])
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
        ready: list[tuple[IdempotencyKey, _Report]] = []
        for row in rows:
            try:
                ready.append((row, _queued_report(row, categories, grids)))
            except (ValidationError, KeyError, ValueError, TypeError) as exc:
                _fail_queued(row, exc)
                result.failed += 1
        try:
            with transaction.atomic(), appended_together():
                events = _write_reports([report for _, report in ready])
        except Exception:  # one bad report spoils the batch: find it by writing them one by one
            events, kept = [], []
            for row, report in ready:
                try:
                    with transaction.atomic(), appended_together():
                        events.extend(_write_reports([report]))
                    kept.append((row, report))
                except Exception as exc:
                    _fail_queued(row, exc)
                    result.failed += 1
            ready = kept
        _mark_written([(row.pk, event.pk) for (row, _report), event in zip(ready, events, strict=True)])
        result.written = len(ready)
    return result


# --- who is acting ------------------------------------------------------------------------------


def user_org_ids(user: Any) -> set[int]:
    """The user's active organisations (the principal has read them)."""
    return set(principal_of(user).org_ids)


def actor_kinds(event: Event, user: Any, *, co: bool = True) -> set[str]:
    """Which of the workflow's actors `user` is for this event (`co=False` skips the one query
    that finds out whether they co-handle it, for actions no co-handler may take)."""
    if user is None:
        return {Actor.SYSTEM}
    if not _is_user(user) or not user.is_active:
        return set()
    kinds: set[str] = set()
    if event.reporter_id == user.pk:
        kinds.add(Actor.REPORTER)
    node = event.handling_node
    if can(user, Cap.HANDLE_EVENT, node.path):
        kinds.add(Actor.CENTRE)
    if node.parent_id is not None and can(user, Cap.HANDLE_EVENT, paths.parent_of(node.path)):
        kinds.add(Actor.SUPERIOR)
    # Without a lead organisation an event has no active assignment (dispatch makes them together;
    # decline and reopen end them all), so organisation membership cannot matter: no query.
    orgs = user_org_ids(user) if event.lead_org_id is not None else set()
    if orgs:
        if event.lead_org_id in orgs:
            kinds.add(Actor.LEAD)
        if (
            co
            and event.assignments.filter(
                active=True, role=AssignmentRole.CO, organisation_id__in=orgs
            ).exists()
        ):
            kinds.add(Actor.CO)
    return kinds


def allowed_actions(event: Event, user: Any) -> list[str]:
    """The actions `user` may take on `event` now (what the detail page offers)."""
    kinds = actor_kinds(event, user)
    allowed = []
    for action in actions_from(event.state):
        rule = rule_for(event.state, action)
        if rule is not None and rule.who & kinds:
            allowed.append(action)
    return allowed


# --- notifications ------------------------------------------------------------------------------

_CENTRE_ROLES = [role for role, caps in ROLE_CAPS.items() if Cap.HANDLE_EVENT in caps]


def centre_user_ids(node: Node) -> list[int]:
    """Ids of the active administrators at `node`, in one query (notifications need no more)."""
    return list(
        RoleAssignment.objects.filter(node=node, role__in=_CENTRE_ROLES, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def org_user_ids(org_ids: Iterable[int]) -> list[int]:
    """Ids of the active members of these organisations, in one query."""
    return list(
        OrgMember.objects.filter(organisation_id__in=list(org_ids), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


# --- transitions --------------------------------------------------------------------------------


@dataclass
class _Step:
    """What a handler produces beyond the state change: a note, data for the timeline, and
    notifications to send once the step is saved."""

    event: Event
    user: Any
    now: datetime
    note: str
    data: dict[str, Any]
    step_data: dict[str, Any] = field(default_factory=dict)
    organisation: Organisation | None = None
    notify: list[tuple[list[Any], str]] = field(default_factory=list)
    photos: list[CheckedPhoto] = field(default_factory=list)
    keep_overdue: bool = False
    after_save: list[Callable[[EventStep], None]] = field(default_factory=list)


def _require_note(step: _Step, message: str) -> str:
    note = step.note.strip()
    if not note:
        raise ValidationError({"note": message})
    return note


def _deadline(event: Event, start: datetime, hours: float) -> datetime:
    return add_hours(start, hours, event.category.time_basis)


def _lead_assignment(event: Event) -> EventAssignment | None:
    return event.assignments.filter(active=True, role=AssignmentRole.LEAD).first()


def _parse_org_ids(value: Any, field_name: str) -> list[int]:
    if value in (None, "", []):
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).split(",")
    try:
        return [int(item) for item in items if str(item).strip()]
    except (TypeError, ValueError):
        raise ValidationError({field_name: "单位编号必须是整数"}) from None


def suggest_lead_org(event: Event) -> Organisation | None:
    """The organisation of the category's owning kind whose area is the closest one covering the grid."""
    candidates = Organisation.objects.filter(
        kind=event.category.owner_kind, active=True, path__in=event.grid.ancestor_paths()
    )
    return max(candidates, key=lambda org: len(org.path), default=None)


def _covering_org(event: Event, org_id: int, field_name: str) -> Organisation:
    org = Organisation.objects.filter(pk=org_id, active=True).first()
    if org is None:
        raise ValidationError({field_name: f"单位 {org_id} 不存在或已停用"})
    if not event.path.startswith(org.path):
        raise ValidationError({field_name: f"{org.name} 的服务区域不包括事件所在的 {event.grid.name}"})
    return org


def _on_dispatch(step: _Step) -> None:
    event = step.event
    lead_ids = _parse_org_ids(step.data.get("lead_org_id"), "lead_org_id")
    if len(lead_ids) > 1:
        raise ValidationError({"lead_org_id": "只能指定一个主办单位"})
    if lead_ids:
        lead = _covering_org(event, lead_ids[0], "lead_org_id")
    else:
        suggested = suggest_lead_org(event)
        if suggested is None:
            raise ValidationError({"lead_org_id": "请指定主办单位（没有找到负责该分类的单位）"})
        lead = suggested
    co_orgs = []
    for org_id in dict.fromkeys(_parse_org_ids(step.data.get("co_org_ids"), "co_org_ids")):
        if org_id == lead.pk:
            raise ValidationError({"co_org_ids": f"{lead.name} 已是主办单位，不能同时协办"})
        co_orgs.append(_covering_org(event, org_id, "co_org_ids"))
    event.assignments.filter(active=True).update(active=False)
    category = event.category
    for org, role in [(lead, AssignmentRole.LEAD), *[(org, AssignmentRole.CO) for org in co_orgs]]:
        assignment = EventAssignment.objects.create(
            event=event,
            organisation=org,
            role=role,
            dispatched_at=step.now,
            ack_due_at=_deadline(event, step.now, category.ack_hours),
            resolve_due_at=_deadline(event, step.now, category.resolve_hours),
        )
        if role == AssignmentRole.LEAD:
            event.due_at = assignment.ack_due_at
            event.resolve_due_at = assignment.resolve_due_at
    event.lead_org = lead
    step.step_data.update(
        lead_org=lead.pk,
        lead_org_name=lead.name,
        co_orgs=[o.pk for o in co_orgs],
        co_org_names=[o.name for o in co_orgs],
    )
    step.notify.append(
        (org_user_ids([lead.pk]), f"新派遣（主办）：{event.number} {category.name}，请及时签收")
    )
    if co_orgs:
        step.notify.append(
            (org_user_ids([o.pk for o in co_orgs]), f"新派遣（协办）：{event.number} {category.name}")
        )


def _on_decline(step: _Step) -> None:
    event = step.event
    _require_note(step, "退回派遣必须说明理由")
    step.organisation = event.lead_org
    event.assignments.filter(active=True).update(active=False)
    event.lead_org = None
    event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 被主办单位退回，请重新派遣"))


def _on_acknowledge(step: _Step) -> None:
    event = step.event
    assignment = _lead_assignment(event)
    if assignment is not None:
        assignment.acknowledged_at = step.now
        assignment.save(update_fields=["acknowledged_at"])
        event.due_at = assignment.resolve_due_at
    step.organisation = event.lead_org


def _on_start(step: _Step) -> None:
    step.organisation = step.event.lead_org


def _result(step: _Step) -> str:
    result = str(step.data.get("result") or step.note or "").strip()
    if not result:
        raise ValidationError({"result": "请填写处置结果"})
    return result


def _on_handle(step: _Step) -> None:
    event = step.event
    result = _result(step)
    step.photos = check_photos(step.data.get("photos") or ())
    assignment = _lead_assignment(event)
    if assignment is not None:
        assignment.handled_at = step.now
        assignment.result = result
        assignment.save(update_fields=["handled_at", "result"])
    event.due_at = None
    step.organisation = event.lead_org
    step.step_data["result"] = result
    pending = list(
        event.assignments.filter(active=True, role=AssignmentRole.CO, handled_at__isnull=True).values_list(
            "organisation__name", flat=True
        )
    )
    if pending:
        step.step_data["co_pending"] = pending
    recipients = [event.reporter] if event.reporter else []
    step.notify.append((recipients, f"{event.number} 已处置，请确认办结或重办"))
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 已处置：{result[:60]}"))


def _co_assignment(step: _Step) -> EventAssignment:
    orgs = user_org_ids(step.user)
    wanted = step.data.get("organisation_id")
    assignments = step.event.assignments.filter(active=True, role=AssignmentRole.CO, organisation_id__in=orgs)
    if wanted not in (None, ""):
        assignments = assignments.filter(organisation_id=int(wanted))
    assignment = assignments.select_related("organisation").order_by("pk").first()
    if assignment is None:
        raise PermissionDenied("您所在单位不是该事件的协办单位")
    step.organisation = assignment.organisation
    return assignment


def _on_co_acknowledge(step: _Step) -> None:
    assignment = _co_assignment(step)
    if assignment.acknowledged_at is not None:
        raise ConflictError(
            f"{assignment.organisation.name} 已签收，不能重复签收",
            state=step.event.state,
            action=Action.CO_ACKNOWLEDGE,
        )
    assignment.acknowledged_at = step.now
    assignment.save(update_fields=["acknowledged_at"])
    step.keep_overdue = True


def _on_co_handle(step: _Step) -> None:
    assignment = _co_assignment(step)
    if assignment.handled_at is not None:
        raise ConflictError(
            f"{assignment.organisation.name} 已报告处置结果", state=step.event.state, action=Action.CO_HANDLE
        )
    result = _result(step)
    step.photos = check_photos(step.data.get("photos") or ())
    if assignment.acknowledged_at is None:
        assignment.acknowledged_at = step.now
    assignment.handled_at = step.now
    assignment.result = result
    assignment.save(update_fields=["acknowledged_at", "handled_at", "result"])
    step.step_data["result"] = result
    step.keep_overdue = True
    step.notify.append(
        (
            org_user_ids([step.event.lead_org_id] if step.event.lead_org_id else []),
            f"{step.event.number} 协办单位 {assignment.organisation.name} 已报告处置结果",
        )
    )


def _on_confirm(step: _Step) -> None:
    event = step.event
    raw = step.data.get("satisfaction")
    try:
        satisfaction = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError({"satisfaction": "请给出满意度评价（1–5）"}) from None
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": "满意度必须在 1 到 5 之间"})
    event.satisfaction = satisfaction
    event.closed_at = step.now
    event.due_at = None
    step.step_data["satisfaction"] = satisfaction


def _on_close(step: _Step) -> None:
    step.event.closed_at = step.now
    step.event.due_at = None


def _on_return(step: _Step) -> None:
    event = step.event
    reason = _require_note(step, "退回必须说明理由")
    event.due_at = None
    recipients = [event.reporter] if event.reporter else []
    step.notify.append((recipients, f"{event.number} 被退回：{reason[:100]}"))


def _on_resubmit(step: _Step) -> None:
    event = step.event
    description = str(step.data.get("description") or "").strip()
    if description:
        if len(description) > MAX_DESCRIPTION:
            raise ValidationError({"description": f"事件描述最长 {MAX_DESCRIPTION} 字"})
        event.description = description
    event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 已重新上报，请受理"))


def _on_accept(step: _Step) -> None:
    event = step.event
    event.due_at = _deadline(event, step.now, event.category.ack_hours)


def _on_reopen(step: _Step) -> None:
    event = step.event
    _require_note(step, "重办必须说明理由")
    raw = step.data.get("satisfaction")
    if raw not in (None, ""):
        try:
            event.satisfaction = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"satisfaction": "满意度必须在 1 到 5 之间"}) from None
        if not 1 <= event.satisfaction <= 5:
            raise ValidationError({"satisfaction": "满意度必须在 1 到 5 之间"})
    event.reopen_count += 1
    event.closed_at = None
    event.assignments.filter(active=True).update(active=False)
    event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 被要求重办：{step.note[:80]}"))
    if event.lead_org_id:
        step.notify.append(
            (org_user_ids([event.lead_org_id]), f"{event.number} 被要求重办：{step.note[:80]}")
        )


def escalate_node(event: Event) -> Node:
    node = event.handling_node
    if node.parent_id is None or node.level == Level.CITY:
        raise ConflictError("事件已在市级综治中心，无法再上报", state=event.state, action=Action.ESCALATE)
    return Node.objects.get(pk=node.parent_id)


def _on_escalate(step: _Step) -> None:
    event = step.event
    upper = escalate_node(event)
    step.step_data.update(from_node=event.handling_node.name, to_node=upper.name, automatic=step.user is None)
    event.handling_node = upper
    event.escalations += 1
    event.escalated_at = step.now
    if event.due_at is None or event.due_at <= step.now:
        # The centre above gets a fresh window to act; the event stays marked overdue.
        event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.keep_overdue = True
    why = "超期自动上报" if step.user is None else "上报"
    step.notify.append((centre_user_ids(upper), f"{event.number} {why}至{upper.name}：{event.category.name}"))


def _on_supervise(step: _Step) -> None:
    event = step.event
    grade = str(step.data.get("grade") or "").strip()
    if grade not in (Supervision.YELLOW, Supervision.RED):
        raise ValidationError({"grade": "督办等级必须是 yellow（黄牌）或 red（红牌）"})
    if event.supervision == Supervision.RED or event.supervision == grade:
        current = Supervision(event.supervision).label
        raise ConflictError(
            f"事件已是{current}，督办只能升级（黄牌→红牌）", state=event.state, action=Action.SUPERVISE
        )
    event.supervision = grade
    step.keep_overdue = True
    step.step_data["grade"] = grade
    label = Supervision(grade).label
    recipients = centre_user_ids(event.handling_node)
    if event.lead_org_id:
        recipients += org_user_ids([event.lead_org_id])
    step.notify.append((recipients, f"{event.number} 被{label}：{step.note[:80]}"))


def _pending(event: Event, kind: str) -> ClockRequest | None:
    return event.clock_requests.filter(kind=kind, status=RequestStatus.PENDING).order_by("pk").first()


def _superiors(event: Event) -> list[int]:
    node = event.handling_node
    return centre_user_ids(node) + (centre_user_ids(node.parent) if node.parent else [])


def _on_request(step: _Step, kind: str) -> None:
    event = step.event
    reason = _require_note(step, "请说明申请理由")
    if _pending(event, kind) is not None:
        raise ConflictError(
            f"已有待审批的{Request(kind).label}，请等待审批",
            state=event.state,
            action=Action.REQUEST_SUSPENSION if kind == Request.SUSPEND else Action.REQUEST_EXTENSION,
        )
    hours = None
    if kind == Request.EXTEND:
        try:
            hours = int(step.data.get("hours"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationError({"hours": "请填写延长的小时数"}) from None
        if not 1 <= hours <= MAX_EXTENSION_HOURS:
            raise ValidationError({"hours": f"延长小时数必须在 1 到 {MAX_EXTENSION_HOURS} 之间"})
    request = ClockRequest.objects.create(
        event=event, kind=kind, hours=hours, reason=reason[:500], requested_by=step.user
    )
    step.organisation = event.lead_org
    step.keep_overdue = True
    step.step_data.update(request_id=request.pk, hours=hours)
    step.notify.append((_superiors(event), f"{event.number} {Request(kind).label}待审批：{reason[:80]}"))


def _decide(step: _Step, kind: str, approve: bool) -> ClockRequest:
    event = step.event
    request = _pending(event, kind)
    if request is None:
        action: dict[tuple[str, bool], str] = {
            (Request.SUSPEND, True): Action.APPROVE_SUSPENSION,
            (Request.SUSPEND, False): Action.REFUSE_SUSPENSION,
            (Request.EXTEND, True): Action.APPROVE_EXTENSION,
            (Request.EXTEND, False): Action.REFUSE_EXTENSION,
        }
        raise ConflictError(
            f"没有待审批的{Request(kind).label}", state=event.state, action=action[(kind, approve)]
        )
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decided_by = step.user
    request.decided_at = step.now
    request.decision_note = step.note[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    step.step_data["request_id"] = request.pk
    verdict = "已批准" if approve else "已驳回"
    step.notify.append(([request.requested_by], f"{event.number} {Request(kind).label}{verdict}"))
    return request


def _on_approve_suspension(step: _Step) -> None:
    _decide(step, Request.SUSPEND, True)
    step.event.paused_at = step.now


def _on_refuse_suspension(step: _Step) -> None:
    _require_note(step, "驳回必须说明理由")
    _decide(step, Request.SUSPEND, False)
    step.keep_overdue = True


def _shift(event: Event, moment: datetime | None, start: datetime, hours: float) -> datetime | None:
    if moment is None:
        return None
    return _deadline(event, start, hours)


def _on_resume(step: _Step) -> None:
    """Restart the clock with the time that was left when it was paused."""
    event = step.event
    basis = event.category.time_basis
    paused = event.paused_at or step.now
    step.step_data["paused_hours"] = round(hours_between(paused, step.now, basis), 2)
    if event.due_at is not None:
        event.due_at = _shift(
            event, event.due_at, step.now, max(hours_between(paused, event.due_at, basis), 0)
        )
    if event.resolve_due_at is not None:
        event.resolve_due_at = _shift(
            event, event.resolve_due_at, step.now, max(hours_between(paused, event.resolve_due_at, basis), 0)
        )
    assignment = _lead_assignment(event)
    if assignment is not None and assignment.resolve_due_at is not None:
        assignment.resolve_due_at = _shift(
            event,
            assignment.resolve_due_at,
            step.now,
            max(hours_between(paused, assignment.resolve_due_at, basis), 0),
        )
        assignment.save(update_fields=["resolve_due_at"])
    event.paused_at = None


def _on_approve_extension(step: _Step) -> None:
    event = step.event
    request = _decide(step, Request.EXTEND, True)
    hours = request.hours or 0
    basis = event.category.time_basis
    if event.due_at is not None:
        event.due_at = add_hours(max(event.due_at, step.now), hours, basis)
    if event.resolve_due_at is not None:
        event.resolve_due_at = add_hours(max(event.resolve_due_at, step.now), hours, basis)
    assignment = _lead_assignment(event)
    if assignment is not None:
        for name in ("ack_due_at", "resolve_due_at"):
            value = getattr(assignment, name)
            if value is not None:
                setattr(assignment, name, add_hours(max(value, step.now), hours, basis))
        assignment.save(update_fields=["ack_due_at", "resolve_due_at"])
    step.step_data["hours"] = hours


def _on_refuse_extension(step: _Step) -> None:
    _require_note(step, "驳回必须说明理由")
    _decide(step, Request.EXTEND, False)
    step.keep_overdue = True


def _on_merge(step: _Step) -> None:

    event = step.event
    into = step.data.get("into")
    if into in (None, ""):
        raise ValidationError({"into": "请指定要合并到的事件"})
    targets = Event.objects.restrict(step.user) if step.user is not None else Event.objects.all()
    target = targets.filter(number=str(into)).first()
    if target is None and str(into).isdigit():
        target = targets.filter(pk=int(into)).first()
    if target is None:
        raise ValidationError({"into": f"事件 {into} 不存在或不在您的范围内"})
    if target.pk == event.pk:
        raise ValidationError({"into": "不能把事件合并到它自己"})
    if target.state in (State.MERGED, State.CLOSED):
        raise ConflictError(
            f"事件 {target.number} 已{STATE_NAMES[target.state]}，不能合并到它",
            state=target.state,
            action=Action.MERGE,
        )
    if step.user is not None and Actor.CENTRE not in actor_kinds(target, step.user):
        raise PermissionDenied(f"您不是事件 {target.number} 的受理综治中心，不能合并到它")
    event.merged_into = target
    event.due_at = None
    event.closed_at = step.now
    step.step_data.update(into=target.number)
    if event.residents.exists():
        target.residents.add(*event.residents.all())
    if event.households.exists():
        target.households.add(*event.households.all())

    def mark_target(_saved: EventStep) -> None:
        EventStep.objects.create(
            event=target,
            at=step.now,
            actor=step.user if _is_user(step.user) else None,
            action="merged_in",
            from_state=target.state,
            to_state=target.state,
            note=f"合并了重复事件 {event.number}",
            data={"merged": event.number},
        )

    step.after_save.append(mark_target)
    recipients = [event.reporter] if event.reporter else []
    step.notify.append((recipients, f"{event.number} 与 {target.number} 重复，已合并"))


HANDLERS: dict[str, Callable[[_Step], None]] = {
    Action.ACCEPT: _on_accept,
    Action.RETURN: _on_return,
    Action.RESUBMIT: _on_resubmit,
    Action.DISPATCH: _on_dispatch,
    Action.DECLINE: _on_decline,
    Action.ACKNOWLEDGE: _on_acknowledge,
    Action.START: _on_start,
    Action.HANDLE: _on_handle,
    Action.CO_ACKNOWLEDGE: _on_co_acknowledge,
    Action.CO_HANDLE: _on_co_handle,
    Action.CONFIRM: _on_confirm,
    Action.CLOSE: _on_close,
    Action.REOPEN: _on_reopen,
    Action.ESCALATE: _on_escalate,
    Action.SUPERVISE: _on_supervise,
    Action.REQUEST_SUSPENSION: lambda step: _on_request(step, Request.SUSPEND),
    Action.APPROVE_SUSPENSION: _on_approve_suspension,
    Action.REFUSE_SUSPENSION: _on_refuse_suspension,
    Action.RESUME: _on_resume,
    Action.REQUEST_EXTENSION: lambda step: _on_request(step, Request.EXTEND),
    Action.APPROVE_EXTENSION: _on_approve_extension,
    Action.REFUSE_EXTENSION: _on_refuse_extension,
    Action.MERGE: _on_merge,
}


def _who_text(who: Iterable[str]) -> str:
    return "、".join(ACTOR_NAMES[w] for w in sorted(who))


def _check(event: Event, action: str, user: Any) -> str:
    """Resolve the action (a co-handler's acknowledge/handle) and raise 409/403 if not allowed."""
    if action not in ACTION_NAMES:
        raise ValidationError({"action": f"未知动作：{action}"})
    rule = rule_for(event.state, action)
    needs_co = action in (Action.ACKNOWLEDGE, Action.HANDLE) or (rule is not None and Actor.CO in rule.who)
    kinds = actor_kinds(event, user, co=needs_co)
    if action in (Action.ACKNOWLEDGE, Action.HANDLE) and Actor.LEAD not in kinds and Actor.CO in kinds:
        action = Action.CO_ACKNOWLEDGE if action == Action.ACKNOWLEDGE else Action.CO_HANDLE
    rule = rule_for(event.state, action)
    state_name, action_name = STATE_NAMES[event.state], ACTION_NAMES[action]
    if rule is None:
        allowed = actions_from(event.state)
        hint = "、".join(ACTION_NAMES[a] for a in allowed) or "无"
        raise ConflictError(
            f"事件处于“{state_name}”状态，不能执行“{action_name}”（此状态可执行：{hint}）",
            state=event.state,
            action=action,
            allowed=allowed,
        )
    if not rule.who & kinds:
        raise PermissionDenied(
            f"“{action_name}”只能由{_who_text(rule.who)}执行，您不是该事件的{_who_text(rule.who)}"
        )
    return action


def transition(
    event: Event, action: str, *, user: Any, note: str = "", now: datetime | None = None, **data: Any
) -> Event:
    """Apply one workflow action to `event` on behalf of `user` (None: the system/worker).

    Raises ConflictError (409) when the table has no such transition from the current state,
    PermissionDenied (403, logged) when the user is not an actor the rule allows, and
    ValidationError (400) for missing or bad data. Writes an EventStep; the audit log gets the
    event's change and the step through the model signals. Nothing changes on any error.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    try:
        with transaction.atomic(), appended_together():
            locked = (
                Event.objects.select_for_update(of=("self",))
                .select_related("category", "handling_node", "grid", "lead_org")
                .get(pk=event.pk)
            )
            action = _check(locked, action, user)
            rule = rule_for(locked.state, action)
            assert rule is not None
            step = _Step(event=locked, user=user, now=now, note=note, data=data)
            from_state = locked.state
            HANDLERS[action](step)
            if rule.target is not None:
                locked.state = rule.target
            if not step.keep_overdue:
                locked.overdue = bool(
                    locked.state in CLOCK_STATES and locked.due_at is not None and locked.due_at < now
                )
            locked.version += 1
            locked.save()
            saved = EventStep.objects.create(
                event=locked,
                at=now,
                actor=user if _is_user(user) else None,
                organisation=step.organisation,
                action=action,
                from_state=from_state,
                to_state=locked.state,
                note=note,
                data=step.step_data,
            )
            written: list[str] = []
            try:
                _store_photos(locked, saved, step.photos, user, written)
                for hook in step.after_save:
                    hook(saved)
                for recipients, message in step.notify:
                    notifications.notify(
                        recipients, message, subject=locked, awaiting=locked.state, exclude=user
                    )
            except BaseException:
                _remove_files(written)
                raise
    except PermissionDenied as exc:
        record_denied(event, message=f"transition {action}: {exc}", user=user if _is_user(user) else None)
        raise
    # Hand the caller's instance the saved values (and the related objects loaded with them).
    for model_field in Event._meta.concrete_fields:
        setattr(event, model_field.attname, getattr(locked, model_field.attname))
    event._state.fields_cache = dict(locked._state.fields_cache)
    return event
