"""Whistle-and-report data: the event catalog, China's 2026 holiday calendar, the departments and
utilities with their staff, demo department users, and events in every state.

demo: the catalog, the calendar, every organisation, and a few dozen events made through the real
services (so their timelines are real). city: the same organisations for the whole city, plus a
year of events — one million — bulk inserted (see `gridgov.events.bulk`).
"""

import os

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.names import person_name
from gridgov.core.seeding import DEMO_PASSWORD, SeedContext
from gridgov.events import holidays
from gridgov.events.models import (
    Category,
    MemberRole,
    Organisation,
    OrgKind,
    OrgMember,
    Severity,
    TimeBasis,
)
from gridgov.hierarchy.models import Level, Node

K = OrgKind
# (code, name, owner kind, severity, ack hours, resolve hours, time basis, is_dispute, children)
CategoryRow = tuple[str, str, str, str, int, int, str, bool]
CATALOG: list[tuple[CategoryRow, list[CategoryRow]]] = [
    (
        ("heating", "供热", K.HEATING, Severity.MEDIUM, 2, 24, TimeBasis.CALENDAR, False),
        [
            (
                "heating.pipe_burst",
                "供热管道爆裂",
                K.HEATING,
                Severity.HIGH,
                1,
                12,
                TimeBasis.CALENDAR,
                False,
            ),
            ("heating.cold_room", "室温不达标", K.HEATING, Severity.MEDIUM, 4, 48, TimeBasis.CALENDAR, False),
        ],
    ),
    (
        ("water", "供水", K.WATER, Severity.MEDIUM, 2, 24, TimeBasis.CALENDAR, False),
        [
            ("water.outage", "停水", K.WATER, Severity.MEDIUM, 1, 12, TimeBasis.CALENDAR, False),
            ("water.leak", "供水管道漏水", K.WATER, Severity.MEDIUM, 2, 24, TimeBasis.CALENDAR, False),
        ],
    ),
    (
        ("power", "供电", K.POWER, Severity.MEDIUM, 2, 24, TimeBasis.CALENDAR, False),
        [
            ("power.outage", "停电", K.POWER, Severity.MEDIUM, 1, 8, TimeBasis.CALENDAR, False),
            ("power.wire_hazard", "线路隐患", K.POWER, Severity.HIGH, 2, 24, TimeBasis.CALENDAR, False),
        ],
    ),
    (
        ("gas", "燃气", K.GAS, Severity.HIGH, 1, 8, TimeBasis.CALENDAR, False),
        [
            ("gas.leak", "燃气泄漏", K.GAS, Severity.CRITICAL, 1, 4, TimeBasis.CALENDAR, False),
        ],
    ),
    (
        ("fire", "消防安全", K.FIRE, Severity.HIGH, 2, 24, TimeBasis.WORKING, False),
        [
            ("fire.exit_blocked", "消防通道堵塞", K.FIRE, Severity.HIGH, 2, 24, TimeBasis.WORKING, False),
            ("fire.hazard", "消防设施损坏", K.FIRE, Severity.MEDIUM, 4, 72, TimeBasis.WORKING, False),
        ],
    ),
    (
        ("city", "市容城管", K.URBAN_MANAGEMENT, Severity.LOW, 4, 72, TimeBasis.WORKING, False),
        [
            (
                "city.street_stall",
                "占道经营",
                K.URBAN_MANAGEMENT,
                Severity.LOW,
                4,
                48,
                TimeBasis.WORKING,
                False,
            ),
            (
                "city.illegal_building",
                "违章搭建",
                K.URBAN_MANAGEMENT,
                Severity.MEDIUM,
                8,
                120,
                TimeBasis.WORKING,
                False,
            ),
            ("city.garbage", "垃圾堆放", K.URBAN_MANAGEMENT, Severity.LOW, 4, 48, TimeBasis.WORKING, False),
        ],
    ),
    (
        ("market", "市场监管", K.MARKET_REGULATION, Severity.LOW, 4, 72, TimeBasis.WORKING, False),
        [
            (
                "market.unlicensed",
                "无证无照经营",
                K.MARKET_REGULATION,
                Severity.LOW,
                4,
                72,
                TimeBasis.WORKING,
                False,
            ),
            (
                "market.food_safety",
                "食品安全",
                K.MARKET_REGULATION,
                Severity.HIGH,
                2,
                24,
                TimeBasis.WORKING,
                False,
            ),
            (
                "market.elevator",
                "电梯故障",
                K.MARKET_REGULATION,
                Severity.MEDIUM,
                2,
                24,
                TimeBasis.CALENDAR,
                False,
            ),
        ],
    ),
    (
        ("housing", "住房建设", K.HOUSING, Severity.MEDIUM, 4, 72, TimeBasis.WORKING, False),
        [
            ("housing.unsafe", "房屋安全隐患", K.HOUSING, Severity.HIGH, 2, 48, TimeBasis.WORKING, False),
            ("housing.property", "物业服务问题", K.HOUSING, Severity.LOW, 8, 120, TimeBasis.WORKING, False),
        ],
    ),
    (
        ("civil", "民政服务", K.CIVIL_AFFAIRS, Severity.LOW, 8, 120, TimeBasis.WORKING, False),
        [
            (
                "civil.hardship",
                "困难群众救助",
                K.CIVIL_AFFAIRS,
                Severity.MEDIUM,
                4,
                72,
                TimeBasis.WORKING,
                False,
            ),
            (
                "civil.elderly",
                "独居老人关爱",
                K.CIVIL_AFFAIRS,
                Severity.MEDIUM,
                4,
                48,
                TimeBasis.WORKING,
                False,
            ),
        ],
    ),
    (
        ("labour", "劳动保障", K.HUMAN_RESOURCES, Severity.MEDIUM, 8, 120, TimeBasis.WORKING, False),
        [
            (
                "labour.wage_arrears",
                "拖欠工资",
                K.HUMAN_RESOURCES,
                Severity.MEDIUM,
                4,
                120,
                TimeBasis.WORKING,
                False,
            ),
        ],
    ),
    (
        ("health", "卫生健康", K.HEALTH, Severity.MEDIUM, 2, 48, TimeBasis.WORKING, False),
        [
            ("health.epidemic", "传染病疫情线索", K.HEALTH, Severity.HIGH, 1, 24, TimeBasis.CALENDAR, False),
            ("health.sanitation", "公共卫生问题", K.HEALTH, Severity.LOW, 8, 120, TimeBasis.WORKING, False),
        ],
    ),
    (
        ("safety", "安全生产与应急", K.EMERGENCY, Severity.HIGH, 2, 24, TimeBasis.CALENDAR, False),
        [
            ("safety.hazard", "安全生产隐患", K.EMERGENCY, Severity.HIGH, 2, 48, TimeBasis.WORKING, False),
            (
                "safety.disaster",
                "自然灾害险情",
                K.EMERGENCY,
                Severity.CRITICAL,
                1,
                12,
                TimeBasis.CALENDAR,
                False,
            ),
        ],
    ),
    (
        ("order", "社会治安", K.POLICE, Severity.MEDIUM, 1, 24, TimeBasis.CALENDAR, False),
        [
            ("order.public", "治安隐患", K.POLICE, Severity.MEDIUM, 1, 24, TimeBasis.CALENDAR, False),
            (
                "order.petition",
                "信访维稳线索",
                K.POLITICAL_LEGAL,
                Severity.HIGH,
                2,
                72,
                TimeBasis.WORKING,
                False,
            ),
        ],
    ),
    (
        ("dispute", "矛盾纠纷", K.JUDICIAL, Severity.MEDIUM, 4, 120, TimeBasis.WORKING, True),
        [
            ("dispute.neighbour", "邻里纠纷", K.JUDICIAL, Severity.MEDIUM, 4, 120, TimeBasis.WORKING, True),
            ("dispute.family", "婚姻家庭纠纷", K.JUDICIAL, Severity.MEDIUM, 4, 120, TimeBasis.WORKING, True),
            ("dispute.property", "物业纠纷", K.JUDICIAL, Severity.LOW, 8, 120, TimeBasis.WORKING, True),
            ("dispute.wage", "劳资纠纷", K.JUDICIAL, Severity.MEDIUM, 4, 120, TimeBasis.WORKING, True),
            ("dispute.land", "土地纠纷", K.JUDICIAL, Severity.MEDIUM, 8, 240, TimeBasis.WORKING, True),
            ("dispute.consumer", "消费纠纷", K.JUDICIAL, Severity.LOW, 8, 120, TimeBasis.WORKING, True),
            ("dispute.other", "其他纠纷", K.JUDICIAL, Severity.LOW, 8, 120, TimeBasis.WORKING, True),
        ],
    ),
]

