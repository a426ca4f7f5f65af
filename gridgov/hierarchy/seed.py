"""Hohhot from its real divisions (gridgov.hierarchy.hohhot): the city, its nine county-level
units with their real boundaries, townships and communities with their real 12-digit codes, drawn
inside their parents; grids (basic and dedicated) drawn inside their community, buildings placed
inside their grid, police beats.

demo: all nine counties, two real townships each, two real communities each (the article's
老缸房社区 and 惠民社区 among them), three grids each, four buildings each.
city: all 93 townships, all 1,390 communities, 5,880 grids (as many per community as its
households need, ~300 a grid), ten buildings per grid.
"""

import random
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone
from shapely import unary_union
from shapely.geometry.base import BaseGeometry

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext, db_value, insert_rows
from gridgov.hierarchy import hohhot, paths
from gridgov.hierarchy.models import DedicatedKind, GridKind, Level, Node, PoliceBeat
from gridgov.hierarchy.partition import anchor, scatter, to_geojson

# Demo: two real townships per county (the article's 东街街道 and 昭乌达南路街道 among them) and
# two real communities in each, the article's first.
DEMO_TOWNSHIPS = [
    "150102004000",  # 东街街道 (老缸房社区)
    "150102005000",  # 西街街道
    "150103005000",  # 环河街街道
    "150103006000",  # 通道街街道
    "150104005000",  # 大南街街道
    "150104001000",  # 小召前街街道
    "150105006000",  # 昭乌达南路街道 (惠民社区)
    "150105004000",  # 大学东路街道
    "150121100000",  # 察素齐镇
    "150121101000",  # 毕克齐镇
    "150122100000",  # 双河镇
    "150122101000",  # 新营子镇
    "150123100000",  # 城关镇
    "150123101000",  # 盛乐镇
    "150124100000",  # 城关镇
    "150124102000",  # 喇嘛湾镇
    "150125100000",  # 可可以力更镇
    "150125101000",  # 哈乐镇
]
ARTICLE_COMMUNITIES = ["150102004007", "150105006036"]  # 老缸房社区, 惠民社区
DEMO_COMMUNITIES_PER_TOWNSHIP = 2
DEMO_GRIDS_PER_COMMUNITY = 3  # the third a dedicated grid
CITY_GRIDS = 5880
CITY_DEDICATED_SHARE = 0.08
DEDICATED = [
    (DedicatedKind.SCHOOL, "第{n}中学"),
    (DedicatedKind.HOSPITAL, "第{n}医院"),
    (DedicatedKind.MARKET, "{w}农贸市场"),
    (DedicatedKind.PARK, "{w}工业园区"),
    (DedicatedKind.GOVERNMENT, "{w}机关大院"),
    (DedicatedKind.SCENIC, "{w}景区"),
    (DedicatedKind.ENTERPRISE, "{w}企业园"),
    (DedicatedKind.OTHER, "{w}专属区域"),
]
NODE_COLUMNS = [
    "level",
    "code",
    "name",
    "parent",
    "grid_kind",
    "dedicated_kind",
    "boundary",
    "lng",
    "lat",
    "address",
    "version",
    "created_at",
    "updated_at",
    "path",
    "county_code",
]
CN_DIGITS = "零一二三四五六七八九十"


def _ordinal(n: int) -> str:
    if n <= 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + CN_DIGITS[n - 10]
    return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")


def _node(parent: Node | None, level: str, code: str, name: str, **extra: Any) -> Node:
    path = (parent.path if parent else "") + code
    return Node(
        level=level,
        code=code,
        name=name,
        parent=parent,
        path=path,
        county_code=paths.county_code_of(path),
        **extra,
    )


def _drawn_node(
    parent: Node | None, level: str, code: str, name: str, geometry: BaseGeometry, **extra: Any
) -> Node:
    lng, lat = anchor(geometry)
    return _node(parent, level, code, name, boundary=to_geojson(geometry), lng=lng, lat=lat, **extra)


def _chosen_townships(ctx: SeedContext, county: hohhot.Division) -> list[hohhot.Division]:
    if ctx.is_city:
        return list(county.children)
    return [t for t in county.children if t.code in DEMO_TOWNSHIPS]


def _chosen_communities(ctx: SeedContext, township: hohhot.Division) -> list[hohhot.Division]:
    if ctx.is_city:
        return list(township.children)
    named = [c for c in township.children if c.code in ARTICLE_COMMUNITIES]
    others = [c for c in township.children if c.code not in ARTICLE_COMMUNITIES]
    return (named + others)[:DEMO_COMMUNITIES_PER_TOWNSHIP]


def _grid_kinds(ctx: SeedContext, code: str, count: int) -> list[bool]:
    """Which of a community's grids are dedicated: the demo's third; at city scale about one in
    twelve, never the first (every community keeps a basic grid). Drawn from the code alone, so
    the grids' shapes do not depend on the order of seeding."""
    if not ctx.is_city:
        return [k == DEMO_GRIDS_PER_COMMUNITY for k in range(1, count + 1)]
    rng = random.Random(f"grid kinds of {code}")
    return [k > 1 and rng.random() < CITY_DEDICATED_SHARE for k in range(1, count + 1)]


