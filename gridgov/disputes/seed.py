"""Demo disputes, made through the real services so their timelines, alerts and audit are real:
the article's case (a threat in the community chat group, settled in March by the grid worker,
the judicial office's mediator and the community's lawyer), and a few others in different states
and risk levels, two of them at one address (a hotspot on the early-warning list).

Runs after the events seed (categories, organisations, their staff). City scale adds nothing more.
"""

from datetime import datetime, time, timedelta
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.seeding import SeedContext
from gridgov.disputes import services, team
from gridgov.disputes.models import Dispute, DisputeType, Outcome, VisitKind
from gridgov.events import transitions as event_transitions
from gridgov.events.models import Event, Organisation, OrgKind
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.registry.models import Resident

ARTICLE_DESCRIPTION = (
    "惠民社区两户居民因楼上卫生间漏水在社区微信群里争吵，言辞激烈，其中一方在群里扬言"
    "“再不修就要去打死他”，另一方表示要报警。网格员高波在群里看到后立即上报。"
)
ARTICLE_TERMS = (
    "一、楼上住户三日内请维修人员修复卫生间防水，维修费用由其承担；二、楼下住户受损吊顶的修复费用"
    "由双方各承担一半；三、扬言一方当面道歉并撤回群内不当言论；四、双方承诺今后有事通过网格员和"
    "调解员协商解决，不再在群内相互攻击。"
)


def _building(grid: Node, n: int) -> str:
    """The name of the grid's n-th building (counted round): a demo address names a real one."""
    names = list(
        Node.objects.filter(parent=grid, level=Level.BUILDING).order_by("code").values_list("name", flat=True)
    )
    return names[(n - 1) % len(names)] if names else ""


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), time(hour, minute)))


