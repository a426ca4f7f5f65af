"""The overview's map: the child units' polygons with their figures (the choropleth), the grid's
own boundary at grid level, and the events of the period as points (clusters and heat)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from gridgov.accounts.scope import Who
from gridgov.events.models import Event
from gridgov.hierarchy.models import Level, Node
from gridgov.overview import selectors
from gridgov.overview.period import Period
from gridgov.overview.selectors import BREAKDOWN, Sight, card_values, figure_label

# Points sent at most (the newest first); the answer says when more were left out.
MAX_POINTS = 3000


def _bounds(period: Period) -> tuple[datetime.datetime, datetime.datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def event_points(node: Node, period: Period, who: Who | None) -> tuple[list[list[Any]], bool]:
    """[lat, lng, id, overdue, open] of the events under the node reported in the period or
    still open; with a viewer, only the events they may see (a display link: its node's)."""
    events = Event.objects.restrict(who) if who is not None else Event.objects.all()
    first, after = _bounds(period)
    rows = list(
        events.filter(path__under=node.path, lat__isnull=False, lng__isnull=False)
        .filter(Q(created_at__gte=first, created_at__lt=after) | Q(is_open=True))
        .order_by("-created_at")
        .values_list("lat", "lng", "pk", "overdue", "is_open")[: MAX_POINTS + 1]
    )
    points = [
        [round(lat or 0.0, 6), round(lng or 0.0, 6), pk, overdue, is_open]
        for lat, lng, pk, overdue, is_open in rows
    ]
    return points[:MAX_POINTS], len(points) > MAX_POINTS


def map_layer(
    node: Node, period: Period, seen: Sight, *, who: Who | None, points: bool = True
) -> dict[str, Any]:
    """GeoJSON of the children's polygons (a grid: its own) with their figures, and the points."""
    by_child = selectors.sums_by_child(node.path, period)
    if node.level in (Level.GRID, Level.BUILDING):
        areas = [node]
    else:
        areas = list(Node.objects.filter(parent=node).exclude(level=Level.BUILDING).order_by("code"))
    features = []
    keys: list[str] = []
    for area in areas:
        values = card_values(selectors.visible(by_child.get(area.path, {}), seen), seen)
        keys = [k for k in BREAKDOWN if k in values]
        if not area.boundary:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": area.boundary,
                "properties": {
                    "id": area.pk,
                    "name": area.name,
                    "level": area.level,
                    "drill": area.level != Level.BUILDING and area.pk != node.pk,
                    "values": {k: values.get(k) for k in keys},
                },
            }
        )
    out: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "figures": [{"key": k, "label": figure_label(k)} for k in keys],
        "points": [],
        "truncated": False,
    }
    if points and seen.events:
        out["points"], out["truncated"] = event_points(node, period, who)
    return out
