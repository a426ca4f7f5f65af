"""Hohhot: nine county-level units with their real codes and township names, then communities,
grids (basic and dedicated, with rectangular boundary polygons), buildings and police beats.

demo: two townships per county, two communities each, three grids each, four buildings each.
city: all townships, 5,880 grids in all, ~10 buildings per grid.
"""

import math
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.seeding import SeedContext, db_value, insert_rows
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import DedicatedKind, GridKind, Level, Node, PoliceBeat

CITY = ("150100", "呼和浩特市")
# (code, name, townships) — GB/T 2260 county codes; township names as the city lists them.
COUNTIES: list[tuple[str, str, list[str]]] = [
    (
        "150102",
        "新城区",
        [
            "东街街道",
            "西街街道",
            "中山路街道",
            "海拉尔东路街道",
            "锡林路街道",
            "迎新路街道",
            "东风路街道",
            "成吉思汗大街街道",
            "保合少镇",
        ],
    ),
    (
        "150103",
        "回民区",
        [
            "环河街街道",
            "通道街街道",
            "中山西路街道",
            "光明路街道",
            "海拉尔西路街道",
            "钢铁路街道",
            "新华西路街道",
            "攸攸板镇",
        ],
    ),
    (
        "150104",
        "玉泉区",
        [
            "大南街街道",
            "小召前街街道",
            "长和廊街道",
            "西菜园街道",
            "兴隆巷街道",
            "鄂尔多斯路街道",
            "昭君路街道",
            "小黑河镇",
        ],
    ),
    (
        "150105",
        "赛罕区",
        [
            "昭乌达南路街道",
            "大学东路街道",
            "大学西路街道",
            "乌兰察布东路街道",
            "中专路街道",
            "敕勒川路街道",
            "人民路街道",
            "巴彦淖尔路街道",
            "长乐宫街道",
            "金河镇",
            "榆林镇",
            "黄合少镇",
        ],
    ),
    (
        "150121",
        "土默特左旗",
        ["察素齐镇", "毕克齐镇", "善岱镇", "台阁牧镇", "白庙子镇", "北什轴乡", "塔布赛乡", "敕勒川镇"],
    ),
    ("150122", "托克托县", ["双河镇", "新营子镇", "五申镇", "伍什家镇", "古城镇"]),
    (
        "150123",
        "和林格尔县",
        ["城关镇", "盛乐镇", "新店子镇", "舍必崖乡", "大红城乡", "羊群沟乡", "黑老夭乡", "巧什营镇"],
    ),
    (
        "150124",
        "清水河县",
        ["城关镇", "喇嘛湾镇", "宏河镇", "老牛湾镇", "韭菜庄乡", "北堡乡", "窑沟乡", "五良太乡"],
    ),
    (
        "150125",
        "武川县",
        [
            "可可以力更镇",
            "哈乐镇",
            "西乌兰不浪镇",
            "上秃亥乡",
            "二份子乡",
            "大豆铺乡",
            "耗赖山乡",
            "得胜沟乡",
            "哈拉合少乡",
        ],
    ),
]
# Real communities named in the source article come first under their townships.
KNOWN_COMMUNITIES = {"东街街道": ["老缸房社区"], "昭乌达南路街道": ["惠民社区"]}
COMMUNITY_WORDS = [
    "民族",
    "团结",
    "幸福",
    "和平",
    "光明",
    "友谊",
    "阳光",
    "绿苑",
    "锦绣",
    "丽苑",
    "建设",
    "育才",
    "青城",
    "金桥",
    "北垣",
    "南门",
    "新华",
    "兴安",
    "如意",
    "春华",
    "秋实",
    "长青",
    "明珠",
    "祥和",
    "康乐",
    "安居",
    "嘉园",
    "乌兰",
    "巴彦",
    "草原",
    "满都海",
    "大青山",
    "敕勒川",
    "五塔",
    "昭君",
    "舍必崖",
    "通顺",
    "东瓦窑",
    "西顺城",
    "公园",
    "桥华",
    "南茶坊",
    "电力",
    "铁路",
    "机场",
    "学府",
    "滨河",
    "如意河",
    "万家",
    "金地",
    "腾飞",
    "世纪",
    "凯元",
    "钢铁",
    "宝力尔",
    "苏木",
    "兴隆",
    "胜利",
    "和谐",
    "富强",
    "文明",
    "丰州",
]
VILLAGE_WORDS = [
    "东营",
    "西营",
    "南窑",
    "北沟",
    "大榆树",
    "小黑河",
    "什拉门更",
    "红山口",
    "毕克齐",
    "台阁",
    "善岱",
    "沙尔沁",
    "白塔",
    "讨速号",
    "八拜",
]
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
CITY_GRIDS = 5880
CITY_COMMUNITIES_PER_TOWNSHIP = 10
CN_DIGITS = "零一二三四五六七八九十"
# Hohhot's extent (WGS84), split into rectangles level by level.
BBOX = (110.80, 40.00, 112.30, 41.40)


def _split(bbox: tuple[float, float, float, float], n: int) -> list[tuple[float, float, float, float]]:
    """Cut a rectangle into n cells, row by row."""
    minx, miny, maxx, maxy = bbox
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    w, h = (maxx - minx) / cols, (maxy - miny) / rows
    cells = []
    for i in range(n):
        r, c = divmod(i, cols)
        cells.append((minx + c * w, maxy - (r + 1) * h, minx + (c + 1) * w, maxy - r * h))
    return cells


def _polygon(bbox: tuple[float, float, float, float]) -> dict[str, Any]:
    minx, miny, maxx, maxy = (round(v, 6) for v in bbox)
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }


