"""Reads for whistle and report: which events a user sees, in which order, and what goes with them."""

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import ROLE_CAPS, Cap
from gridgov.accounts.scope import can, get_visible_or_404, principal_of, subtree_q
from gridgov.events.models import (
    AssignmentRole,
    Category,
    Event,
    EventAssignment,
    EventStep,
    Organisation,
    OrgMember,
    State,
)
from gridgov.events.workflow import FINAL_STATES, Actor, actions_from, rule_for
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Node

# Open events first (overdue ones first among them), then the nearest deadline, then the newest.
# Every list index ends in these columns. Overdue events are always open, so "-is_open, -overdue"
# is "overdue first"; only open events have deadlines, so NULL deadlines sort the same everywhere.
LIST_ORDER = ("-is_open", "-overdue", "due_at", "-id")


def inbox_for(user: Any, *, include_done: bool = False) -> QuerySet[Event]:
    """Events dispatched to the user's organisations (active assignments), overdue first."""
    orgs = principal_of(user).org_ids
    if not orgs:
        return Event.objects.none()
    assignments = EventAssignment.objects.filter(organisation_id__in=orgs, active=True)
    if not include_done:
        assignments = assignments.filter(handled_at__isnull=True)
    return Event.objects.filter(pk__in=assignments.values("event_id")).order_by(*LIST_ORDER)


