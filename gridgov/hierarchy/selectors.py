"""Reads of the hierarchy, always through the user's scope."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import SINGLE_PER_GRID, Cap, Role
from gridgov.accounts.scope import scope_of
from gridgov.hierarchy.models import (
    DedicatedKind,
    GridKind,
    Level,
    Node,
    PoliceBeat,
    parent_level,
)
from gridgov.hierarchy.paths import CODE_LENGTH, LEVEL_ORDER


def nodes_for(user: Any, cap: str = Cap.VIEW) -> QuerySet[Node]:
    return Node.objects.all().restrict(user, cap)


def top_nodes(user: Any) -> QuerySet[Node]:
    """The roots of the user's scope: where their browsing starts."""
    scope = scope_of(user)
    if scope.everything:
        return Node.objects.filter(parent__isnull=True)
    return Node.objects.filter(path__in=scope.roots)


def children_of(node: Node, user: Any) -> QuerySet[Node]:
    return nodes_for(user).filter(parent=node).order_by("code")


def breadcrumbs(node: Node, user: Any) -> list[Node]:
    """Ancestors of `node` down from the top of the user's scope (never above it)."""
    scope = scope_of(user)
    by_path = {n.path: n for n in Node.objects.filter(path__in=node.ancestor_paths())}
    return [by_path[p] for p in node.ancestor_paths() if p in by_path and scope.covers(p)]


def grids_for(user: Any, under: Node | None = None) -> QuerySet[Node]:
    grids = nodes_for(user).filter(level=Level.GRID)
    if under is not None:
        grids = grids.filter(path__under=under.path)
    return grids


def beats_for(user: Any) -> QuerySet[PoliceBeat]:
    return PoliceBeat.objects.all().restrict(user)


def staffing_gaps(user: Any, under: Node | None = None) -> list[dict[str, Any]]:
    """Every grid in scope that lacks its chief, instructor or full-time worker (1+1+1).

    One EXISTS per post and only the grids with a gap come back (a GROUP BY over every grid and
    its staff, polygons included, took a second for a city of 5,880 grids; this takes ~0.1 s).
    """
    held = {
        f"has_{role}": Exists(RoleAssignment.objects.filter(node=OuterRef("pk"), role=role))
        for role in SINGLE_PER_GRID
    }
    lacking = Q()
    for role in SINGLE_PER_GRID:
        lacking |= Q(**{f"has_{role}": False})
    grids = grids_for(user, under).defer("boundary").annotate(**held).filter(lacking).order_by("path")
    labels = dict(Role.choices)
    return [
        {
            "grid": grid,
            "missing": [labels[role] for role in SINGLE_PER_GRID if not getattr(grid, f"has_{role}")],
        }
        for grid in grids
    ]


def subtree_counts(node: Node) -> dict[str, int]:
    """How many nodes of each lower level lie under `node`: one count per level, each served by
    the (level, path) index (a single GROUP BY level scans the whole subtree, ~65k rows for a city)."""
    counts = {}
    for level in LEVEL_ORDER[LEVEL_ORDER.index(node.level) + 1 :]:
        n = Node.objects.filter(level=level, path__under=node.path).count()
        if n:
            counts[level] = n
    return counts


def child_summaries(node: Node, user: Any) -> list[dict[str, Any]]:
    """The visible children of `node`, each with how many grids (or buildings) lie below it
    and, for grids, which of the 1+1+1 staff are missing. A fixed number of queries."""
    children = list(children_of(node, user))
    if not children:
        return []
    level = children[0].level
    width = len(node.path) + CODE_LENGTH[level]

    def below(target_level: str) -> dict[str, int]:
        rows = (
            Node.objects.filter(path__under=node.path, level=target_level)
            .annotate(prefix=Substr("path", 1, width))
            .values("prefix")
            .annotate(n=Count("pk"))
        )
        return {row["prefix"]: row["n"] for row in rows}

    grids = below(Level.GRID) if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(Level.GRID) else {}
    buildings = below(Level.BUILDING) if level == Level.GRID else {}
    missing = (
        {gap["grid"].pk: gap["missing"] for gap in staffing_gaps(user, node)} if level == Level.GRID else {}
    )
    return [
        {
            "node": child,
            "grids": grids.get(child.path, 0),
            "buildings": buildings.get(child.path, 0),
            "missing": missing.get(child.pk, []),
        }
        for child in children
    ]


