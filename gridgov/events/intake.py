"""Reporting an event: check everything, then write the event with its first step, photos, people
and the notice to its centre in one transaction; idempotency keys make retries safe.

`report_event` is the contract other apps build on (disputes, Open311, the phone app, the intake
benchmark): keep its signature stable."""

import contextlib
import hashlib
import math
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cachetools import TTLCache, cached
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require
from gridgov.audit.services import appended_together, record_created
from gridgov.core.context import ActorContext, using_context
from gridgov.core.errors import ConflictError
from gridgov.core.idempotency import body_hash, check_key
from gridgov.events import hooks
from gridgov.events.deadlines import add_hours
from gridgov.events.models import (
    Category,
    Event,
    EventPhoto,
    EventStep,
    IdempotencyKey,
    State,
)
from gridgov.events.photos import CheckedPhoto, check_photos, remove_files, save_photo_file
from gridgov.events.selectors import category_by_key, centre_user_ids, is_user
from gridgov.hierarchy.geo import GridLocator
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications import services as notifications
from gridgov.registry.models import Household, Resident

MAX_DESCRIPTION = 2000
DUPLICATE_RADIUS_M = 200
DUPLICATE_WINDOW_HOURS = 24


def resolve_category(category: Category | str | int | None) -> Category:
    if isinstance(category, Category):
        found: Category | None = category
    elif category in (None, ""):
        raise ValidationError({"category": "请选择事件分类"})
    else:
        found = category_by_key(str(category).strip())
    if found is None or not found.active:
        raise ValidationError({"category": f"未知的事件分类：{category}"})
    return found


def _resolve_grid(grid: Node | int | None, lng: float | None, lat: float | None) -> Node:
    if grid is not None:
        node = grid if isinstance(grid, Node) else grid_node(int(grid))
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
    located = grid_node(grid_id) if grid_id is not None else None
    if located is None:
        raise ValidationError({"location": f"位置（{lng:.6f}, {lat:.6f}）不在本市任何网格内"})
    return located


# Grid nodes (with their community), read on every report and rarely changed: kept a minute per
# process, like the grid locator's polygons. Grid ids are never reused. (People are not cached: a
# cached id of an account that a rolled-back transaction created would break a notice's key.)
_GRIDS: TTLCache[int, Node | None] = TTLCache(maxsize=20_000, ttl=60)
_GRIDS_LOCK = threading.Lock()


@cached(_GRIDS, lock=_GRIDS_LOCK)
def grid_node(grid_id: int) -> Node | None:
    return Node.objects.select_related("parent").filter(pk=grid_id).first()


def forget_cached_rows() -> None:
    """Drop cached grids (tests; node changes call it through a signal)."""
    with _GRIDS_LOCK:
        _GRIDS.clear()


@dataclass
class CheckedReport:
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


def check_report(
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
) -> CheckedReport:
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
    return CheckedReport(
        reporter_id=user.pk if is_user(user) else None,
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


def report_hash(report: CheckedReport, body_for_idempotency: Any) -> str:
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


def store_files(report: CheckedReport, written: list[str]) -> None:
    """Store the report's photo files (before its transaction; `written` lists them for clean-up)."""
    for photo in report.photos:
        report.stored.append((save_photo_file(photo, written), photo.content_type, len(photo.content)))


def _audit_created(instances: Sequence[Model], reports: Sequence[CheckedReport]) -> None:
    """One CREATE row per written row, each as its reporter (a queued report's rows are the
    reporter's, with the queuing request's id and address)."""
    for instance, report in zip(instances, reports, strict=True):
        with report.acting():
            record_created([instance])


def write_reports(reports: list[CheckedReport]) -> list[Event]:
    """Write checked reports as events, each with its first step, photos, people and the notice
    to its community's centre, in a few statements for the lot (the worker writes the queue in
    batches). Call inside a transaction and `appended_together()`.

    Its side effects are explicit: an audit row per written row (as its reporter), the notices,
    and `hooks.events_reported` (disputes, the phone app's change log)."""
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
    _audit_created(events, reports)
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
    _audit_created(steps, reports)
    photos: list[EventPhoto] = []
    photo_reports: list[CheckedReport] = []
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
        _audit_created(photos, photo_reports)
    staff: dict[int, list[int]] = {}
    notices: list[notifications.Draft] = []
    for event in events:
        community = event.handling_node
        if community.pk not in staff:
            staff[community.pk] = centre_user_ids(community)
        message = f"新事件待受理：{event.number} {event.category.name}"
        notices += notifications.drafts(staff[community.pk], message, subject=event, awaiting=State.REPORTED)
    notifications.send(notices)
    hooks.events_reported(events)
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
        IdempotencyKey.objects.filter(user=user if is_user(user) else None, scope="event", key=key)
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


def replay(user: Any, key: str, body_hash: str) -> Event | None:
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
        check_scope=check_scope,
    )
    body_hash = ""
    if key is not None:
        body_hash = report_hash(report, body_for_idempotency)
        replayed = replay(user, key, body_hash)
        if replayed is not None:
            return replayed, False

    written: list[str] = []
    try:
        store_files(report, written)
        # The audit rows go to the chain last, after the key is claimed (see appended_together).
        with transaction.atomic(), appended_together():
            event = write_reports([report])[0]
            if key is not None:
                # The key is claimed last, in one INSERT: a concurrent retry that got here first
                # makes this fail on the unique constraint (PostgreSQL waits for its COMMIT), the
                # whole transaction rolls back, and the winner's event is replayed below.
                IdempotencyKey.objects.create(
                    key=key,
                    user=user if is_user(user) else None,
                    scope="event",
                    body_hash=body_hash,
                    event=event,
                )
    except IntegrityError:
        remove_files(written)
        if key is None:
            raise
        replayed = replay(user, key, body_hash)
        if replayed is None:
            raise
        return replayed, False
    except BaseException:
        remove_files(written)
        raise
    return event, True
