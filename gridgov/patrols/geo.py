"""Tracks: distances on the ground and the simplified line a map shows (shapely)."""

import math
from collections.abc import Sequence

from shapely.geometry import LineString

EARTH_RADIUS_M = 6_371_008.8
# Positions worse than this are kept but not counted in the distance (GPS jitter in stairwells).
MAX_ACCURACY_M = 50.0
# A step implying more than this speed is a GPS jump, not a walk or a bicycle ride.
MAX_SPEED_MS = 12.0
# What a map of a grid can show: a line within 3 m of the walk.
SIMPLIFY_TOLERANCE_M = 3.0


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


Point = tuple[float, float, float, float | None]  # (epoch seconds, lng, lat, accuracy)


def walked_m(points: Sequence[Point], previous: Point | None = None) -> float:
    """Metres walked along `points` (in time order), from `previous` if given: imprecise fixes
    and jumps faster than a bicycle are left out."""
    total = 0.0
    last = previous
    for point in points:
        t, lng, lat, accuracy = point
        if accuracy is not None and accuracy > MAX_ACCURACY_M:
            continue
        if last is not None:
            step = distance_m(last[1], last[2], lng, lat)
            seconds = t - last[0]
            if seconds > 0 and step / seconds <= MAX_SPEED_MS:
                total += step
            elif seconds <= 0 and step > MAX_ACCURACY_M:
                continue  # same instant, far away: a jump
        last = point
    return total


def simplified(
    coords: Sequence[tuple[float, float]], tolerance_m: float = SIMPLIFY_TOLERANCE_M
) -> list[list[float]]:
    """The track as [[lng, lat], …] with points within `tolerance_m` of the line dropped."""
    if len(coords) < 3:
        return [[round(lng, 6), round(lat, 6)] for lng, lat in coords]
    # Degrees of longitude shrink with latitude: scale them so the tolerance is metres everywhere.
    lat0 = math.radians(sum(lat for _lng, lat in coords) / len(coords))
    kx, ky = math.cos(lat0) * EARTH_RADIUS_M * math.pi / 180, EARTH_RADIUS_M * math.pi / 180
    line = LineString([(lng * kx, lat * ky) for lng, lat in coords])
    simple = line.simplify(tolerance_m, preserve_topology=False)
    return [[round(x / kx, 6), round(y / ky, 6)] for x, y in simple.coords]
