"""Events in the JSON API (/api/v1/events…, /api/v1/inbox…).

Reporting from a phone: `POST /api/v1/events` with JSON, or multipart/form-data when photos are
attached (fields as below, files in `photos`). Phones MUST send an `Idempotency-Key` header (any
unique string up to 100 characters, e.g. a UUID made when the report is first saved on the
phone) and reuse it on every retry: the same key and body answer 200 with the event already made
(header `Idempotent-Replayed: true`), the same key with a different body answers 409. Requests
authenticated by bearer token without the header are refused (400).

In a burst (a storm knocks out heating across a district and hundreds of workers report at
once) a phone may ask for the report to be queued: send `Prefer: respond-async` (RFC 7240). The
report is checked as usual (every bad field is still a 400/403 at once), then accepted with
202, `Preference-Applied: respond-async` and a receipt whose `Location` is
`/api/v1/events/receipts/<key>`; the worker writes it as the same event within about a second.
A retry of a queued report answers the receipt again (202), and once written the event (200).
"""

import math
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from gridgov.accounts.scope import get_visible_or_404
from gridgov.api.params import Finite, ShortPage
from gridgov.core import inputs
from gridgov.core.uploads import serve_upload
from gridgov.events import intake, queue, selectors, transitions
from gridgov.events.models import Category, Event, EventAssignment
from gridgov.events.workflow import STATE_NAMES

router = Router(tags=["events"])

_REPORT_BODY = {
    "type": "object",
    "required": ["category", "description"],
    "properties": {
        "category": {"type": "string", "description": "category code, e.g. heating.pipe_burst"},
        "description": {"type": "string", "maxLength": 2000},
        "lng": {"type": "number"},
        "lat": {"type": "number"},
        "grid_id": {"type": "integer", "description": "instead of lng/lat"},
        "address": {"type": "string"},
        "resident_ids": {"type": "array", "items": {"type": "integer"}},
        "household_ids": {"type": "array", "items": {"type": "integer"}},
    },
}
_MULTIPART_BODY = {
    "type": "object",
    "properties": {
        **_REPORT_BODY["properties"],  # type: ignore[dict-item]
        "photos": {"type": "array", "items": {"type": "string", "format": "binary"}},
    },
}


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_code: str | None
    owner_kind: str
    severity: str
    ack_hours: int
    resolve_hours: int
    time_basis: str
    is_dispute: bool


class EventOut(Schema):
    id: int
    number: str
    category: str
    category_name: str
    description: str
    severity: str
    state: str
    state_name: str
    overdue: bool
    due_at: datetime | None
    resolve_due_at: datetime | None
    supervision: str
    escalations: int
    reopen_count: int
    grid_id: int
    grid_name: str
    handling_node_id: int
    handling_node_name: str
    lead_org: str | None
    lng: float | None
    lat: float | None
    address: str
    channel: str
    created_at: datetime
    closed_at: datetime | None
    satisfaction: int | None
    merged_into: str | None
    version: int


class DuplicateOut(Schema):
    id: int
    number: str
    state: str
    distance_m: float
    description: str
    created_at: datetime


class StepOut(Schema):
    at: datetime
    event_number: str
    merged: bool
    action: str
    action_name: str
    from_state: str
    to_state: str
    actor: str | None
    organisation: str | None
    note: str
    data: dict[str, Any]


class AssignmentOut(Schema):
    organisation_id: int
    organisation: str
    role: str
    active: bool
    dispatched_at: datetime
    ack_due_at: datetime | None
    acknowledged_at: datetime | None
    resolve_due_at: datetime | None
    handled_at: datetime | None
    result: str


class EventDetailOut(EventOut):
    reporter: str | None
    timeline: list[StepOut]
    assignments: list[AssignmentOut]
    allowed_actions: list[str]
    duplicates: list[DuplicateOut]
    photos: list[str] = Field(
        description="where to read each photo: GET it with the same login (404 outside your scope)"
    )


class EventPage(Schema):
    items: list[EventOut]
    limit: int
    offset: int
    next_offset: int | None


class EventFilterIn(Schema):
    state: str | None = Field(None, description="a state, or 'open' / 'done'")
    category: str | None = Field(None, description="category code (a parent includes its children)")
    overdue: bool | None = None
    q: str | None = Field(None, max_length=100, description="event number or words in the description")
    node_id: int | None = Field(None, description="only this node's subtree")
    mine: bool = Field(False, description="only events you reported (我上报的)")


class TransitionIn(Schema):
    action: str
    note: str = ""
    lead_org_id: int | None = None
    co_org_ids: list[int] = []
    result: str | None = None
    satisfaction: int | None = None
    grade: str | None = None
    hours: int | None = None
    into: str | None = Field(None, description="merge: number or id of the surviving event")
    organisation_id: int | None = Field(
        None, description="co-handler acting for one of several organisations"
    )
    description: str | None = Field(None, description="resubmit: corrected description")


