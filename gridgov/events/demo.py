"""Demo events in every state, made through the real services so their timelines are real.

The 惠民社区 stories follow the demo users (gaobo reports, huimin_admin accepts and dispatches,
heating_staff / saihan_market / zhaowuda_mediator … act, zhaowuda_admin supervises); a few dozen
more events spread over the city's other grids. Times are set in the past step by step, then one
worker pass marks what is overdue now and escalates it.
"""

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.core.context import acting_as
from gridgov.core.seeding import SeedContext
from gridgov.events import intake, transitions, worker
from gridgov.events.models import Event, Organisation, OrgMember
from gridgov.hierarchy.models import Level, Node

# Offsets of a happy path's steps after the report, in hours, and the actor kind of each step.
HAPPY_PATH = [
    ("accept", "centre", 0.5),
    ("dispatch", "centre", 1.0),
    ("acknowledge", "lead", 1.5),
    ("start", "lead", 2.0),
    ("handle", "lead", 20.0),
    ("confirm", "reporter", 26.0),
]
CITY_STORIES = [
    ("heating.cold_room", "{楼}2单元多户反映室温只有14度"),
    ("water.leak", "小区主干道供水管道渗漏，路面结冰"),
    ("city.garbage", "小区北门外建筑垃圾堆放多日"),
    ("city.street_stall", "学校门口早晚有流动摊贩占道经营"),
    ("market.food_safety", "农贸市场有商户销售来源不明的冻肉"),
    ("fire.hazard", "地下车库消防栓无水"),
    ("power.wire_hazard", "老旧小区楼道电线私拉乱接"),
    ("housing.property", "物业长期不清理化粪池"),
    ("civil.hardship", "低保户家中失火，生活困难"),
    ("labour.wage_arrears", "装修工人反映被拖欠工资三个月"),
    ("order.public", "夜间有人在小区内撬车"),
    ("dispute.neighbour", "楼上楼下因漏水发生争吵"),
    ("dispute.property", "业主与物业因停车费发生纠纷"),
    ("safety.hazard", "临街商铺违规存放液化气罐"),
    ("health.sanitation", "小区二次供水水箱多年未清洗"),
    ("market.elevator", "{楼}电梯频繁停运困人"),
]


class _Demo:
    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.now = timezone.now().replace(microsecond=0)
        self.users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[
                    "gaobo",
                    "huimin_volunteer",
                    "huimin_admin",
                    "zhaowuda_admin",
                    "saihan_admin",
                    "city_admin",
                    "heating_staff",
                    "water_staff",
                    "fire_staff",
                    "saihan_market",
                    "zhaowuda_mediator",
                    "huimin_lawyer",
                    "saihan_police",
                ]
            )
        }
        self.count = 0
        self.buildings: dict[int, list[Node]] = {}

    def ago(self, hours: float) -> datetime:
        return self.now - timedelta(hours=hours)

    def member(self, org: Organisation | None) -> Any:
        member = OrgMember.objects.filter(organisation=org).select_related("user").order_by("pk").first()
        return member.user if member else None

    def org(self, name: str) -> Organisation:
        return Organisation.objects.get(name=name)

    def report(
        self,
        reporter: Any,
        category: str,
        text: str,
        grid: Node,
        hours_ago: float,
        *,
        dx: float = 0.0,
        building: int | None = None,
        **extra: Any,
    ) -> Event:
        """`{楼}` in the text names the grid's `building`-th building (counted round), which also
        gives the address: a demo story never names a building its grid does not have."""
        if building is not None:
            found = self.building(grid, building)
            text = text.replace("{楼}", found.name if found else "")
            if found is not None:
                extra.setdefault("address", found.address or found.name)
        at = self.ago(hours_ago)
        with acting_as(reporter, channel="command", username=reporter.username):
            event, _ = intake.report_event(
                user=reporter,
                category=category,
                description=text,
                lng=(grid.lng or 0) + dx,
                lat=grid.lat,
                now=at,
                **extra,
            )
        self.count += 1
        return event

    def building(self, grid: Node, n: int) -> Node | None:
        if grid.pk not in self.buildings:
            self.buildings[grid.pk] = list(
                Node.objects.filter(parent=grid, level=Level.BUILDING).order_by("code")
            )
        found = self.buildings[grid.pk]
        return found[(n - 1) % len(found)] if found else None

    def step(self, event: Event, action: str, user: Any, at: datetime, note: str = "", **data: Any) -> Event:
        with acting_as(user, channel="command", username=getattr(user, "username", "system")):
            return transitions.transition(event, action, user=user, note=note, now=at, **data)

    def path(
        self,
        event: Event,
        reporter: Any,
        centre: Any,
        until: str,
        start_hours_ago: float,
        lead_org: Organisation | None = None,
        co_orgs: tuple[Organisation, ...] = (),
        result: str = "已处置完毕",
    ) -> Event:
        """Walk the happy path from the report up to and including the step `until`."""
        start = self.ago(start_hours_ago)
        last = next(offset for action, _who, offset in HAPPY_PATH if action == until)
        # Recent reports move faster: squeeze the path so its last step is still in the past.
        scale = min(1.0, 0.9 * start_hours_ago / last)
        lead_user = None
        for action, who, offset in HAPPY_PATH:
            at = start + timedelta(hours=offset * scale)
            if action == "dispatch":
                data: dict[str, Any] = {"lead_org_id": lead_org.pk} if lead_org else {}
                if co_orgs:
                    data["co_org_ids"] = [o.pk for o in co_orgs]
                self.step(event, action, centre, at, "请按时限处置", **data)
                lead_user = self.member(event.lead_org)
            elif who == "lead":
                extra = {"result": result} if action == "handle" else {}
                self.step(event, action, lead_user, at, "", **extra)
            elif who == "reporter":
                self.step(event, action, reporter, at, "处理及时，满意", satisfaction=5)
            else:
                self.step(event, action, centre, at, "")
            if action == until:
                break
        return event