def grid_staff(grid: Node) -> dict[str, Any]:
    """A grid's staff as 1+1+1+N: the three single posts (holder or None) and the part-timers."""
    assignments = list(grid.assignments.select_related("user").order_by("created_at", "pk"))
    labels = dict(Role.choices)
    singles = []
    for role in SINGLE_PER_GRID:
        holder = next((a for a in assignments if a.role == role), None)
        singles.append({"role": role, "label": labels[role], "assignment": holder})
    part_time = [a for a in assignments if a.role == Role.PART_TIME_WORKER]
    return {
        "singles": singles,
        "part_time": part_time,
        "complete": all(s["assignment"] is not None for s in singles),
    }


def manage_scope_nodes(user: Any) -> QuerySet[Node]:
    return nodes_for(user, Cap.MANAGE_HIERARCHY)


def place_names(paths: set[str] | list[str]) -> dict[str, str]:
    """Path → name of these places. Names of places are public (they are on every street sign), so
    a label for a path the reader may not open (a break-glass grant's area) is not a leak."""
    return dict(Node.objects.filter(path__in=set(paths)).values_list("path", "name"))


def ancestry_labels(nodes: list[Node], top: int = 1) -> dict[int, str]:
    """ "赛罕区 › 昭乌达南路街道 › 惠民社区" for each node, skipping the `top` highest levels."""
    wanted = {path for n in nodes for path in n.ancestor_paths()[top:]}
    names = dict(Node.objects.filter(path__in=wanted).values_list("path", "name"))
    return {n.pk: " › ".join(names.get(p, "?") for p in n.ancestor_paths()[top:]) for n in nodes}


def move_targets(node: Node, user: Any, q: str = "", limit: int = 200) -> tuple[list[Node], bool]:
    """Where `node` may move: nodes of its parent's level in the user's MANAGE_HIERARCHY scope.

    Without a search term, the current parent's siblings come first (the usual move is next
    door). Returns at most `limit` candidates and whether there were more.
    """
    level = parent_level(node.level)
    if level is None:
        return [], False
    candidates = manage_scope_nodes(user).filter(level=level)
    if node.parent_id is not None:
        candidates = candidates.exclude(pk=node.parent_id)
    if q:
        candidates = candidates.filter(name__contains=q[:50])
    elif node.parent is not None and node.parent.parent is not None:
        grandparent = node.parent.parent
        near = candidates.filter(path__under=grandparent.path)
        if near.exists():
            candidates = near
    rows = list(candidates.order_by("path")[: limit + 1])
    return rows[:limit], len(rows) > limit


# Above this many grids, the map shows the areas one level down instead of every grid polygon.
MAP_GRID_LIMIT = 400


def _grid_kind_label(grid: Node) -> str:
    label = str(GridKind(grid.grid_kind).label) if grid.grid_kind in GridKind.values else ""
    if grid.dedicated_kind in DedicatedKind.values:
        label += " · " + str(DedicatedKind(grid.dedicated_kind).label)
    return label


def _grid_features(grids: list[Node]) -> list[dict[str, Any]]:
    ids = [g.pk for g in grids]
    labels = dict(Role.choices)
    order = {role: i for i, role in enumerate(Role.values)}
    staff: dict[int, list[tuple[int, str, str]]] = {}
    rows = RoleAssignment.objects.filter(node_id__in=ids).values_list(
        "node_id", "role", "user__full_name", "user__username"
    )
    for node_id, role, full_name, username in rows:
        staff.setdefault(node_id, []).append((order.get(role, 99), role, full_name or username))
    beats: dict[int, list[dict[str, Any]]] = {}
    through = PoliceBeat.grids.through
    for node_id, name, station, officer, badge, volunteers in through.objects.filter(
        node_id__in=ids
    ).values_list(
        "node_id",
        "policebeat__name",
        "policebeat__station_name",
        "policebeat__officer_name",
        "policebeat__officer_badge",
        "policebeat__volunteer_police",
    ):
        beats.setdefault(node_id, []).append(
            {"name": name, "station": station, "officer": officer, "badge": badge, "volunteers": volunteers}
        )
    features = []
    for grid in grids:
        people = sorted(staff.get(grid.pk, []))
        held = {role for _order, role, _name in people}
        missing = [str(labels[role]) for role in SINGLE_PER_GRID if role not in held]
        features.append(
            {
                "type": "Feature",
                "geometry": grid.boundary,
                "properties": {
                    "id": grid.pk,
                    "kind": "grid",
                    "name": grid.name,
                    "code": grid.code,
                    "grid_kind": grid.grid_kind,
                    "grid_kind_label": _grid_kind_label(grid),
                    "staff": [{"role": str(labels[role]), "name": name} for _order, role, name in people],
                    "missing": missing,
                    "beats": beats.get(grid.pk, []),
                    "url": f"/nodes/{grid.pk}/",
                },
            }
        )
    return features


