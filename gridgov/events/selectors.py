"""Reads for whistle and report: which events a user sees, in which order, and what goes with them."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import Scope, scope_of
from gridgov.events.models import (
    Category,
    Event,
    EventAssignment,
    EventStep,
    Notification,
    Organisation,
    OrgMember,
    State,
)
from gridgov.events.workflow import FINAL_STATES, OPEN_STATES

# Overdue first, then the nearest deadline, then the newest. The list indexes end in these columns.
LIST_ORDER = ("-overdue", "due_at", "-id")


def _org_ids(user: Any) -> list[int]:
    from gridgov.events.services import user_org_ids

    return sorted(user_org_ids(user))


def events_for(user: Any) -> QuerySet[Event]:
    """The events `user` may see.

    Officials (grid staff and the governance centres) see their subtree; department staff see
    only what was dispatched to their organisation (their inbox), not their area's subtree;
    everyone sees what they reported themselves.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Event.objects.none()
    report_scope = scope_of(user, Cap.REPORT_EVENT)
    handle_scope = scope_of(user, Cap.HANDLE_EVENT)
    if report_scope.everything or handle_scope.everything:
        return Event.objects.all()
    roots = tuple(sorted(set(report_scope.roots) | set(handle_scope.roots)))
    query = Q(pk__in=[])
    if roots:
        query = Scope(roots=_minimal(roots)).q()
    orgs = _org_ids(user)
    if orgs:
        query |= Q(Exists(EventAssignment.objects.filter(event=OuterRef("pk"), organisation_id__in=orgs)))
    query |= Q(reporter=user)
    return Event.objects.filter(query)


def _minimal(paths: tuple[str, ...]) -> tuple[str, ...]:
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return tuple(sorted(kept))


def inbox_for(user: Any, *, include_done: bool = False) -> QuerySet[Event]:
    """Events dispatched to the user's organisations (active assignments), overdue first."""
    orgs = _org_ids(user)
    if not orgs:
        return Event.objects.none()
    assignments = EventAssignment.objects.filter(event=OuterRef("pk"), organisation_id__in=orgs, active=True)
    if not include_done:
        assignments = assignments.filter(handled_at__isnull=True)
    return Event.objects.filter(Exists(assignments)).order_by(*LIST_ORDER)


