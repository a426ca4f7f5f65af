"""Dividing a shape into pieces of given area shares, and placing points inside a shape.

The seed draws townships inside their county's real outline, communities inside their township
and grids inside their community with `divide`: the weights are split into two runs of about
equal sum, the shape is cut by a straight line across its longer side (tilted at random, so the
pieces look surveyed rather than ruled), and the line is moved until the area on one side is that
run's share; each side is divided again. The pieces tile the shape: no gap, no overlap, each
piece's area in proportion to its weight (a sliver cut off a concave outline is then given to the
neighbour it borders most, so pieces stay in one part where they can).
"""

import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

# Stored boundary coordinates: eight decimals of a degree, about 1 mm. Coarser rounding opens
# visible slits: a corner that a later cut puts on a shared edge moves off the neighbour's edge by
# up to half the grid, so the gaps and overlaps between neighbours are in proportion to it.
GRID_SIZE = 1e-8
# A cut is placed to within this share of the shape's area.
_AREA_TOLERANCE = 1e-5
# A detached part smaller than this share of its piece's largest part goes to its neighbour.
_SLIVER = 0.2
_TILT = math.radians(25)


def polygons(geometry: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons of any geometry (an overlay can also return lines and points)."""
    if isinstance(geometry, Polygon):
        return [] if geometry.is_empty else [geometry]
    return [p for part in getattr(geometry, "geoms", []) for p in polygons(part)]


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    parts = polygons(geometry)
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _half_plane(normal: tuple[float, float], offset: float, geometry: BaseGeometry) -> Polygon:
    """The side {p : p·normal <= offset}, as a quadrilateral far larger than the geometry."""
    nx, ny = normal
    minx, miny, maxx, maxy = geometry.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    size = 10 * (math.hypot(maxx - minx, maxy - miny) + 1)
    shift = offset - (cx * nx + cy * ny)
    px, py = cx + nx * shift, cy + ny * shift  # the point of the line nearest the centre
    dx, dy = -ny * size, nx * size
    return Polygon(
        [
            (px + dx, py + dy),
            (px - dx, py - dy),
            (px - dx - nx * size, py - dy - ny * size),
            (px + dx - nx * size, py + dy - ny * size),
        ]
    )


def _cut_direction(geometry: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A unit normal along the shape's longer axis (so the cut runs across it), tilted at random."""
    box = geometry.minimum_rotated_rectangle
    corners = list(box.exterior.coords) if isinstance(box, Polygon) else []
    angle = 0.0
    if len(corners) >= 4:
        (x0, y0), (x1, y1), (x2, y2) = corners[:3]
        first, second = (x1 - x0, y1 - y0), (x2 - x1, y2 - y1)
        along = first if math.hypot(*first) >= math.hypot(*second) else second
        angle = math.atan2(along[1], along[0])
    angle += rng.uniform(-_TILT, _TILT)
    return math.cos(angle), math.sin(angle)


def _cut(
    geometry: BaseGeometry, share: float, rng: random.Random, toward: tuple[float, float] | None
) -> tuple[BaseGeometry, BaseGeometry]:
    """Cut the geometry in two by a straight line: the first part has `share` of its area (and
    lies on the side of `toward`, when given)."""
    nx, ny = _cut_direction(geometry, rng)
    centre = geometry.centroid
    if toward is not None and (toward[0] - centre.x) * nx + (toward[1] - centre.y) * ny > 0:
        nx, ny = -nx, -ny
    # Turned so that the normal points along x: x is then p·normal, and the area below an offset
    # is a fast clip by a rectangle (only to find the offset: the cut itself is exact, below).
    turned = shapely.affinity.rotate(geometry, -math.atan2(ny, nx), origin=(0, 0), use_radians=True)
    minx, miny, maxx, maxy = turned.bounds
    total = geometry.area
    target = share * total

    def excess(offset: float) -> float:
        return float(shapely.clip_by_rect(turned, minx - 1, miny - 1, offset, maxy + 1).area - target)

    # Regula falsi with the Illinois modification: the area below the offset grows with it.
    low, high, f_low, f_high = minx, maxx, -target, total - target
    offset, side = minx + share * (maxx - minx), 0
    for _ in range(100):
        offset = (low * f_high - high * f_low) / (f_high - f_low)
        value = excess(offset)
        if abs(value) <= _AREA_TOLERANCE * total:
            break
        if value < 0:
            low, f_low = offset, value
            if side == -1:
                f_high /= 2
            side = -1
        else:
            high, f_high = offset, value
            if side == 1:
                f_low /= 2
            side = 1
    half = _half_plane((nx, ny), offset, geometry)
    return _polygonal(geometry.intersection(half)), _polygonal(geometry.difference(half))


def _corners(geometry: BaseGeometry) -> list[tuple[float, float]]:
    minx, miny, maxx, maxy = geometry.bounds
    return [(minx, miny), (minx, maxy), (maxx, miny), (maxx, maxy)]


def _split_point(weights: Sequence[float]) -> int:
    """Where to split a run of weights into two runs of about equal sum (each non-empty)."""
    total, running, best, best_gap = sum(weights), 0.0, 1, math.inf
    for i, w in enumerate(weights[:-1], start=1):
        running += w
        gap = abs(running - total / 2)
        if gap < best_gap:
            best, best_gap = i, gap
    return best


def _divide(
    geometry: BaseGeometry, weights: Sequence[float], rng: random.Random, toward: tuple[float, float] | None
) -> list[BaseGeometry]:
    if len(weights) == 1:
        return [geometry]
    k = _split_point(weights)
    first, second = _cut(geometry, sum(weights[:k]) / sum(weights), rng, toward)
    return _divide(first, weights[:k], rng, toward) + _divide(second, weights[k:], rng, toward)


def _give_slivers_away(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """A small detached part of a piece joins the sibling it shares the longest border with."""
    pieces = list(pieces)
    tree = shapely.STRtree(pieces)
    for i in range(len(pieces)):
        piece = pieces[i]  # as it is now: it may have been given a neighbour's sliver already
        parts = polygons(piece)
        if len(parts) < 2:
            continue
        largest = max(p.area for p in parts)
        kept = []
        for part in parts:
            if part.area >= _SLIVER * largest:
                kept.append(part)
                continue
            best, best_length = None, 0.0
            for j in tree.query(part):
                j = int(j)
                if j == i or pieces[j].is_empty:
                    continue
                length = part.boundary.intersection(pieces[j].boundary).length
                if length > best_length:
                    best, best_length = j, length
            if best is None:
                kept.append(part)  # an enclave: it borders no sibling
            else:
                pieces[best] = _polygonal(shapely.union(pieces[best], part))
        pieces[i] = _polygonal(MultiPolygon(kept)) if kept else piece
    return pieces


def divide(
    geometry: BaseGeometry,
    weights: Sequence[float],
    rng: random.Random,
    toward: tuple[float, float] | None = None,
) -> list[BaseGeometry]:
    """Pieces of `geometry`, one per weight, in order, with areas in proportion to the weights.

    With `toward` (lng, lat), earlier weights lie nearer that point: the seed puts a county's
    urban streets nearest the city centre and its rural townships farther out.
    """
    if not weights:
        return []
    if any(w <= 0 for w in weights):
        raise ValueError("every weight must be positive")
    pieces = _divide(geometry, list(weights), rng, toward)
    if len(pieces) > 1:
        pieces = _give_slivers_away(pieces)
    return [shapely.set_precision(p, GRID_SIZE) for p in pieces]


def anchor(geometry: BaseGeometry) -> tuple[float, float]:
    """A representative point inside the shape: its centroid when that is inside, else a point
    on its surface (the centroid of a crescent lies outside it)."""
    for point in (geometry.centroid, geometry.representative_point()):
        lng, lat = round(point.x, 6), round(point.y, 6)
        if geometry.contains(Point(lng, lat)):
            break
    return lng, lat


def scatter(geometry: BaseGeometry, count: int, rng: random.Random) -> list[tuple[float, float]]:
    """`count` random points strictly inside the shape (rounded to the stored precision)."""
    minx, miny, maxx, maxy = geometry.bounds
    shapely.prepare(geometry)
    found: list[tuple[float, float]] = []
    for _ in range(50):
        need = count - len(found)
        if need <= 0:
            break
        batch = max(16, 3 * need)
        xs = np.round([rng.uniform(minx, maxx) for _ in range(batch)], 6)
        ys = np.round([rng.uniform(miny, maxy) for _ in range(batch)], 6)
        inside = shapely.contains_xy(geometry, xs, ys)
        found.extend((float(x), float(y)) for x, y in zip(xs[inside], ys[inside], strict=True))
    while len(found) < count:  # a sliver the random points kept missing
        found.append(anchor(geometry))
    return found[:count]


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON of a (multi)polygon at the stored precision."""
    return dict(mapping(shapely.set_precision(geometry, GRID_SIZE)))