def _grid(ctx: SeedContext, community: Node, k: int, dedicated: bool, geometry: BaseGeometry) -> Node:
    code = f"{community.code}{k:03d}"
    if dedicated:
        kind, pattern = ctx.rng.choice(DEDICATED)
        place = community.name.removesuffix("社区").removesuffix("村")
        label = pattern.format(n=ctx.rng.randint(1, 40), w=place)
        return _drawn_node(
            community,
            Level.GRID,
            code,
            f"{label}专属网格",
            geometry,
            grid_kind=GridKind.DEDICATED,
            dedicated_kind=kind,
        )
    return _drawn_node(
        community,
        Level.GRID,
        code,
        f"{community.name}第{_ordinal(k)}网格",
        geometry,
        grid_kind=GridKind.BASIC,
    )


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    root = hohhot.city()
    outlines = hohhot.county_boundaries()
    whole = unary_union(list(outlines.values()))
    city = _drawn_node(None, Level.CITY, root.code, root.name, whole)
    city.save()
    counties: list[Node] = []
    townships: list[Node] = []
    communities: list[Node] = []
    chosen: dict[str, list[hohhot.Division]] = {}
    for county_division in root.children:
        county = _drawn_node(
            city, Level.COUNTY, county_division.code, county_division.name, outlines[county_division.code]
        )
        counties.append(county)
        shapes = hohhot.township_shapes(county_division.code)
        for division in _chosen_townships(ctx, county_division):
            townships.append(
                _drawn_node(county, Level.TOWNSHIP, division.code, division.name, shapes[division.code])
            )
            chosen[division.code] = _chosen_communities(ctx, division)
    Node.objects.bulk_create(counties)
    Node.objects.bulk_create(townships)
    community_shapes: dict[str, BaseGeometry] = {}
    for township in ctx.track(townships, "村/社区"):
        shapes = hohhot.community_shapes(township.code)
        for division in chosen[township.code]:
            community_shapes[division.code] = shapes[division.code]
            communities.append(
                _drawn_node(township, Level.COMMUNITY, division.code, division.name, shapes[division.code])
            )
    Node.objects.bulk_create(communities)

    counts = hohhot.grid_counts(CITY_GRIDS) if ctx.is_city else {}
    grids: list[Node] = []
    grid_shapes: dict[str, BaseGeometry] = {}
    for community in ctx.track(communities, "网格"):
        count = counts.get(community.code, DEMO_GRIDS_PER_COMMUNITY)
        kinds = _grid_kinds(ctx, community.code, count)
        drawn = hohhot.grid_shapes(community.code, community_shapes[community.code], kinds)
        for k, (dedicated, geometry) in enumerate(zip(kinds, drawn, strict=True), start=1):
            grids.append(_grid(ctx, community, k, dedicated, geometry))
            grid_shapes[grids[-1].code] = geometry
    # Grids and buildings are most of the rows: written with plain INSERTs (see insert_rows);
    # values are plain str (not the Level enum) for the database drivers.
    now = db_value(Node, "created_at", timezone.now())
    insert_rows(
        Node,
        NODE_COLUMNS,
        (
            (
                str(g.level),
                g.code,
                g.name,
                g.parent_id,
                g.grid_kind,
                g.dedicated_kind,
                db_value(Node, "boundary", g.boundary),
                g.lng,
                g.lat,
                g.address,
                1,
                now,
                now,
                g.path,
                g.county_code,
            )
            for g in grids
        ),
    )
    grid_ids = dict(Node.objects.filter(level=Level.GRID).values_list("code", "pk"))
    for grid in grids:
        grid.pk = grid_ids[grid.code]
        grid._state.adding, grid._state.db = False, "default"

    per_grid = 10 if ctx.is_city else 4

    def buildings() -> Iterator[tuple[Any, ...]]:
        for grid in ctx.track(grids, "楼栋"):
            street = grid.parent.name if grid.parent else ""
            # Numbered from the north-west, as a walk through the grid would meet them.
            spots = sorted(scatter(grid_shapes[grid.code], per_grid, ctx.rng), key=lambda p: (-p[1], p[0]))
            for b, (lng, lat) in enumerate(spots, start=1):
                code = f"{grid.code}{b:03d}"
                yield (
                    "building",
                    code,
                    f"{b}号楼",
                    grid.pk,
                    "",
                    "",
                    None,
                    lng,
                    lat,
                    f"{street}{b}号楼",
                    1,
                    now,
                    now,
                    grid.path + code,
                    grid.county_code,
                )

    building_count = insert_rows(Node, NODE_COLUMNS, buildings())

    beats = []
    township_by_id = {t.pk: t for t in townships}
    for n, community in enumerate(communities, start=1):
        township = township_by_id[community.parent_id or 0]
        station = township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡") + "派出所"
        beats.append(
            PoliceBeat(
                code=f"JG{community.code}",
                name=f"{community.name}警格",
                station_name=station,
                officer_name=f"民警{n:04d}"
                if ctx.is_city
                else ("姚警官" if "老缸房" in community.name else f"{township.name[:2]}警官"),
                officer_badge=f"{150000 + n}",
                volunteer_police=ctx.rng.randint(2, 12),
                path=community.path,
                county_code=community.county_code,
            )
        )
    PoliceBeat.objects.bulk_create(beats)
    through = PoliceBeat.grids.through
    beat_by_path = {b.path: b for b in beats}
    insert_rows(
        through, ["policebeat", "node"], ((beat_by_path[g.parent.path].pk, g.pk) for g in grids if g.parent)
    )
    total = 1 + len(counties) + len(townships) + len(communities) + len(grids)
    record(
        Action.COMMAND,
        city,
        message=f"seed {ctx.scale}: {total} nodes above buildings, {len(grids)} grids, "
        f"{building_count} buildings, {len(beats)} police beats",
    )
    ctx.shared.update(city=city, counties=counties, townships=townships, communities=communities, grids=grids)
    analyze(Node, PoliceBeat)  # the steps after this one look buildings up by parent and level
    ctx.say(
        f"[green]Hierarchy:[/green] {len(counties)} counties, {len(townships)} townships, "
        f"{len(communities)} communities, {len(grids)} grids"
    )
