"""Point-in-grid: which grid contains a GPS point (shapely prepared geometries in an STRtree)."""

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from gridgov.hierarchy.models import Level, Node

_CACHE_SECONDS = 60


def parse_boundary(geojson: Any, field: str = "boundary") -> BaseGeometry:
    """Validate a GeoJSON Polygon/MultiPolygon in WGS84; raise ValidationError naming the field."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise ValidationError({field: "边界必须是 GeoJSON Polygon 或 MultiPolygon"})
    try:
        geometry = shape(geojson)
    except Exception as exc:
        raise ValidationError({field: f"边界坐标无法解析：{exc}"}) from None
    if geometry.is_empty or not geometry.is_valid:
        from shapely.validation import explain_validity

        raise ValidationError({field: f"边界多边形无效：{explain_validity(geometry)}"})
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationError({field: "边界坐标超出经纬度范围（经度 -180~180，纬度 -90~90）"})
    return geometry


@dataclass
class _Index:
    built_at: float
    tree: STRtree
    prepared: list[Any]
    grid_ids: list[int]


class GridLocator:
    """Process-wide index of grid polygons, rebuilt at most every minute or when invalidated."""

    _lock = threading.Lock()
    _index: _Index | None = None

    @classmethod
    def invalidate(cls) -> None:
        with cls._lock:
            cls._index = None

    @classmethod
    def _build(cls) -> _Index:
        geometries, ids = [], []
        for pk, boundary in Node.objects.filter(level=Level.GRID, boundary__isnull=False).values_list(
            "pk", "boundary"
        ):
            try:
                geometries.append(shape(boundary))
            except Exception:  # noqa: S112  a bad stored polygon must not break locating the others
                continue
            ids.append(pk)
        return _Index(time.monotonic(), STRtree(geometries), [prep(g) for g in geometries], ids)

    @classmethod
    def index(cls) -> _Index:
        with cls._lock:
            if cls._index is None or time.monotonic() - cls._index.built_at > _CACHE_SECONDS:
                cls._index = cls._build()
            return cls._index

    @classmethod
    def grid_id_at(cls, lng: float, lat: float) -> int | None:
        index = cls.index()
        point = Point(lng, lat)
        for position in index.tree.query(point):
            if index.prepared[int(position)].covers(point):
                return index.grid_ids[int(position)]
        return None


def locate_grid(lng: float, lat: float) -> Node | None:
    """The grid whose boundary contains the point, or None if it is in no grid."""
    grid_id = GridLocator.grid_id_at(lng, lat)
    return Node.objects.filter(pk=grid_id).first() if grid_id is not None else None