def _centre(bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    return round((bbox[0] + bbox[2]) / 2, 6), round((bbox[1] + bbox[3]) / 2, 6)


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


def _community_names(ctx: SeedContext, township: str, count: int) -> list[str]:
    names = list(KNOWN_COMMUNITIES.get(township, []))
    village = township.endswith(("镇", "乡"))
    words = VILLAGE_WORDS if village else COMMUNITY_WORDS
    pool = ctx.rng.sample(words, len(words))
    for word in pool:
        if len(names) >= count:
            break
        candidate = f"{word}{'村' if village else '社区'}"
        if candidate not in names:
            names.append(candidate)
    n = 1
    while len(names) < count:
        names.append(f"{pool[n % len(pool)]}{_ordinal(n % 10 + 1)}{'村' if village else '社区'}")
        n += 1
    return names[:count]


def _grid_counts(ctx: SeedContext, communities: int) -> list[int]:
    if not ctx.is_city:
        return [3] * communities
    base, extra = divmod(CITY_GRIDS, communities)
    return [base + (1 if i < extra else 0) for i in range(communities)]


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    city_box = BBOX
    city = _node(
        None,
        Level.CITY,
        CITY[0],
        CITY[1],
        lng=_centre(city_box)[0],
        lat=_centre(city_box)[1],
        boundary=_polygon(city_box),
    )
    city.save()
    counties, townships, communities = [], [], []
    county_boxes = _split(city_box, len(COUNTIES))
    township_boxes, community_boxes = {}, {}
    for (code, name, township_names), box in zip(COUNTIES, county_boxes, strict=True):
        county = _node(
            city, Level.COUNTY, code, name, boundary=_polygon(box), lng=_centre(box)[0], lat=_centre(box)[1]
        )
        counties.append(county)
        chosen = township_names if ctx.is_city else township_names[:2]
        for i, (tname, tbox) in enumerate(zip(chosen, _split(box, len(chosen)), strict=True), start=1):
            township = _node(
                county,
                Level.TOWNSHIP,
                f"{code}{i:03d}000",
                tname,
                boundary=_polygon(tbox),
                lng=_centre(tbox)[0],
                lat=_centre(tbox)[1],
            )
            townships.append(township)
            township_boxes[township.code] = tbox
    Node.objects.bulk_create(counties)
    Node.objects.bulk_create(townships)
    per_township = CITY_COMMUNITIES_PER_TOWNSHIP if ctx.is_city else 2
    for township in townships:
        village = township.name.endswith(("镇", "乡"))
        names = _community_names(ctx, township.name, per_township)
        for j, (cname, cbox) in enumerate(
            zip(names, _split(township_boxes[township.code], per_township), strict=True), start=1
        ):
            number = (200 + j) if village else j
            community = _node(
                township,
                Level.COMMUNITY,
                f"{township.code[:9]}{number:03d}",
                cname,
                boundary=_polygon(cbox),
                lng=_centre(cbox)[0],
                lat=_centre(cbox)[1],
            )
            communities.append(community)
            community_boxes[community.code] = cbox
    Node.objects.bulk_create(communities)

    grids: list[Node] = []
    counts = _grid_counts(ctx, len(communities))
    for community, count in ctx.track(list(zip(communities, counts, strict=True)), "网格", len(communities)):
        boxes = _split(community_boxes[community.code], count)
        for k, gbox in enumerate(boxes, start=1):
            dedicated = (k == count and count >= 3) if not ctx.is_city else ctx.rng.random() < 0.08
            lng, lat = _centre(gbox)
            if dedicated:
                kind, pattern = ctx.rng.choice(DEDICATED)
                label = pattern.format(
                    n=ctx.rng.randint(1, 40), w=community.name.removesuffix("社区").removesuffix("村")
                )
                grid = _node(
                    community,
                    Level.GRID,
                    f"{community.code}{k:03d}",
                    f"{label}专属网格",
                    grid_kind=GridKind.DEDICATED,
                    dedicated_kind=kind,
                    boundary=_polygon(gbox),
                    lng=lng,
                    lat=lat,
                )
            else:
                grid = _node(
                    community,
                    Level.GRID,
                    f"{community.code}{k:03d}",
                    f"{community.name}第{_ordinal(k)}网格",
                    grid_kind=GridKind.BASIC,
                    boundary=_polygon(gbox),
                    lng=lng,
                    lat=lat,
                )
            grids.append(grid)
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
            minx, miny = (grid.boundary or {})["coordinates"][0][0]
            maxx, maxy = (grid.boundary or {})["coordinates"][0][2]
            street = grid.parent.name if grid.parent else ""
            for b in range(1, per_grid + 1):
                fx, fy = (b - 0.5) / per_grid, ctx.rng.uniform(0.2, 0.8)
                code = f"{grid.code}{b:03d}"
                yield (
                    "building",
                    code,
                    f"{b}号楼",
                    grid.pk,
                    "",
                    "",
                    None,
                    round(minx + (maxx - minx) * fx, 6),
                    round(miny + (maxy - miny) * fy, 6),
                    f"{street}{b}号楼",
                    1,
                    now,
                    now,
                    grid.path + code,
                    grid.county_code,
                )

    building_count = insert_rows(Node, NODE_COLUMNS, buildings())

    beats = []
    grids_by_community: dict[int, list[Node]] = {}
    for grid in grids:
        grids_by_community.setdefault(grid.parent_id or 0, []).append(grid)
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
    ctx.say(
        f"[green]Hierarchy:[/green] {len(counties)} counties, {len(townships)} townships, "
        f"{len(communities)} communities, {len(grids)} grids"
    )