class Error(Schema):
    detail: str


class ReceiptOut(Schema):
    key: str
    state: str = Field(description="queued | created | failed")
    accepted_at: datetime
    receipt_url: str
    event_id: int | None
    event_number: str | None
    event_url: str | None
    error: str


def receipt_out(receipt: intake.Receipt) -> dict[str, Any]:
    event = receipt.event
    return {
        "key": receipt.key,
        "state": receipt.state,
        "accepted_at": receipt.accepted_at,
        # Any key a phone sent must make a working URL: '/', '?', '#', non-ASCII.
        "receipt_url": f"/api/v1/events/receipts/{quote(receipt.key, safe='')}",
        "event_id": event.pk if event else None,
        "event_number": event.number if event else None,
        "event_url": f"/api/v1/events/{event.pk}" if event else None,
        "error": receipt.error,
    }


def event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "number": event.number,
        "category": event.category.code,
        "category_name": event.category.name,
        "description": event.description,
        "severity": event.severity,
        "state": event.state,
        "state_name": STATE_NAMES.get(event.state, event.state),
        "overdue": event.overdue,
        "due_at": event.due_at,
        "resolve_due_at": event.resolve_due_at,
        "supervision": event.supervision,
        "escalations": event.escalations,
        "reopen_count": event.reopen_count,
        "grid_id": event.grid_id,
        "grid_name": event.grid.name,
        "handling_node_id": event.handling_node_id,
        "handling_node_name": event.handling_node.name,
        "lead_org": event.lead_org.name if event.lead_org else None,
        "lng": event.lng,
        "lat": event.lat,
        "address": event.address,
        "channel": event.channel,
        "created_at": event.created_at,
        "closed_at": event.closed_at,
        "satisfaction": event.satisfaction,
        "merged_into": event.merged_into.number if event.merged_into_id and event.merged_into else None,
        "version": event.version,
    }