# China's 2026 public holidays and make-up working days (国办发明电〔2025〕7号).
# City-wide departments and utilities (area: the city).
CITY_ORGS: list[tuple[str, str]] = [
    (K.GOVERNANCE_CENTRE, "呼和浩特市综治中心"),
    (K.POLITICAL_LEGAL, "中共呼和浩特市委政法委员会"),
    (K.CIVIL_AFFAIRS, "呼和浩特市民政局"),
    (K.HOUSING, "呼和浩特市住房和城乡建设局"),
    (K.URBAN_MANAGEMENT, "呼和浩特市城市管理综合执法局"),
    (K.EMERGENCY, "呼和浩特市应急管理局"),
    (K.HUMAN_RESOURCES, "呼和浩特市人力资源和社会保障局"),
    (K.MARKET_REGULATION, "呼和浩特市市场监督管理局"),
    (K.HEALTH, "呼和浩特市卫生健康委员会"),
    (K.FIRE, "呼和浩特市消防救援支队"),
    (K.WATER, "呼和浩特春华水务集团"),
    (K.POWER, "内蒙古电力集团呼和浩特供电公司"),
    (K.GAS, "呼和浩特中燃城市燃气公司"),
    (K.HEATING, "呼和浩特市热力公司"),
]
# Per county: the centre and the county branches that take most everyday work.
COUNTY_ORGS: list[tuple[str, str]] = [
    (K.GOVERNANCE_CENTRE, "{name}综治中心"),
    (K.MARKET_REGULATION, "{name}市场监督管理局"),
    (K.URBAN_MANAGEMENT, "{name}城市管理综合执法局"),
    (K.FIRE, "{name}消防救援大队"),
    (K.CIVIL_AFFAIRS, "{name}民政局"),
]

