"""The overview in the JSON API (/api/v1/overview…): a node's figures for a period, scoped.

`GET /api/v1/overview/{node_id}?period=month` (today, week, month, year, or custom with
`start` and `end` as YYYY-MM-DD) answers the sections' figures, the breakdown by child unit,
the 12-month trend, the top categories and the groups by tag the viewer may see; `/map` the
children's polygons with their figures and the period's event points; `/indicators` the
efficiency indicators per child unit and per worker.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router

from gridgov.accounts.scope import get_visible_or_404
from gridgov.hierarchy.models import Node
from gridgov.overview import board, mapdata, selectors
from gridgov.overview import period as periods

router = Router(tags=["overview"])


def _answer(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    # Counts of special groups and workers' names: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response


def _node(request: HttpRequest, node_id: int) -> Node:
    return get_visible_or_404(Node.objects.defer("boundary"), request.user, pk=node_id)


@router.get("/overview/{node_id}", summary="A node's overview for a period")
def overview(
    request: HttpRequest, node_id: int, period: str = "month", start: str = "", end: str = ""
) -> Any:
    node = _node(request, node_id)
    chosen = periods.parse(period, start, end)
    return _answer(board.overview(node, chosen, selectors.sight(request.user, node), who=request.user))


@router.get("/overview/{node_id}/map", summary="The overview's map layer")
def overview_map(
    request: HttpRequest, node_id: int, period: str = "month", start: str = "", end: str = ""
) -> Any:
    node = _node(request, node_id)
    chosen = periods.parse(period, start, end)
    return _answer(mapdata.map_layer(node, chosen, selectors.sight(request.user, node), who=request.user))


@router.get("/overview/{node_id}/indicators", summary="Efficiency indicators per child unit and per worker")
def overview_indicators(
    request: HttpRequest, node_id: int, period: str = "month", start: str = "", end: str = ""
) -> Any:
    node = _node(request, node_id)
    chosen = periods.parse(period, start, end)
    return _answer(board.indicator_table(request.user, node, chosen))