def ordered(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """The list order: overdue first, nearest deadline, newest."""
    return queryset.order_by(*LIST_ORDER)


@dataclass(frozen=True)
class EventFilter:
    state: str = ""          # a State value, or "open" / "done"
    category: str = ""       # a category code or id; a parent category includes its children
    overdue: bool | None = None
    q: str = ""              # event number or words in the description
    node_id: int | None = None


def filter_events(queryset: QuerySet[Event], filters: EventFilter, user: Any = None) -> QuerySet[Event]:
    if filters.state == "open":
        queryset = queryset.filter(state__in=OPEN_STATES)
    elif filters.state == "done":
        queryset = queryset.filter(state__in=FINAL_STATES)
    elif filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.category:
        category = Category.objects.filter(code=filters.category).first()
        if category is None and str(filters.category).isdigit():
            category = Category.objects.filter(pk=int(filters.category)).first()
        if category is None:
            return queryset.none()
        children = list(category.children.values_list("pk", flat=True))
        queryset = queryset.filter(category_id__in=[category.pk, *children]) if children \
            else queryset.filter(category_id=category.pk)
    if filters.overdue is not None:
        queryset = queryset.filter(overdue=filters.overdue)
    if filters.q:
        text = filters.q.strip()
        queryset = queryset.filter(Q(number=text.upper()) | Q(description__contains=text))
    if filters.node_id is not None:
        from gridgov.accounts.scope import get_visible_or_404
        from gridgov.hierarchy.models import Node

        node = get_visible_or_404(Node.objects.all(), user, pk=filters.node_id)
        queryset = queryset.filter(path__under=node.path)
    return queryset


def list_events(user: Any, filters: EventFilter, *, limit: int = 20, offset: int = 0) -> list[Event]:
    """One page of the user's events: filtered, overdue first."""
    queryset = ordered(filter_events(events_for(user), filters, user))
    queryset = queryset.select_related("category", "grid", "handling_node", "lead_org", "merged_into")
    return list(queryset[offset: offset + limit])


def _distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    radius = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def possible_duplicates(*, category: Category, lng: float | None, lat: float | None, at: datetime | None = None,
                        radius_m: float = 200, hours: float = 24, exclude: Event | None = None,
                        queryset: QuerySet[Event] | None = None) -> list[tuple[Event, float]]:
    """Open events of the same category within `radius_m` and `hours` of a point: (event, metres)."""
    if lng is None or lat is None:
        return []
    at = at or timezone.now()
    degrees_lat = radius_m / 111_000
    degrees_lng = radius_m / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    candidates = (queryset if queryset is not None else Event.objects.all()).filter(
        category=category, created_at__gte=at - timedelta(hours=hours), created_at__lte=at + timedelta(hours=1),
        lng__range=(lng - degrees_lng, lng + degrees_lng), lat__range=(lat - degrees_lat, lat + degrees_lat),
    ).exclude(state__in=[State.MERGED, State.CLOSED, State.RETURNED]).select_related("grid")
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    found: list[tuple[Event, float]] = []
    for event in candidates[:50]:
        if event.lng is None or event.lat is None:
            continue
        distance = _distance_m(lng, lat, event.lng, event.lat)
        if distance <= radius_m:
            found.append((event, round(distance)))
    found.sort(key=lambda pair: pair[1])
    return found


def duplicates_of(event: Event, user: Any = None) -> list[tuple[Event, float]]:
    return possible_duplicates(category=event.category, lng=event.lng, lat=event.lat, at=event.created_at,
                               exclude=event, queryset=events_for(user) if user is not None else None)


# Timeline steps that are not workflow actions.
STEP_NAMES = {"report": "上报", "merged_in": "合并重复事件"}


@dataclass(frozen=True)
class TimelineEntry:
    step: EventStep
    event_number: str   # the event the step belongs to (a merged duplicate's steps show its number)
    merged: bool

    @property
    def action_name(self) -> str:
        from gridgov.events.workflow import ACTION_NAMES

        return STEP_NAMES.get(self.step.action) or ACTION_NAMES.get(self.step.action, self.step.action)

    @property
    def from_name(self) -> str:
        return str(State(self.step.from_state).label) if self.step.from_state in State.values else ""

    @property
    def to_name(self) -> str:
        return str(State(self.step.to_state).label) if self.step.to_state in State.values else ""


def timeline(event: Event) -> list[TimelineEntry]:
    """The event's steps, with the steps of the duplicates merged into it, in time order."""
    merged_ids = list(Event.objects.filter(merged_into=event).values_list("pk", flat=True))
    steps = (EventStep.objects.filter(event_id__in=[event.pk, *merged_ids])
             .select_related("actor", "organisation", "event").order_by("at", "pk"))
    return [TimelineEntry(step, step.event.number, step.event_id != event.pk) for step in steps]


def assignments_of(event: Event) -> QuerySet[EventAssignment]:
    return event.assignments.select_related("organisation").order_by("-active", "role", "pk")


def organisations_for_dispatch(event: Event) -> QuerySet[Organisation]:
    """Active organisations whose area covers the event's grid (nearest area first)."""
    from gridgov.hierarchy.models import Node

    grid = event.grid if isinstance(event.grid, Node) else Node.objects.get(pk=event.grid_id)
    return Organisation.objects.filter(active=True, path__in=grid.ancestor_paths()).order_by("-path", "kind", "name")


def memberships_of(user: Any) -> QuerySet[OrgMember]:
    return OrgMember.objects.filter(user=user).select_related("organisation", "organisation__area")


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    queryset = Notification.objects.filter(user=user).select_related("event")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-pk")


def unread_count(user: Any) -> int:
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