# Demo department users (README lists them): username, full name, organisation name, member role,
# and the node their DEPARTMENT_STAFF role is held on (the area the organisation serves).
DEMO_STAFF: list[tuple[str, str, str, str]] = [
    ("heating_staff", "刘建军", "呼和浩特市热力公司", MemberRole.STAFF),
    ("water_staff", "孙海燕", "呼和浩特春华水务集团", MemberRole.STAFF),
    ("fire_staff", "韩振华", "呼和浩特市消防救援支队", MemberRole.STAFF),
    ("saihan_market", "邓丽娟", "赛罕区市场监督管理局", MemberRole.STAFF),
    ("zhaowuda_mediator", "周淑珍", "昭乌达南路司法所", MemberRole.MEDIATOR),
    ("huimin_lawyer", "陈律师", "惠民社区包联律师", MemberRole.LAWYER),
    ("saihan_police", "李警官", "昭乌达南路派出所", MemberRole.OFFICER),
    ("huimin_yijing", "巴特尔", "昭乌达南路派出所", MemberRole.VOLUNTEER_POLICE),
    ("huimin_security", "赵治保", "惠民社区治保会", MemberRole.STAFF),
]
# Demo administrators who are also members of their level's governance centre.
CENTRE_MEMBERS = {
    "city_admin": "呼和浩特市综治中心",
    "saihan_admin": "赛罕区综治中心",
    "zhaowuda_admin": "昭乌达南路街道综治中心",
    "huimin_admin": "惠民社区综治中心",
}
LAW_FIRMS = [
    "内蒙古正大律师事务所",
    "内蒙古加度律师事务所",
    "内蒙古建中律师事务所",
    "内蒙古蒙益律师事务所",
    "内蒙古尚智律师事务所",
    "内蒙古大业律师事务所",
]


