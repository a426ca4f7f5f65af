"""Hohhot's real divisions and county outlines (committed under data/, rebuilt from the npm
packages by scripts/build_hohhot_geo.py), and the drawn geography the seed builds on them.

Real: the nine county-level units with their boundaries, their 93 townships and 1,390 communities
and villages with the National Bureau of Statistics' 12-digit codes. Drawn (no public source has
township or community boundaries): each county's outline is divided among its townships, each
township among its communities, each community among its grids (`partition.divide`), with areas
that follow what they hold: a village covers far more land than an urban community, and a
community's grids share it equally (a dedicated grid — a school, a market — takes a smaller cell).
The drawing depends only on the codes, so a township has the same shape in the demo and the city.
"""

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from gridgov.hierarchy.partition import divide

DATA = Path(__file__).resolve().parent / "data"
# Near 新华广场, the old city centre: a county's streets are drawn nearest it, its towns farther out.
CITY_CENTRE = (111.67, 40.82)
# The source article's names for communities the statistical list names otherwise.
ARTICLE_NAMES = {"150102004007": "老缸房社区"}  # the list: 老缸房街社区居委会
# Relative land area: an urban community (~0.4 km²) against a village (~15 km²).
URBAN_AREA, VILLAGE_AREA = 1.0, 40.0
# A township without its own residents (an industrial park) still covers land.
PARK_AREA = 20.0
# Relative households: an urban community against a village; jittered per community.
URBAN_HOUSEHOLDS, VILLAGE_HOUSEHOLDS, VIRTUAL_HOUSEHOLDS = 6.0, 1.0, 0.4
# A dedicated grid (a school, a hospital, a market…) is drawn smaller than a basic grid.
DEDICATED_AREA = 0.35


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    children: tuple["Division", ...] = field(default=(), repr=False)

    @property
    def is_street(self) -> bool:
        return self.name.endswith("街道")

    @property
    def is_urban(self) -> bool:
        """An urban community (社区, a factory's 生活区) rather than a village (村)."""
        return self.name.endswith(("社区", "生活区"))

    @property
    def is_virtual(self) -> bool:
        return "虚拟社区" in self.name


@cache
def city() -> Division:
    """呼和浩特市 → counties → townships → communities, in code order."""
    data = json.loads((DATA / "hohhot_divisions.json").read_text("utf-8"))
    counties = tuple(
        Division(
            county["code"],
            county["name"],
            tuple(
                Division(
                    township["code"],
                    township["name"],
                    tuple(
                        Division(code, ARTICLE_NAMES.get(code, name))
                        for code, name in township["communities"]
                    ),
                )
                for township in county["townships"]
            ),
        )
        for county in data["counties"]
    )
    return Division(data["city"]["code"], data["city"]["name"], counties)


@cache
def county_boundaries() -> dict[str, BaseGeometry]:
    data = json.loads((DATA / "hohhot_counties.geojson").read_text("utf-8"))
    return {feature["id"]: shape(feature["geometry"]) for feature in data["features"]}


def _area_weight(community: Division) -> float:
    return URBAN_AREA if community.is_urban else VILLAGE_AREA


def _township_weight(township: Division) -> float:
    land = sum(_area_weight(c) for c in township.children)
    return land if township.is_street else max(land, PARK_AREA)


def _drawn(
    parent: BaseGeometry, children: Sequence[Division], weights: Sequence[float], seed: str
) -> dict[str, BaseGeometry]:
    """Children drawn inside the parent: streets and urban communities first, so nearest the
    city centre (the land of a street is the city's; a town's villages lie around it)."""
    order = sorted(
        range(len(children)), key=lambda i: (not (children[i].is_street or children[i].is_urban), i)
    )
    pieces = divide(parent, [weights[i] for i in order], random.Random(seed), toward=CITY_CENTRE)
    return {children[i].code: piece for i, piece in zip(order, pieces, strict=True)}


@cache
def township_shapes(county_code: str) -> dict[str, BaseGeometry]:
    county = next(c for c in city().children if c.code == county_code)
    weights = [_township_weight(t) for t in county.children]
    return _drawn(county_boundaries()[county_code], county.children, weights, f"townships of {county_code}")


@cache
def community_shapes(township_code: str) -> dict[str, BaseGeometry]:
    county_code = township_code[:6]
    township = next(
        t for c in city().children if c.code == county_code for t in c.children if t.code == township_code
    )
    outline = township_shapes(county_code)[township_code]
    weights = [_area_weight(c) for c in township.children]
    return _drawn(outline, township.children, weights, f"communities of {township_code}")


def grid_shapes(community_code: str, outline: BaseGeometry, dedicated: Sequence[bool]) -> list[BaseGeometry]:
    """A community's grids, in order: basic grids share its land equally, dedicated ones smaller."""
    weights = [DEDICATED_AREA if d else 1.0 for d in dedicated]
    return divide(outline, weights, random.Random(f"grids of {community_code}/{len(weights)}"))


def grid_counts(total: int) -> dict[str, int]:
    """How many grids each community has when the city has `total`: in proportion to its
    households (an urban community has several times a village's), at least one each."""
    communities = [c for county in city().children for t in county.children for c in t.children]
    households = {}
    for c in communities:
        base = VIRTUAL_HOUSEHOLDS if c.is_virtual else URBAN_HOUSEHOLDS if c.is_urban else VILLAGE_HOUSEHOLDS
        households[c.code] = base * random.Random(f"households of {c.code}").uniform(0.6, 1.4)
    spare = total - len(communities)
    if spare < 0:
        raise ValueError(f"{total} grids cannot cover {len(communities)} communities")
    # One grid each, the rest by largest remainder of the households' shares.
    whole = sum(households.values())
    shares = {code: spare * h / whole for code, h in households.items()}
    counts = {code: 1 + int(s) for code, s in shares.items()}
    left = total - sum(counts.values())
    for code in sorted(shares, key=lambda k: (-(shares[k] - int(shares[k])), k))[:left]:
        counts[code] += 1
    return counts
