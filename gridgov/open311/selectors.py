"""Reads for Open311: the service list (the event catalog), service definitions, and requests as
GeoReport v2 describes them.

What GET requests shows: requests filed through Open311, never events reported by staff (their
descriptions may name residents). Without an API key, only non-dispute requests (dispute
parties are sensitive personal data); with a client's key, also that client's own disputes.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gridgov.events.models import Category, Event, EventStep, OrgKind, State
from gridgov.open311.models import Client, ServiceAttribute, ServiceRequest

MAX_RESULTS = 1000
DEFAULT_WINDOW_DAYS = 90
CLOSED_STATES = (State.CLOSED, State.MERGED, State.RETURNED)
_KIND_NAMES = dict(OrgKind.choices)


def services() -> QuerySet[Category]:
    """Reportable categories: active ones without active sub-categories."""
    has_children = Category.objects.filter(parent=OuterRef("pk"), active=True)
    return (
        Category.objects.filter(active=True)
        .exclude(Exists(has_children))
        .select_related("parent")
        .order_by("code")
    )


def service(code: str) -> Category | None:
    return services().filter(code=code).first()


def service_dict(category: Category, with_attributes: set[int]) -> dict[str, Any]:
    group = category.parent.name if category.parent else str(_KIND_NAMES.get(category.owner_kind, ""))
    keywords = [category.name, group, str(_KIND_NAMES.get(category.owner_kind, ""))]
    if category.is_dispute:
        keywords.append("矛盾纠纷")
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{group} · {category.name}：由{_KIND_NAMES.get(category.owner_kind, '')}负责处置，"
        f"{category.ack_hours}小时内签收，{category.resolve_hours}小时内办结",
        "metadata": category.pk in with_attributes,
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys(k for k in keywords if k)),
        "group": group,
    }


def service_list() -> list[dict[str, Any]]:
    rows = list(services())
    with_attributes = set(
        ServiceAttribute.objects.filter(category__in=rows).values_list("category_id", flat=True)
    )
    return [service_dict(c, with_attributes) for c in rows]


def attributes_of(category: Category) -> list[ServiceAttribute]:
    return list(ServiceAttribute.objects.filter(category=category).order_by("order", "code"))


def definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": a.order,
                "description": a.description,
                "values": [{"key": v["key"], "name": v["name"]} for v in a.values],
            }
            for a in attributes_of(category)
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def status_of(event: Event) -> str:
    return "closed" if event.state in CLOSED_STATES else "open"


def _status_notes(event: Event) -> str:
    """What a follower wants to know: the state, and the last note or result."""
    steps = (
        EventStep.objects.filter(event=event)
        .exclude(action__startswith="dispute_")
        .order_by("-at", "-pk")
        .values_list("note", "data")[:20]
    )
    label = event.get_state_display()
    for note, data in steps:
        text = str((data or {}).get("result") or note or "").strip()
        if text:
            return f"{label}：{text}"[:500]
    return str(label)


def request_dict(event: Event) -> dict[str, Any]:
    sr: ServiceRequest | None = getattr(event, "open311_request", None)
    agency = event.lead_org.name if event.lead_org else f"{event.handling_node.name}综治中心"
    return {
        "service_request_id": event.number,
        "status": status_of(event),
        "status_notes": _status_notes(event),
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": event.description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": _iso(event.created_at),
        "updated_datetime": _iso(event.updated_at),
        "expected_datetime": _iso(event.resolve_due_at) if status_of(event) == "open" else None,
        "address": sr.address_string if sr is not None and sr.address_string else event.address,
        "address_id": sr.address_id if sr is not None else "",
        "zipcode": "",
        "lat": event.lat,
        "long": event.lng,
        "media_url": sr.media_url if sr is not None else "",
    }


def requests_for(client: Client | None) -> QuerySet[Event]:
    """Events a caller may follow through Open311 (see the module docstring)."""
    filed = Event.objects.filter(open311_request__isnull=False)
    public = Q(category__is_dispute=False)
    if client is not None:
        public |= Q(open311_request__client=client)
    return filed.filter(public).select_related("category", "lead_org", "handling_node", "open311_request")


def find_requests(
    client: Client | None,
    *,
    ids: list[str] | None = None,
    codes: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: list[str] | None = None,
) -> list[Event]:
    """GET requests: ids win over every other filter (as the spec says); otherwise the last 90
    days unless dates are given; newest first; at most 1000."""
    queryset = requests_for(client)
    if ids:
        return list(queryset.filter(number__in=ids).order_by("-created_at")[:MAX_RESULTS])
    if codes:
        queryset = queryset.filter(category__code__in=codes)
    if start is None and end is None:
        start = timezone.now() - timedelta(days=DEFAULT_WINDOW_DAYS)
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lte=end)
    if statuses and set(statuses) != {"open", "closed"}:
        closed = Q(state__in=CLOSED_STATES)
        queryset = queryset.filter(closed if statuses == ["closed"] else ~closed)
    return list(queryset.order_by("-created_at", "-pk")[:MAX_RESULTS])


def find_request(client: Client | None, number: str) -> Event | None:
    return requests_for(client).filter(number=number).first()


def find_token(client: Client | None, token: str) -> Event | None:
    return requests_for(client).filter(open311_request__token=token).first()