def _grid_worker(grid: Node) -> Any:
    assignment = (
        RoleAssignment.objects.filter(node=grid, role=Role.GRID_WORKER).select_related("user").first()
    )
    return assignment.user if assignment else None


def seed_events(ctx: SeedContext) -> None:
    demo = _Demo(ctx)
    u = demo.users
    if "gaobo" not in u or "huimin_admin" not in u:
        return
    assignment = (
        RoleAssignment.objects.filter(user=u["gaobo"], role=Role.GRID_WORKER).select_related("node").first()
    )
    if assignment is None:
        return
    grid = assignment.node
    gaobo, centre, township = u["gaobo"], u["huimin_admin"], u["zhaowuda_admin"]

    # Fresh reports waiting for the community centre; the second is a likely duplicate, a third merged.
    burst = demo.report(
        gaobo, "heating.pipe_burst", "惠民小区{楼}地下室供热管道爆裂，热水外溢", grid, 0.4, building=3
    )
    demo.report(
        u["huimin_volunteer"],
        "heating.pipe_burst",
        "{楼}单元门口冒白气，地面有热水",
        grid,
        0.2,
        dx=0.0004,
        building=3,
    )
    merged = demo.report(
        gaobo, "heating.pipe_burst", "{楼}暖气管道漏水（重复上报）", grid, 0.3, dx=0.0002, building=3
    )
    demo.step(merged, "merge", centre, demo.ago(0.1), "与先报事件重复", into=burst.number)

    # Dispatched to the heating company just now: in heating_staff's inbox, not yet overdue.
    fresh = demo.report(gaobo, "heating.pipe_burst", "惠民小区{楼}供热管道阀门断裂", grid, 0.6, building=2)
    demo.path(fresh, gaobo, centre, "dispatch", 0.6)

    # A blocked fire exit handled jointly: the fire brigade leads, urban management co-handles.
    fire = demo.report(gaobo, "fire.exit_blocked", "{楼}消防通道被私家车和杂物长期堵塞", grid, 30, building=4)
    demo.path(fire, gaobo, centre, "start", 30, co_orgs=(demo.org("赛罕区城市管理综合执法局"),))
    demo.step(fire, "co_acknowledge", demo.member(demo.org("赛罕区城市管理综合执法局")), demo.ago(28))

    # An unlicensed stall: market regulation handled it, the reporter confirmed (closed, 5 stars).
    stall = demo.report(gaobo, "market.unlicensed", "小区东门有无证经营的流动早餐摊", grid, 24 * 6)
    demo.path(stall, gaobo, centre, "confirm", 24 * 6)
    # Handled and waiting for gaobo's confirmation.
    stall2 = demo.report(gaobo, "city.street_stall", "小区南门水果摊占用人行道", grid, 24 * 3)
    demo.path(stall2, gaobo, centre, "handle", 24 * 3, result="已劝离摊贩并设置提示牌")
    # Reopened: the water came back for a day only.
    water = demo.report(gaobo, "water.outage", "惠民小区{楼}停水超过12小时", grid, 24 * 4, building=1)
    demo.path(water, gaobo, centre, "handle", 24 * 4, result="已更换损坏阀门，恢复供水")
    demo.step(water, "reopen", gaobo, demo.ago(24 * 2), "第二天又停水了，问题没有解决", satisfaction=2)

    # A neighbour dispute: the judicial office mediates, the community's lawyer and the police help.
    dispute = demo.report(gaobo, "dispute.neighbour", "两户居民在小区微信群争吵，一方扬言要报复", grid, 20)
    demo.path(
        dispute,
        gaobo,
        centre,
        "start",
        20,
        lead_org=demo.org("昭乌达南路司法所"),
        co_orgs=(demo.org("惠民社区包联律师"), demo.org("昭乌达南路派出所")),
    )
    demo.step(dispute, "co_acknowledge", u["huimin_lawyer"], demo.ago(18))

    # Unsafe building: suspension requested and approved by the street (clock paused).
    unsafe = demo.report(gaobo, "housing.unsafe", "{楼}外墙保温层脱落，有坠落风险", grid, 24 * 2, building=4)
    demo.path(unsafe, gaobo, centre, "start", 24 * 2)
    lead = demo.member(unsafe.lead_org)
    demo.step(unsafe, "request_suspension", lead, demo.ago(30), "需等待专项维修资金审批")
    demo.step(unsafe, "approve_suspension", township, demo.ago(29), "同意挂起，资金到位后恢复")
    # An elderly resident's care: an extension request waiting for the street's decision.
    elderly = demo.report(gaobo, "civil.elderly", "独居老人王大爷近日行动不便，需上门照护", grid, 24)
    demo.path(elderly, gaobo, centre, "start", 24)
    demo.step(
        elderly,
        "request_extension",
        demo.member(elderly.lead_org),
        demo.ago(3),
        "需协调养老服务机构",
        hours=16,
    )

    # Returned to the reporter, and one accepted but not yet dispatched.
    garbage = demo.report(gaobo, "city.garbage", "小区外市政道路旁垃圾堆放", grid, 5)
    demo.step(garbage, "return", centre, demo.ago(4.5), "位置在小区外市政道路，请补充准确位置后重新上报")
    sanitation = demo.report(gaobo, "health.sanitation", "垃圾站周边蚊蝇滋生", grid, 1.5)
    demo.step(sanitation, "accept", centre, demo.ago(1.2))

    # The heating company did not acknowledge in time: yellow card from the street, then the worker
    # escalates it. A gas leak ignored: red card.
    cold = demo.report(gaobo, "heating.cold_room", "惠民小区{楼}整栋室温不达标", grid, 12, building=1)
    demo.path(cold, gaobo, centre, "dispatch", 12)
    demo.step(cold, "supervise", township, demo.ago(5), "供热单位未按时签收，黄牌督办", grade="yellow")
    gas = demo.report(gaobo, "gas.leak", "{楼}楼道有明显燃气味", grid, 9, building=2)
    demo.path(gas, gaobo, centre, "dispatch", 9)
    demo.step(gas, "supervise", township, demo.ago(7), "燃气泄漏未及时处置，红牌督办", grade="red")

    _city_events(demo)
    worker.run_once(demo.now)
    ctx.say(f"[green]Events:[/green] {demo.count} demo events in every state")


def _city_events(demo: _Demo) -> None:
    """A spread of events over the other grids, stopped at every point of the happy path."""
    rng = demo.ctx.rng
    grids = list(Node.objects.filter(level=Level.GRID).exclude(parent__name="惠民社区").order_by("path"))
    city_admin = demo.users.get("city_admin")
    if city_admin is None or not grids:
        return
    chosen = rng.sample(grids, min(len(grids), 8))
    stops = ["report", "accept", "dispatch", "acknowledge", "start", "handle", "confirm"]
    for n, grid in enumerate(chosen):
        reporter = _grid_worker(grid)
        if reporter is None:
            continue
        category, text = CITY_STORIES[n % len(CITY_STORIES)]
        hours_ago = rng.uniform(2, 24 * 20)
        event = demo.report(reporter, category, text, grid, hours_ago, building=n + 1)
        stop = stops[n % len(stops)]
        if stop != "report" and transitions.suggest_lead_org(event) is not None:
            demo.path(event, reporter, city_admin, stop, hours_ago)
