"""Arithmetic on hierarchy paths: the one place that knows how a path is built.

A node's `path` is the concatenation of its ancestors' codes and its own, each of a fixed width
per level (city 6, county 6, township 12, community 12, grid 15, building 18 characters), so a
path's length says its level and every prefix at a level boundary is an ancestor's path.
"""

# The levels top down (the values of `gridgov.hierarchy.models.Level`).
LEVEL_ORDER: list[str] = ["city", "county", "township", "community", "grid", "building"]
# Code width per level: GB/T 2260 six-digit codes for city and county, twelve-digit statistical
# division codes for township and community, and three more digits per derived level below.
CODE_LENGTH: dict[str, int] = {
    "city": 6,
    "county": 6,
    "township": 12,
    "community": 12,
    "grid": 15,
    "building": 18,
}

# Path length at the end of each level: {"city": 6, "county": 12, "township": 24, ...}.
PATH_END: dict[str, int] = {}
_end = 0
for _level in LEVEL_ORDER:
    _end += CODE_LENGTH[_level]
    PATH_END[_level] = _end
_LEVEL_BY_END = {end: level for level, end in PATH_END.items()}
ENDS: tuple[int, ...] = tuple(PATH_END.values())


def level_of(path: str) -> str:
    """The level of the node with this path; ValueError for a length no level has."""
    try:
        return _LEVEL_BY_END[len(path)]
    except KeyError:
        raise ValueError(f"not a hierarchy path: {path!r}") from None


def at_level(path: str, level: str) -> str:
    """The path of the ancestor (or the node itself) at `level`; "" if the path is above it."""
    end = PATH_END[level]
    return path[:end] if len(path) >= end else ""


def ancestors(path: str, *, include_self: bool = True) -> list[str]:
    """Paths of the node's ancestors, top first (and the node's own, unless told otherwise)."""
    found = [path[:end] for end in ENDS if end < len(path)]
    if include_self and len(path) in _LEVEL_BY_END:
        found.append(path)
    return found


def parent_of(path: str) -> str:
    """The parent's path ("" for the city, or for a path that is no node's)."""
    above = [end for end in ENDS if end < len(path)]
    return path[: above[-1]] if above else ""


def county_code_of(path: str) -> str:
    """The county's six-digit code (the shard key), "" for the city itself."""
    county = at_level(path, "county")
    return county[PATH_END["city"] :] if county else ""


def is_under(path: str, root: str) -> bool:
    """Whether `path` is `root` or lies below it."""
    return path.startswith(root)


def common_ancestor(paths: list[str]) -> str:
    """The deepest node path that is an ancestor of (or equal to) every path given ("" if none)."""
    if not paths:
        return ""
    first, last = min(paths), max(paths)
    length = next(
        (i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last))
    )
    ends = [end for end in ENDS if end <= length]
    return first[: ends[-1]] if ends else ""


def minimal(paths: set[str] | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The paths without those that lie under another one of them (sorted)."""
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(root) for root in kept):
            kept.append(path)
    return tuple(sorted(kept))