def duplicate_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `selectors.nearby_open_rows` as the API shows them."""
    return [
        {
            "id": row["id"],
            "number": row["number"],
            "state": row["state"],
            "distance_m": row["distance_m"],
            "description": row["description"][:100],
            "created_at": row["created_at"],
        }
        for row in rows
    ]


def assignment_out(assignment: EventAssignment) -> dict[str, Any]:
    return {
        "organisation_id": assignment.organisation_id,
        "organisation": assignment.organisation.name,
        "role": assignment.role,
        "active": assignment.active,
        "dispatched_at": assignment.dispatched_at,
        "ack_due_at": assignment.ack_due_at,
        "acknowledged_at": assignment.acknowledged_at,
        "resolve_due_at": assignment.resolve_due_at,
        "handled_at": assignment.handled_at,
        "result": assignment.result,
    }


def _step_out(entry: selectors.TimelineEntry) -> dict[str, Any]:
    step = entry.step
    return {
        "at": step.at,
        "event_number": entry.event_number,
        "merged": entry.merged,
        "action": step.action,
        "action_name": entry.action_name,
        "from_state": step.from_state,
        "to_state": step.to_state,
        "actor": (step.actor.full_name or step.actor.username) if step.actor else None,
        "organisation": step.organisation.name if step.organisation_id and step.organisation else None,
        "note": step.note,
        "data": step.data,
    }


def event_detail(event: Event, user: Any) -> dict[str, Any]:
    steps = [_step_out(entry) for entry in selectors.timeline(event)]
    return {
        **event_out(event),
        "reporter": (event.reporter.full_name or event.reporter.username) if event.reporter else None,
        "timeline": steps,
        "assignments": [assignment_out(a) for a in selectors.assignments_of(event)],
        "allowed_actions": selectors.allowed_actions(event, user),
        "duplicates": duplicate_out(selectors.duplicate_rows_of(event, user))
        if event.state == "reported"
        else [],
        "photos": [photo_url(event.pk, photo.pk) for photo in event.photos.all()],
    }


def photo_url(event_id: int, photo_id: int) -> str:
    return f"/api/v1/events/{event_id}/photos/{photo_id}"


def _load(request: HttpRequest, event_id: int) -> Event:
    related = ("category", "grid", "handling_node", "lead_org", "reporter", "merged_into")
    return get_visible_or_404(Event.objects.select_related(*related), request.user, pk=event_id)


def _report_input(request: HttpRequest) -> tuple[dict[str, Any], list[Any]]:
    """The report's fields from JSON or multipart, and the uploaded photos.

    The idempotency hash is taken over the parsed report (services), so a retry that
    serialises the same report differently is still the same body."""
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") or content_type == "application/x-www-form-urlencoded":
        fields: dict[str, Any] = {key: request.POST.get(key) for key in request.POST}
        for many in ("resident_ids", "household_ids"):
            values = [v for item in request.POST.getlist(many) for v in str(item).split(",") if v.strip()]
            fields[many] = values
        return fields, request.FILES.getlist("photos")
    try:
        return inputs.request_object(request), []
    except inputs.JSONRefused as exc:
        raise ValidationError({"body": str(exc)}) from None


def _number(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} 必须是数字"}) from None
    if not math.isfinite(number):
        raise ValidationError({name: f"{name} 必须是有限的数字"})
    return number


def _ids(value: Any, name: str) -> list[int]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    try:
        return [int(item) for item in items]
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} 必须是整数列表"}) from None


def _wants_async(request: HttpRequest) -> bool:
    """RFC 7240: `Prefer: respond-async` (among other preferences, any case)."""
    prefer = request.headers.get("Prefer", "")
    return any(
        item.split(";", 1)[0].split("=", 1)[0].strip().lower() == "respond-async"
        for item in prefer.split(",")
    )


@router.post(
    "/events",
    response={200: EventDetailOut, 201: EventDetailOut, 202: ReceiptOut, 400: Error, 403: Error, 409: Error},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": _REPORT_BODY},
                "multipart/form-data": {"schema": _MULTIPART_BODY},
            }
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 100},
                "description": "required with bearer tokens (phones); reuse on retry",
            },
            {
                "in": "header",
                "name": "Prefer",
                "required": False,
                "schema": {"type": "string", "enum": ["respond-async"]},
                "description": "queue the report: 202 with a receipt (see the module doc)",
            },
        ],
    },
)
def report(request: HttpRequest, response: HttpResponse) -> Status[dict[str, Any]]:
    """Report an event (JSON, or multipart with `photos`). See the module doc on Idempotency-Key
    and on `Prefer: respond-async`."""
    key = request.headers.get("Idempotency-Key")
    if not key and getattr(request, "api_token", None) is not None:
        raise ValidationError(
            {"idempotency_key": "手机端提交必须带 Idempotency-Key 请求头（重试时复用同一个值）"}
        )
    fields, photos = _report_input(request)
    grid_id = fields.get("grid_id")
    report_fields: dict[str, Any] = {
        "user": request.user,
        "category": fields.get("category") or "",
        "description": str(fields.get("description") or ""),
        "lng": _number(fields.get("lng"), "lng"),
        "lat": _number(fields.get("lat"), "lat"),
        "grid": int(str(grid_id)) if str(grid_id or "").isdigit() else None,
        "address": str(fields.get("address") or ""),
        "photos": photos,
        "resident_ids": _ids(fields.get("resident_ids"), "resident_ids"),
        "household_ids": _ids(fields.get("household_ids"), "household_ids"),
        "idempotency_key": key,
        "channel": "api",
    }
    if _wants_async(request):
        receipt = queue.queue_report(**report_fields)
        if receipt.event is not None:
            response["Idempotent-Replayed"] = "true"
            return Status(200, event_detail(_load(request, receipt.event.pk), request.user))
        if receipt.state == "failed":
            raise intake.not_written(receipt)
        body = receipt_out(receipt)
        response["Preference-Applied"] = "respond-async"
        response["Location"] = body["receipt_url"]
        return Status(202, body)
    event, created = intake.report_event(**report_fields)
    if not created:
        response["Idempotent-Replayed"] = "true"
        return Status(200, event_detail(_load(request, event.pk), request.user))
    # A new event: answer from the object just written (phones report in bursts; no reload).
    step = event.report_step
    detail = {
        **event_out(event),
        "reporter": (request.user.full_name or request.user.username),  # type: ignore[union-attr]
        "timeline": [_step_out(selectors.TimelineEntry(step, event.number, False))] if step else [],
        "assignments": [],
        "allowed_actions": selectors.allowed_actions(event, request.user),
        "duplicates": duplicate_out(selectors.duplicate_rows_of(event, request.user)),
        "photos": [photo_url(event.pk, photo.pk) for photo in event.photos.all()] if photos else [],
    }
    return Status(201, detail)


def _page(rows: list[dict[str, Any]], limit: int, offset: int) -> JsonResponse:
    """A page of events as JSON, serialised directly: lists are the hot path, and re-validating
    every row against the schema (which documents the shape) costs more than the query."""
    for row in rows:
        row["state_name"] = STATE_NAMES.get(row["state"], row["state"])
    return JsonResponse(
        {
            "items": rows[:limit],
            "limit": limit,
            "offset": offset,
            "next_offset": offset + limit if len(rows) > limit else None,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@router.get("/events", response=EventPage)
def list_events(request: HttpRequest, filters: Query[EventFilterIn], page: Query[ShortPage]) -> HttpResponse:
    """The user's events (scoped): open ones first, overdue first among them, then the nearest
    deadline, then the newest; paged by limit (≤ 100) and offset."""
    limit, offset = page.limit, page.offset
    rows = selectors.list_event_rows(
        request.user,
        selectors.EventFilter(
            state=filters.state or "",
            category=filters.category or "",
            overdue=filters.overdue,
            q=filters.q or "",
            node_id=filters.node_id,
            mine=filters.mine,
        ),
        limit=limit + 1,
        offset=offset,
    )
    return _page(rows, limit, offset)


@router.get("/events/duplicates", response=list[DuplicateOut])
def suggest_duplicates(request: HttpRequest, category: str, lng: Finite, lat: Finite) -> list[dict[str, Any]]:
    """Open events of the same category within 200 m reported in the last 24 h (before reporting)."""
    category_obj = intake.resolve_category(category)
    return duplicate_out(
        selectors.nearby_open_rows(
            category=category_obj, lng=lng, lat=lat, queryset=Event.objects.restrict(request.user)
        )
    )


@router.get("/event-categories", response=list[CategoryOut])
def list_categories(request: HttpRequest) -> list[dict[str, Any]]:
    """The event catalog (active categories)."""
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "parent_code": c.parent.code if c.parent else None,
            "owner_kind": c.owner_kind,
            "severity": c.severity,
            "ack_hours": c.ack_hours,
            "resolve_hours": c.resolve_hours,
            "time_basis": c.time_basis,
            "is_dispute": c.is_dispute,
        }
        for c in Category.objects.filter(active=True).select_related("parent").order_by("code")
    ]


@router.get("/events/receipts/{path:key}", response={200: ReceiptOut, 404: Error})
def get_receipt(request: HttpRequest, key: str) -> dict[str, Any]:
    """What became of a report sent with this Idempotency-Key (your own keys only): queued, created
    (with the event's number and address) or failed (with the reason)."""
    receipt = intake.receipt_for(request.user, key)
    if receipt is None:
        raise Http404
    return receipt_out(receipt)


@router.get("/events/{event_id}", response=EventDetailOut)
def get_event(request: HttpRequest, event_id: int) -> dict[str, Any]:
    """One event with its timeline (including merged duplicates'), assignments and allowed actions."""
    return event_detail(_load(request, event_id), request.user)


@router.get("/events/{event_id}/photos/{eventphoto_id}")
def get_photo(request: HttpRequest, event_id: int, eventphoto_id: int) -> FileResponse:
    """One photo of an event in your scope (the image itself; 404 outside your scope), not cached."""
    event = _load(request, event_id)
    found = event.photos.filter(pk=eventphoto_id).first()
    if found is None:
        raise Http404
    return serve_upload(found.image, found.content_type)


@router.post(
    "/events/{event_id}/transitions", response={200: EventDetailOut, 400: Error, 403: Error, 409: Error}
)
def make_transition(request: HttpRequest, event_id: int) -> dict[str, Any]:
    """Apply a workflow action: {action, note, …} as JSON, or multipart with `photos` for handle.

    409 when the action is not allowed from the current state, 403 when you are not the actor
    the workflow requires (the message says who is).
    """
    event = _load(request, event_id)
    content_type = request.content_type or ""
    photos: list[Any] = []
    if content_type.startswith("multipart/"):
        raw: dict[str, Any] = {key: request.POST.get(key) for key in request.POST}
        raw["co_org_ids"] = [
            v for item in request.POST.getlist("co_org_ids") for v in str(item).split(",") if v
        ]
        photos = request.FILES.getlist("photos")
    else:
        try:
            raw = inputs.request_object(request)
        except inputs.JSONRefused as exc:
            raise ValidationError({"body": str(exc)}) from None
    try:
        body = TransitionIn(**raw)
    except Exception as exc:
        raise ValidationError({"body": f"参数错误：{exc}"}) from None
    data = body.dict(exclude={"action", "note"}, exclude_none=True)
    if photos:
        data["photos"] = photos
    transitions.transition(event, body.action, user=request.user, note=body.note, **data)
    return event_detail(_load(request, event_id), request.user)


@router.get("/inbox/events", response=EventPage)
def department_inbox(request: HttpRequest, page: Query[ShortPage]) -> HttpResponse:
    """Events dispatched to the user's organisations and not yet handled by them, overdue first."""
    limit, offset = page.limit, page.offset
    return _page(
        selectors.fetch_rows(selectors.inbox_for(request.user), limit=limit + 1, offset=offset), limit, offset
    )