def _parties(grid: Node, fallback: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Two registry residents of the grid when the registry has them, otherwise outsiders."""
    residents = list(Resident.objects.filter(path__under=grid.path, status="present").order_by("pk")[:2])
    if len(residents) == 2:
        return [
            {"resident_id": residents[0].pk, "role": "applicant"},
            {"resident_id": residents[1].pk, "role": "respondent"},
        ]
    return [
        {"name": name, "phone": phone, "role": role}
        for (name, phone), role in zip(fallback, ("applicant", "respondent"), strict=False)
    ]


def _org(kind: str, path: str) -> Organisation:
    found = (
        Organisation.objects.filter(kind=kind, active=True, path__in=paths.ancestors(path))
        .order_by("-path")
        .first()
    )
    if found is None:
        raise LookupError(f"no active {kind} organisation covers {path}")
    return found


def _member(org: Organisation) -> User:
    return cast(User, User.objects.filter(org_memberships__organisation=org).order_by("pk").first())


def _move(event: Event, steps: list[tuple[str, User | None, datetime, dict[str, Any]]]) -> Event:
    for action, actor, at, data in steps:
        note = data.pop("note", "")
        event = event_transitions.transition(event, action, user=actor, note=note, now=at, **data)
    return event


def article_case(users: dict[str, User], grid: Node, day: datetime) -> Dispute:
    """The article's case: reported from the phone, high risk, township and police alerted, mediator
    and lawyer brought in, three joint visits, agreement, confirmed and closed, followed up."""
    gaobo, admin = users["gaobo"], users["huimin_admin"]
    mediator, lawyer = users["zhaowuda_mediator"], users["huimin_lawyer"]
    judicial = Organisation.objects.get(name="昭乌达南路司法所")
    t0 = _at(day, 19, 40)
    dispute, _ = services.report_dispute(
        user=gaobo,
        category="dispute.neighbour",
        description=ARTICLE_DESCRIPTION,
        dispute_type=DisputeType.NEIGHBOUR,
        parties=_parties(grid, [("张建华", "13904715821"), ("李志强", "13847132690")]),
        lng=grid.lng,
        lat=grid.lat,
        address=f"惠民社区{_building(grid, 3)}2单元",
        channel="app",
        now=t0,
    )
    event = _move(
        dispute.event,
        [
            ("accept", admin, t0 + timedelta(minutes=12), {"note": "情况紧急，立即受理"}),
            (
                "dispatch",
                admin,
                t0 + timedelta(minutes=15),
                {"lead_org_id": judicial.pk, "note": "请司法所牵头调解"},
            ),
            ("acknowledge", mediator, t0 + timedelta(minutes=40), {"note": "已签收，明早联合走访"}),
        ],
    )
    # 高波 joins the team himself, then brings in the judicial office's mediator and the lawyer.
    team.add_team_member(dispute, user=gaobo, member=gaobo, now=t0 + timedelta(minutes=19))
    team.add_team_member(dispute, user=gaobo, member=mediator, now=t0 + timedelta(minutes=20))
    team.add_team_member(dispute, user=gaobo, member=lawyer, now=t0 + timedelta(minutes=22))
    _move(event, [("start", mediator, _at(day + timedelta(days=1), 9, 0), {"note": "开始调解"})])
    visitors = [gaobo.pk, mediator.pk, lawyer.pk]
    visits = [
        (
            _at(day + timedelta(days=1), 9, 30),
            "网格员、调解员、律师一同分别到两户家中了解情况、安抚情绪；律师讲解《民法典》"
            "相邻关系和侵权责任的规定，扬言一方表示只是气话。",
        ),
        (
            _at(day + timedelta(days=3), 15, 0),
            "查看漏水现场，请物业出具漏水原因说明；两户同意坐下来谈，初步商定维修方案。",
        ),
        (
            _at(day + timedelta(days=6), 10, 0),
            "在社区调解室组织双方面对面调解，双方就维修和费用分担达成一致，当场签订调解协议。",
        ),
    ]
    for at, summary in visits:
        services.record_visit(
            dispute, user=gaobo, visited_at=at, visitor_ids=visitors, summary=summary, now=at
        )
    services.record_outcome(
        dispute,
        user=mediator,
        outcome=Outcome.AGREEMENT,
        terms=ARTICLE_TERMS,
        now=_at(day + timedelta(days=6), 11, 0),
    )
    _move(
        event,
        [
            (
                "confirm",
                gaobo,
                _at(day + timedelta(days=7), 9, 0),
                {"satisfaction": 5, "note": "双方已按协议履行，矛盾化解"},
            )
        ],
    )
    services.record_visit(
        dispute,
        user=gaobo,
        visited_at=_at(day + timedelta(days=30), 16, 0),
        visitor_ids=[gaobo.pk, mediator.pk],
        kind=VisitKind.FOLLOW_UP,
        summary="回访：漏水已修好，两户见面打招呼，群里再无争吵。",
        now=_at(day + timedelta(days=30), 16, 0),
    )
    return dispute


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    names = [
        "gaobo",
        "huimin_admin",
        "zhaowuda_mediator",
        "huimin_lawyer",
        "city_admin",
        "laogangfang_worker",
        "saihan_admin",
    ]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    grid = Node.objects.filter(name="惠民社区第一网格", level=Level.GRID).first()
    if (
        grid is None
        or len(users) < len(names)
        or not Organisation.objects.filter(name="昭乌达南路司法所").exists()
    ):
        ctx.say("[yellow]Disputes:[/yellow] demo users or organisations missing; no demo disputes")
        return
    now = timezone.localtime()
    march = now.replace(year=now.year if now.month > 3 else now.year - 1, month=3, day=12)
    made = [article_case(users, grid, march)]
    gaobo, admin, city_admin = users["gaobo"], users["huimin_admin"], users["city_admin"]

    # Two quarrels at one address this autumn: a hotspot; the second with a vulnerable party.
    second_grid = (
        Node.objects.filter(parent=grid.parent, level=Level.GRID).exclude(pk=grid.pk).order_by("code").first()
    )
    noise, _ = services.report_dispute(
        user=gaobo,
        category="dispute.neighbour",
        dispute_type=DisputeType.NEIGHBOUR,
        description=f"{_building(grid, 1)}1单元楼上住户深夜装修噪音扰民，楼下老人多次敲门理论未果，双方在楼道发生推搡。",
        parties=[
            {"name": "王秀兰", "phone": "15947180032", "role": "applicant"},
            {"name": "刘洋", "phone": "18647155106", "role": "respondent"},
        ],
        lng=grid.lng,
        lat=grid.lat,
        address=f"惠民社区{_building(grid, 1)}1单元",
        now=now - timedelta(days=20),
    )
    judicial = Organisation.objects.get(name="昭乌达南路司法所")
    mediator = users["zhaowuda_mediator"]
    _move(
        noise.event,
        [
            ("accept", admin, now - timedelta(days=20, hours=-1), {}),
            ("dispatch", admin, now - timedelta(days=20, hours=-2), {"lead_org_id": judicial.pk}),
            ("acknowledge", mediator, now - timedelta(days=20, hours=-3), {}),
            ("start", mediator, now - timedelta(days=19), {}),
        ],
    )
    services.record_outcome(
        noise,
        user=mediator,
        outcome=Outcome.WITHDRAWN,
        terms="双方经网格员劝解后表示自行协商，申请人撤回调解申请。",
        now=now - timedelta(days=19),
    )
    _move(noise.event, [("close", admin, now - timedelta(days=18), {"note": "申请人撤回"})])
    repeat, _ = services.report_dispute(
        user=gaobo,
        category="dispute.neighbour",
        dispute_type=DisputeType.NEIGHBOUR,
        description=f"{_building(grid, 1)}1单元装修噪音纠纷再起，楼下老人情绪激动，说要找人收拾他。",
        parties=[
            {"name": "王秀兰", "phone": "15947180032", "role": "applicant"},
            {"name": "刘洋", "phone": "18647155106", "role": "respondent"},
        ],
        lng=grid.lng,
        lat=grid.lat,
        address=f"惠民社区{_building(grid, 1)}1单元",
        now=now - timedelta(days=2),
    )
    _move(
        repeat.event,
        [
            ("accept", admin, now - timedelta(days=2, hours=-1), {}),
            ("dispatch", admin, now - timedelta(days=2, hours=-2), {"lead_org_id": judicial.pk}),
        ],
    )
    team.add_team_member(repeat, user=gaobo, member=mediator, now=now - timedelta(days=2, hours=-3))
    made += [noise, repeat]

    # A family dispute in progress with one visit (medium: an elderly party).
    if second_grid is not None:
        family, _ = services.report_dispute(
            user=admin,
            category="dispute.family",
            dispute_type=DisputeType.FAMILY,
            description="老人与儿子因赡养费和房屋居住问题长期不和，老人到社区求助。",
            parties=[
                {"name": "赵桂芳", "phone": "13015403318", "role": "applicant", "note": "78岁，独居"},
                {"name": "赵建军", "phone": "13704712284", "role": "respondent"},
            ],
            grid=second_grid,
            address=f"惠民社区{_building(second_grid, 4)}",
            now=now - timedelta(days=6),
        )
        services.override_risk(
            family,
            user=admin,
            level="medium",
            reason="申请人78岁独居，未在人口库登记关爱标签，人工提高关注",
            now=now - timedelta(days=6),
        )
        made.append(family)

    # Wage arrears in a township of 赛罕区, high risk, dispatched and waiting.
    township_grid = (
        Node.objects.filter(level=Level.GRID, path__under=paths.at_level(grid.path, Level.TOWNSHIP))
        .exclude(parent=grid.parent)
        .order_by("code")
        .first()
    )
    if township_grid is not None:
        wage, _ = services.report_dispute(
            user=users["saihan_admin"],
            category="dispute.wage",
            dispute_type=DisputeType.WAGE_ARREARS,
            description="装修队12名工人被拖欠工资近8万元，包工头失联，工人聚集在工地门口，有人说拿不到钱就要报复。",
            parties=[{"name": "马宝音", "phone": "15248101276", "role": "applicant", "note": "工人代表"}],
            grid=township_grid,
            address=f"{township_grid.parent.name if township_grid.parent else ''}在建工地",
            now=now - timedelta(hours=5),
        )
        made.append(wage)

    # Outside 赛罕区: a property dispute just reported in 老缸房社区 (新城区), low risk.
    laogangfang = Node.objects.filter(name="老缸房社区第一网格", level=Level.GRID).first()
    if laogangfang is not None:
        prop, _ = services.report_dispute(
            user=users["laogangfang_worker"],
            category="dispute.property",
            dispute_type=DisputeType.PROPERTY_MANAGEMENT,
            description="业主对物业费上涨有意见，部分业主拒交物业费，物业公司停止清运垃圾。",
            parties=[{"name": "某物业服务公司", "role": "respondent"}],
            grid=laogangfang,
            address="老缸房小区",
            now=now - timedelta(hours=3),
        )
        made.append(prop)
        # A consumer dispute referred to market regulation's arbitration, closed.
        consumer, _ = services.report_dispute(
            user=users["laogangfang_worker"],
            category="dispute.consumer",
            dispute_type=DisputeType.CONSUMER,
            description="居民在社区附近健身房办卡后门店关闭，要求退费。",
            parties=[{"name": "孙丽", "phone": "13604713357", "role": "applicant"}],
            grid=laogangfang,
            address="老缸房社区东门",
            now=now - timedelta(days=40),
        )
        office = _org(OrgKind.JUDICIAL, laogangfang.path)
        _move(
            consumer.event,
            [
                ("accept", city_admin, now - timedelta(days=40, hours=-1), {}),
                ("dispatch", city_admin, now - timedelta(days=40, hours=-2), {"lead_org_id": office.pk}),
                ("acknowledge", _member(office), now - timedelta(days=39), {}),
                ("start", _member(office), now - timedelta(days=39), {}),
            ],
        )
        services.record_outcome(
            consumer,
            user=_member(office),
            outcome=Outcome.ARBITRATION,
            terms="引导申请人向消费者协会投诉并申请仲裁。",
            now=now - timedelta(days=38),
        )
        _move(consumer.event, [("close", city_admin, now - timedelta(days=37), {"note": "已引导仲裁"})])
        made.append(consumer)
    states = sorted({Event.objects.get(pk=d.event_id).state for d in made})
    record(
        Action.COMMAND,
        object_type="disputes.dispute",
        message=f"seed {ctx.scale}: {len(made)} demo disputes ({', '.join(states)})",
    )
    ctx.say(f"[green]Disputes:[/green] {len(made)} demo disputes ({', '.join(states)})")