def ordered(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """The list order: overdue first, nearest deadline, newest."""
    return queryset.order_by(*LIST_ORDER)


@dataclass(frozen=True)
class EventFilter:
    state: str = ""  # a State value, or "open" / "done"
    category: str = ""  # a category code or id; a parent category includes its children
    overdue: bool | None = None
    q: str = ""  # event number or words in the description
    node_id: int | None = None
    # Local dates (inclusive) of the report, or of the closing when `date_field` is "closed".
    date_from: date | None = None
    date_to: date | None = None
    date_field: str = "created"
    supervision: str = ""  # "red" / "yellow"
    mine: bool = False  # only events the user reported (我上报的)


class _CatalogCache:
    """The event catalog by code and by id, with each category's sub-categories. Cached per
    process for a minute and dropped when a category is saved: every report and every list
    looks a category up, and the catalog changes a few times a year."""

    lock = threading.Lock()
    categories: dict[str, Category] | None = None
    ids: dict[str, list[int]] = {}
    loaded_at = 0.0

    @classmethod
    def load(cls) -> None:
        if cls.categories is not None and time.monotonic() - cls.loaded_at < 60:
            return
        rows = list(Category.objects.all())
        by_key: dict[str, Category] = {}
        ids: dict[str, list[int]] = {}
        for category in rows:
            by_key[category.code] = by_key[str(category.pk)] = category
            ids[category.code] = ids[str(category.pk)] = [category.pk]
        for category in rows:
            if category.parent_id is not None:
                # One list per category, under both its code and its id.
                ids[str(category.parent_id)].append(category.pk)
        cls.categories, cls.ids, cls.loaded_at = by_key, ids, time.monotonic()


def invalidate_catalog() -> None:
    with _CatalogCache.lock:
        _CatalogCache.categories = None


def category_ids(code_or_id: str | int) -> list[int]:
    """A category and its sub-categories, by code or id."""
    with _CatalogCache.lock:
        _CatalogCache.load()
        return list(_CatalogCache.ids.get(str(code_or_id).strip(), []))


def category_by_key(code_or_id: str) -> Category | None:
    """A category by code, or by id given as digits (callers check `active`)."""
    with _CatalogCache.lock:
        _CatalogCache.load()
        assert _CatalogCache.categories is not None
        return _CatalogCache.categories.get(code_or_id)


def filter_events(queryset: QuerySet[Event], filters: EventFilter, user: Any = None) -> QuerySet[Event]:
    if filters.state == "open":
        queryset = queryset.filter(is_open=True)
    elif filters.state == "done":
        queryset = queryset.filter(state__in=FINAL_STATES)
    elif filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.category:
        ids = category_ids(filters.category)
        if not ids:
            return queryset.none()
        queryset = (
            queryset.filter(category_id__in=ids) if len(ids) > 1 else queryset.filter(category_id=ids[0])
        )
    if filters.overdue:
        queryset = queryset.filter(
            is_open=True, overdue=True
        )  # overdue implies open: lets the index serve it
    elif filters.overdue is not None:
        queryset = queryset.filter(overdue=False)
    if filters.q:
        text = filters.q.strip()
        queryset = queryset.filter(Q(number=text.upper()) | Q(description__contains=text))
    if filters.node_id is not None:
        node = get_visible_or_404(Node.objects.defer("boundary"), user, pk=filters.node_id)
        queryset = queryset.filter(subtree_q(node.path))
    if filters.supervision:
        queryset = queryset.filter(is_open=True, supervision=filters.supervision)
    if filters.mine:
        queryset = (
            queryset.filter(reporter_id=getattr(user, "pk", None)) if user is not None else queryset.none()
        )
    field = "closed_at" if filters.date_field == "closed" else "created_at"
    if filters.date_from is not None:
        queryset = queryset.filter(**{f"{field}__gte": _day_start(filters.date_from)})
    if filters.date_to is not None:
        queryset = queryset.filter(**{f"{field}__lt": _day_start(filters.date_to + timedelta(days=1))})
    return queryset


def _day_start(day: date) -> datetime:
    """Midnight of a local day, as an aware time."""
    return timezone.make_aware(datetime.combine(day, clock.min))


def area_choices(user: Any, selected: int | None = None, limit: int = 3000) -> list[tuple[int, str]]:
    """Areas the user may filter a list by: their subtree down to communities (indented by
    level), and the selected node when it lies deeper (a grid, from the overview)."""
    levels = ["city", "county", "township", "community"]
    nodes = list(
        Node.objects.restrict(user)
        .filter(level__in=levels)
        .order_by("path")
        .values_list("pk", "name", "level")[:limit]
    )
    if selected is not None and selected not in {pk for pk, _name, _level in nodes}:
        extra = Node.objects.restrict(user).filter(pk=selected).values_list("pk", "name", "level").first()
        if extra is not None:
            nodes.append(extra)
    depth = {level: i for i, level in enumerate([*levels, "grid", "building"])}
    return [(pk, "\u3000" * depth[level] + name) for pk, name, level in nodes]


LIST_RELATED = ("category", "grid", "handling_node", "lead_org")
# Grid and centre polygons are large JSON documents a list never shows.
LIST_DEFERRED = ("grid__boundary", "handling_node__boundary")


def list_events(user: Any, filters: EventFilter, *, limit: int = 20, offset: int = 0) -> list[Event]:
    """One page of the user's events: filtered, overdue first.

    Two steps: the page's ids from the lean query (which walks a list index and stops after the
    page), then the rows with their related objects. Joining first lets the planner pick a plan
    that sorts wide joined rows (seconds on a million events).
    """
    queryset = ordered(filter_events(Event.objects.restrict(user), filters, user))
    return fetch_page(queryset, limit=limit, offset=offset)


# The list's columns, read as plain values (the API's hot path builds no model instances).
ROW_FIELDS = {
    "id": "id",
    "number": "number",
    "category": "category__code",
    "category_name": "category__name",
    "description": "description",
    "severity": "severity",
    "state": "state",
    "overdue": "overdue",
    "due_at": "due_at",
    "resolve_due_at": "resolve_due_at",
    "supervision": "supervision",
    "escalations": "escalations",
    "reopen_count": "reopen_count",
    "grid_id": "grid_id",
    "grid_name": "grid__name",
    "handling_node_id": "handling_node_id",
    "handling_node_name": "handling_node__name",
    "lead_org": "lead_org__name",
    "lng": "lng",
    "lat": "lat",
    "address": "address",
    "channel": "channel",
    "created_at": "created_at",
    "closed_at": "closed_at",
    "satisfaction": "satisfaction",
    "merged_into": "merged_into__number",
    "version": "version",
}


def list_event_rows(
    user: Any, filters: EventFilter, *, limit: int = 20, offset: int = 0
) -> list[dict[str, Any]]:
    """One page of the user's events as dicts of ROW_FIELDS (same order as `list_events`)."""
    queryset = ordered(filter_events(Event.objects.restrict(user), filters, user))
    return fetch_rows(queryset, limit=limit, offset=offset)


def fetch_rows(queryset: QuerySet[Event], *, limit: int, offset: int) -> list[dict[str, Any]]:
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    names, lookups = list(ROW_FIELDS), list(ROW_FIELDS.values())
    rows = {
        row[0]: dict(zip(names, row, strict=True))
        for row in Event.objects.filter(pk__in=ids).values_list(*lookups)
    }
    return [rows[pk] for pk in ids if pk in rows]


def fetch_page(queryset: QuerySet[Event], *, limit: int, offset: int) -> list[Event]:
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    rows = {
        event.pk: event
        for event in Event.objects.filter(pk__in=ids).select_related(*LIST_RELATED).defer(*LIST_DEFERRED)
    }
    return [rows[pk] for pk in ids if pk in rows]


def _distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    radius = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def nearby_open_rows(
    *,
    category: Category,
    lng: float | None,
    lat: float | None,
    at: datetime | None = None,
    radius_m: float = 200,
    hours: float = 24,
    exclude: Event | None = None,
    queryset: QuerySet[Event] | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """Open events of the same category within `radius_m` and `hours` of a point, the nearest
    `limit` of them, as plain rows (id, number, state, description, created_at, distance_m),
    nearest first: one query, no model instances (every report answers with them)."""
    if lng is None or lat is None:
        return []
    at = at or timezone.now()
    degrees_lat = radius_m / 111_000
    degrees_lng = radius_m / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    candidates = (
        (queryset if queryset is not None else Event.objects.all())
        .filter(
            category=category,
            created_at__gte=at - timedelta(hours=hours),
            created_at__lte=at + timedelta(hours=1),
            lng__range=(lng - degrees_lng, lng + degrees_lng),
            lat__range=(lat - degrees_lat, lat + degrees_lat),
        )
        .exclude(state__in=[State.MERGED, State.CLOSED, State.RETURNED])
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    found: list[dict[str, Any]] = []
    # A burst of reports of one burst pipe can put hundreds in the box: the first 500 are enough.
    for pk, number, state, description, created_at, event_lng, event_lat in candidates.values_list(
        "id", "number", "state", "description", "created_at", "lng", "lat"
    )[:500]:
        if event_lng is None or event_lat is None:
            continue
        distance = _distance_m(lng, lat, event_lng, event_lat)
        if distance <= radius_m:
            found.append(
                {
                    "id": pk,
                    "number": number,
                    "state": state,
                    "description": description,
                    "created_at": created_at,
                    "distance_m": round(distance),
                }
            )
    found.sort(key=lambda row: (row["distance_m"], row["id"]))
    return found[:limit]


def possible_duplicates(
    *,
    category: Category,
    lng: float | None,
    lat: float | None,
    at: datetime | None = None,
    radius_m: float = 200,
    hours: float = 24,
    exclude: Event | None = None,
    queryset: QuerySet[Event] | None = None,
    limit: int = 10,
) -> list[tuple[Event, float]]:
    """`nearby_open_rows` as (event, metres) pairs, for pages that show more of each event."""
    rows = nearby_open_rows(
        category=category,
        lng=lng,
        lat=lat,
        at=at,
        radius_m=radius_m,
        hours=hours,
        exclude=exclude,
        queryset=queryset,
        limit=limit,
    )
    events = Event.objects.select_related("grid").in_bulk([row["id"] for row in rows])
    return [(events[row["id"]], row["distance_m"]) for row in rows if row["id"] in events]


def duplicate_rows_of(event: Event, user: Any = None) -> list[dict[str, Any]]:
    """`nearby_open_rows` around an event (itself excluded), among those `user` may see."""
    return nearby_open_rows(
        category=event.category,
        lng=event.lng,
        lat=event.lat,
        at=event.created_at,
        exclude=event,
        queryset=Event.objects.restrict(user) if user is not None else None,
    )


def duplicates_of(event: Event, user: Any = None) -> list[tuple[Event, float]]:
    return possible_duplicates(
        category=event.category,
        lng=event.lng,
        lat=event.lat,
        at=event.created_at,
        exclude=event,
        queryset=Event.objects.restrict(user) if user is not None else None,
    )


@dataclass(frozen=True)
class TimelineEntry:
    step: EventStep
    event_number: str  # the event the step belongs to (a merged duplicate's steps show its number)
    merged: bool

    @property
    def action_name(self) -> str:
        return self.step.action_name

    @property
    def from_name(self) -> str:
        return str(State(self.step.from_state).label) if self.step.from_state in State.values else ""

    @property
    def to_name(self) -> str:
        return str(State(self.step.to_state).label) if self.step.to_state in State.values else ""


def timeline(event: Event) -> list[TimelineEntry]:
    """The event's steps, with the steps of the duplicates merged into it, in time order."""
    merged_ids = list(Event.objects.filter(merged_into=event).values_list("pk", flat=True))
    steps = (
        EventStep.objects.filter(event_id__in=[event.pk, *merged_ids])
        .select_related("actor", "organisation", "event")
        .order_by("at", "pk")
    )
    return [TimelineEntry(step, step.event.number, step.event_id != event.pk) for step in steps]


def assignments_of(event: Event) -> QuerySet[EventAssignment]:
    return event.assignments.select_related("organisation").order_by("-active", "role", "pk")


def organisations_for_dispatch(event: Event) -> QuerySet[Organisation]:
    """Active organisations whose area covers the event's grid (nearest area first)."""
    from gridgov.hierarchy.models import Node

    grid = event.grid if isinstance(event.grid, Node) else Node.objects.get(pk=event.grid_id)
    return Organisation.objects.filter(active=True, path__in=grid.ancestor_paths()).order_by(
        "-path", "kind", "name"
    )


def dispatch_areas(event: Event) -> list[Any]:
    """The places organisations serving the event sit at: its grid and the levels above it (place
    names are public; the dispatch picker filters by them)."""
    from gridgov.hierarchy.models import Node

    grid = event.grid if isinstance(event.grid, Node) else Node.objects.get(pk=event.grid_id)
    return list(Node.objects.filter(path__in=grid.ancestor_paths()).defer("boundary").order_by("path"))


def memberships_of(user: Any) -> QuerySet[OrgMember]:
    return OrgMember.objects.filter(user=user).select_related("organisation", "organisation__area")


# --- who is acting, and whom to tell ------------------------------------------------------------


def is_user(user: Any) -> bool:
    """A signed-in user (not None, not anonymous)."""
    return user is not None and getattr(user, "is_authenticated", False)


def user_org_ids(user: Any) -> set[int]:
    """The user's active organisations (the principal has read them)."""
    return set(principal_of(user).org_ids)


def actor_kinds(event: Event, user: Any, *, co: bool = True) -> set[str]:
    """Which of the workflow's actors `user` is for this event (`co=False` skips the one query
    that finds out whether they co-handle it, for actions no co-handler may take)."""
    if user is None:
        return {Actor.SYSTEM}
    if not is_user(user) or not user.is_active:
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