def seed_holidays() -> int:
    """The official calendar of last year, this year and next, as far as chinese-calendar has it."""
    this = timezone.localdate().year
    return sum(
        holidays.load_year(year) for year in (this - 1, this, this + 1) if year in holidays.known_years()
    )


def seed_catalog() -> int:
    count = 0
    for parent_row, children in CATALOG:
        code, name, kind, severity, ack, resolve, basis, dispute = parent_row
        parent = Category.objects.create(
            code=code,
            name=name,
            owner_kind=kind,
            severity=severity,
            ack_hours=ack,
            resolve_hours=resolve,
            time_basis=basis,
            is_dispute=dispute,
        )
        Category.objects.bulk_create(
            [
                Category(
                    code=c,
                    name=n,
                    parent=parent,
                    owner_kind=k,
                    severity=s,
                    ack_hours=a,
                    resolve_hours=r,
                    time_basis=b,
                    is_dispute=d,
                )
                for c, n, k, s, a, r, b, d in children
            ]
        )
        count += 1 + len(children)
    from gridgov.events.selectors import invalidate_catalog

    invalidate_catalog()  # bulk_create sends no signals
    return count


def _org(kind: str, name: str, area: Node, phone: str = "") -> Organisation:
    return Organisation(
        kind=kind, name=name, area=area, path=area.path, county_code=area.county_code, phone=phone
    )


def station_name(township: Node) -> str:
    """The police station's name as the hierarchy's police beats spell it."""
    return township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡") + "派出所"


def seed_organisations(ctx: SeedContext) -> dict[str, Organisation]:
    city = ctx.shared.get("city") or Node.objects.get(level=Level.CITY)
    counties = ctx.shared.get("counties") or list(Node.objects.filter(level=Level.COUNTY))
    townships = ctx.shared.get("townships") or list(Node.objects.filter(level=Level.TOWNSHIP))
    communities = ctx.shared.get("communities") or list(Node.objects.filter(level=Level.COMMUNITY))
    orgs: list[Organisation] = [_org(kind, name, city, "0471-12345") for kind, name in CITY_ORGS]
    for county in counties:
        orgs += [_org(kind, pattern.format(name=county.name), county) for kind, pattern in COUNTY_ORGS]
    for township in townships:
        short = township.name.removesuffix("街道")
        orgs.append(_org(K.GOVERNANCE_CENTRE, f"{township.name}综治中心", township))
        orgs.append(_org(K.POLICE, station_name(township), township, "110"))
        orgs.append(_org(K.JUDICIAL, f"{short}司法所", township))
    for n, community in enumerate(communities):
        orgs.append(_org(K.GOVERNANCE_CENTRE, f"{community.name}综治中心", community))
        orgs.append(_org(K.SECURITY_COMMITTEE, f"{community.name}治保会", community))
        lawyer = _org(K.LAWYER, f"{community.name}包联律师", community)
        lawyer.phone = LAW_FIRMS[n % len(LAW_FIRMS)]
        orgs.append(lawyer)
    Organisation.objects.bulk_create(orgs, batch_size=2000)
    # Names repeat across counties (e.g. 城关镇), so the demo lookup keeps the first of each name.
    by_name: dict[str, Organisation] = {}
    for org in orgs:
        by_name.setdefault(org.name, org)
    ctx.shared["organisations"] = orgs
    return by_name


