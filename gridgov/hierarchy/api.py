from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404
from gridgov.accounts.services import assign_role
from gridgov.api.params import Finite, LongPage, changes_of
from gridgov.hierarchy import selectors, services
from gridgov.hierarchy.geo import locate_grid
from gridgov.hierarchy.models import Node

router = Router(tags=["hierarchy"])


class NodeOut(Schema):
    id: int
    level: str
    code: str
    name: str
    parent_id: int | None
    path: str
    county_code: str
    grid_kind: str
    dedicated_kind: str
    lng: float | None
    lat: float | None
    address: str
    version: int


class NodeDetailOut(NodeOut):
    boundary: dict[str, Any] | None


class NodeIn(Schema):
    level: str
    name: str
    parent_id: int | None = None
    code: str = ""
    grid_kind: str = ""
    dedicated_kind: str = ""
    boundary: dict[str, Any] | None = None
    lng: Finite | None = None
    lat: Finite | None = None
    address: str = ""


class NodePatch(Schema):
    version: int | None = Field(None, description="the version the client read; a stale one gets 412")
    name: str | None = None
    grid_kind: str | None = None
    dedicated_kind: str | None = None
    boundary: dict[str, Any] | None = None
    address: str | None = None


class StaleOut(Schema):
    detail: str
    current_version: int
    seen_version: int


class MoveIn(Schema):
    parent_id: int
    code: str = ""


class NodeFilter(Schema):
    level: str | None = None
    under: int | None = Field(None, description="id of a node: only its subtree")
    q: str | None = Field(None, max_length=100, description="name contains")


class AssignIn(Schema):
    username: str
    role: str
    node_id: int
    grants_special_groups: bool = False


class AssignOut(Schema):
    id: int
    username: str
    role: str
    node_id: int


class GapOut(Schema):
    grid_id: int
    grid_code: str
    grid_name: str
    missing: list[str]


@router.get("/nodes", response=list[NodeOut])
def list_nodes(request: HttpRequest, filters: Query[NodeFilter], page: Query[LongPage]) -> Any:
    nodes = selectors.nodes_for(request.user)
    if filters.level:
        nodes = nodes.filter(level=filters.level)
    if filters.under:
        top = get_visible_or_404(Node.objects.all(), request.user, pk=filters.under)
        nodes = nodes.filter(path__under=top.path)
    if filters.q:
        nodes = nodes.filter(name__contains=filters.q)
    return nodes.order_by("path")[page.offset : page.offset + page.limit]


@router.get("/nodes/{node_id}", response=NodeDetailOut)
def get_node(request: HttpRequest, node_id: int) -> Node:
    return get_visible_or_404(Node.objects.all(), request.user, pk=node_id)


@router.get("/nodes/{node_id}/children", response=list[NodeOut])
def node_children(request: HttpRequest, node_id: int) -> Any:
    node = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
    return selectors.children_of(node, request.user)


@router.post("/nodes", response={201: NodeDetailOut})
def create_node(request: HttpRequest, body: NodeIn) -> Status[Node]:
    parent = None
    if body.parent_id is not None:
        parent = get_visible_or_404(Node.objects.all(), request.user, pk=body.parent_id)
    data = body.dict(exclude={"parent_id"})
    return Status(201, services.create_node(user=request.user, parent=parent, **data))


@router.patch("/nodes/{node_id}", response={200: NodeDetailOut, 412: StaleOut})
def update_node(request: HttpRequest, node_id: int, body: NodePatch) -> Node:
    """Change the fields sent. With `version` (the one read), someone else's save in between
    answers 412 with the current version instead of overwriting it; without it the write is
    unconditional."""
    node = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
    changes = changes_of(body, Node)
    version = changes.pop("version", None)
    return services.update_node(node, user=request.user, version=version, **changes)


@router.post("/nodes/{node_id}/move", response=NodeDetailOut)
def move_node(request: HttpRequest, node_id: int, body: MoveIn) -> Node:
    node = get_visible_or_404(Node.objects.all(), request.user, Cap.MANAGE_HIERARCHY, pk=node_id)
    parent = get_visible_or_404(Node.objects.all(), request.user, Cap.MANAGE_HIERARCHY, pk=body.parent_id)
    return services.move_node(node, parent, user=request.user, new_code=body.code)


@router.get("/grids/locate", response={200: NodeOut, 404: dict})
def locate(request: HttpRequest, lng: Finite, lat: Finite) -> Any:
    """The grid containing a WGS84 point, if it is in the caller's scope."""
    grid = locate_grid(lng, lat)
    if grid is None or not selectors.nodes_for(request.user).filter(pk=grid.pk).exists():
        return Status(404, {"detail": "no grid in your scope contains this point"})
    return Status(200, grid)


@router.post("/assignments", response={201: AssignOut})
def create_assignment(request: HttpRequest, body: AssignIn) -> Status[dict[str, Any]]:
    node = get_visible_or_404(Node.objects.all(), request.user, Cap.MANAGE_STAFF, pk=body.node_id)
    person = get_object_or_404(User, username=body.username)
    assignment = assign_role(
        user=request.user,
        person=person,
        role=body.role,
        node=node,
        grants_special_groups=body.grants_special_groups,
    )
    return Status(
        201, {"id": assignment.pk, "username": person.username, "role": assignment.role, "node_id": node.pk}
    )


@router.get("/staffing-gaps", response=list[GapOut])
def staffing_gaps(request: HttpRequest, under: int | None = None) -> Any:
    top = get_visible_or_404(Node.objects.all(), request.user, pk=under) if under else None
    return [
        {
            "grid_id": g["grid"].pk,
            "grid_code": g["grid"].code,
            "grid_name": g["grid"].name,
            "missing": [str(m) for m in g["missing"]],
        }
        for g in selectors.staffing_gaps(request.user, top)
    ]