def _area_features(areas: list[Node]) -> list[dict[str, Any]]:
    counts: dict[int, int] = {}
    for area in areas:
        counts[area.pk] = 0
    if areas:
        width = len(areas[0].path)
        query = Q()
        for area in areas:
            query |= Q(path__under=area.path)
        rows = (
            Node.objects.filter(query, level=Level.GRID)
            .annotate(prefix=Substr("path", 1, width))
            .values("prefix")
            .annotate(n=Count("pk"))
        )
        by_path = {row["prefix"]: row["n"] for row in rows}
        counts = {area.pk: by_path.get(area.path, 0) for area in areas}
    levels = dict(Level.choices)
    return [
        {
            "type": "Feature",
            "geometry": area.boundary,
            "properties": {
                "id": area.pk,
                "kind": "area",
                "name": area.name,
                "code": area.code,
                "level": area.level,
                "level_label": str(levels[area.level]),
                "grids": counts[area.pk],
                "url": f"/nodes/{area.pk}/",
            },
        }
        for area in areas
        if area.boundary
    ]


# Shown (and sent as `gridgov.note`) when no polygon at all can be drawn for the area.
NO_BOUNDARY_NOTE = "该区域暂无边界数据"


def _place_features(places: list[Node]) -> list[dict[str, Any]]:
    """Points for areas that have no polygon to draw, at their own coordinates."""
    levels = dict(Level.choices)
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [place.lng, place.lat]},
            "properties": {
                "id": place.pk,
                "kind": "place",
                "name": place.name,
                "code": place.code,
                "level": place.level,
                "level_label": str(levels[place.level]),
                "note": NO_BOUNDARY_NOTE,
                "url": f"/nodes/{place.pk}/",
            },
        }
        for place in places
        if place.lng is not None and place.lat is not None
    ]


def map_layer(user: Any, node: Node | None = None) -> dict[str, Any]:
    """GeoJSON for the map: every grid polygon of the user's subtree (or of `node`'s), or, where
    that would be too many, the polygons of the areas one level down with their grid counts,
    to drill into. Buildings appear as points when a single grid is shown.

    Areas and grids without a boundary are left out; if that leaves no polygon at all, the area
    itself is shown as a point at its coordinates (kind "place") and `gridgov.note` says that
    it has no boundary data."""
    if node is not None and node.level == Level.BUILDING and node.parent is not None:
        node = node.parent
    tops: list[Node] = [node] if node is not None else list(top_nodes(user))
    if node is None and len(tops) == 1:
        node = tops[0]
    grids = grids_for(user, node)
    grid_count = grids.count()
    features: list[dict[str, Any]]
    if grid_count <= MAP_GRID_LIMIT:
        mode = "grids"
        shown = [g for g in grids.order_by("path") if g.boundary]
        features = _grid_features(shown)
        if node is not None and node.level == Level.GRID:
            for building in node.children.filter(level=Level.BUILDING).exclude(lng=None).order_by("code"):
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [building.lng, building.lat]},
                        "properties": {
                            "id": building.pk,
                            "kind": "building",
                            "name": building.name,
                            "code": building.code,
                            "address": building.address,
                            "url": f"/nodes/{building.pk}/",
                        },
                    }
                )
    else:
        mode = "areas"
        areas = list(children_of(node, user)) if node is not None else tops
        features = _area_features(areas)
    note = ""
    if not any(f["properties"]["kind"] in ("grid", "area") for f in features):
        note = NO_BOUNDARY_NOTE
        features = _place_features([node] if node is not None else tops) + features
    parent = None
    if node is not None and node.parent_id is not None:
        up = nodes_for(user).filter(pk=node.parent_id).first()
        if up is not None:
            parent = {"id": up.pk, "name": up.name}
    return {
        "type": "FeatureCollection",
        "features": features,
        "gridgov": {
            "mode": mode,
            "grid_count": grid_count,
            "node": {"id": node.pk, "name": node.name, "level": node.level} if node is not None else None,
            "parent": parent,
            "note": note,
        },
    }