def seed_staff(ctx: SeedContext, orgs: list[Organisation], by_name: dict[str, Organisation]) -> int:
    """Demo department users who can log in, and generated staff (unusable passwords) for every
    police station (an officer and volunteer police), judicial office, lawyer and committee."""
    # The accounts seed hashed the demo password already; Argon2 is slow on purpose.
    existing = User.objects.filter(username="gaobo").values_list("password", flat=True).first()
    demo_hash = existing if existing and not existing.startswith("!") else make_password(DEMO_PASSWORD)
    users: list[User] = []
    members: list[tuple[int, Organisation, str]] = []
    for username, full_name, org_name, role in DEMO_STAFF:
        users.append(User(username=username, full_name=full_name, password=demo_hash, is_staff=False))
        members.append((len(users) - 1, by_name[org_name], role))
    demo_orgs = {by_name[name].pk for _u, _f, name, _r in DEMO_STAFF}
    generated: dict[str, list[str]] = {
        K.POLICE: [MemberRole.OFFICER, MemberRole.VOLUNTEER_POLICE, MemberRole.VOLUNTEER_POLICE],
        K.JUDICIAL: [MemberRole.MEDIATOR],
        K.LAWYER: [MemberRole.LAWYER],
        K.GOVERNANCE_CENTRE: [],
    }
    for org in orgs:
        if org.pk in demo_orgs and org.kind != K.POLICE:
            continue
        for n, role in enumerate(generated.get(org.kind, [MemberRole.STAFF])):
            users.append(
                User(
                    username=f"o{org.pk}{role[:2]}{n}",
                    full_name=person_name(ctx.rng),
                    password="!unusable",
                    is_staff=False,
                )
            )
            members.append((len(users) - 1, org, role))
    User.objects.bulk_create(users, batch_size=5000)
    OrgMember.objects.bulk_create(
        [OrgMember(organisation=org, user=users[i], role=role) for i, org, role in members], batch_size=5000
    )
    seen: set[tuple[int, int]] = set()
    assignments = []
    for i, org, _role in members:
        if (users[i].pk, org.area_id) not in seen:
            seen.add((users[i].pk, org.area_id))
            assignments.append(RoleAssignment(user=users[i], role=Role.DEPARTMENT_STAFF, node_id=org.area_id))
    RoleAssignment.objects.bulk_create(assignments, batch_size=5000)
    admins = {u.username: u for u in User.objects.filter(username__in=list(CENTRE_MEMBERS))}
    OrgMember.objects.bulk_create(
        [
            OrgMember(organisation=by_name[org_name], user=admins[username], role=MemberRole.LEADER)
            for username, org_name in CENTRE_MEMBERS.items()
            if username in admins
        ]
    )
    return len(users)


def seed(ctx: SeedContext) -> None:
    seed_organisations_and_demo(ctx)
    if ctx.is_city:
        from gridgov.events.bulk import CITY_EVENTS, seed_city_events

        # GRIDGOV_CITY_EVENTS overrides the million (e.g. for a quicker try of the city scale).
        seed_city_events(ctx, int(os.environ.get("GRIDGOV_CITY_EVENTS", CITY_EVENTS)))


@transaction.atomic
def seed_organisations_and_demo(ctx: SeedContext) -> None:
    holidays = seed_holidays()
    categories = seed_catalog()
    by_name = seed_organisations(ctx)
    orgs: list[Organisation] = ctx.shared["organisations"]
    staff = seed_staff(ctx, orgs, by_name)
    record(
        Action.COMMAND,
        object_type="events.organisation",
        message=f"seed {ctx.scale}: {categories} categories, {holidays} holiday rows, {len(orgs)} organisations, "
        f"{staff} department staff",
    )
    ctx.say(
        f"[green]Events:[/green] {categories} categories, {len(orgs)} organisations, {staff} department staff"
    )
    from gridgov.events import demo

    demo.seed_events(ctx)
