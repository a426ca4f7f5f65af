"""Supervision and inspection for the demo city: 赛罕区's plan for this month over the three grids
of 惠民社区 and one more grid of the county; two grids inspected with their
scores, findings, an open rectification on 惠民社区第一网格 (高波's, on his
phone) and one reported back and closed on the second grid. Through the services, so notices and
the audit log are as in real use."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.core.context import acting_as
from gridgov.core.seeding import SeedContext
from gridgov.hierarchy.models import Level, Node
from gridgov.inspection import services
from gridgov.inspection.models import ChecklistItem

# Which other grid of the county the demo plan adds (fixed, so every seed makes the same demo).
EXTRA_GRID = 20241


def _points(items: list[ChecklistItem], missed: dict[int, float]) -> dict[int, float]:
    """Full points but for the items at the given positions."""
    return {item.pk: missed.get(index, float(item.max_points)) for index, item in enumerate(items)}


@transaction.atomic
def seed(ctx: SeedContext) -> None:
    names = ["saihan_admin", "zhaowuda_admin", "huimin_admin"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    if len(users) < len(names) or not Node.objects.filter(name="惠民社区").exists():
        return
    county, community = Node.objects.get(name="赛罕区"), Node.objects.get(name="惠民社区")
    huimin = list(Node.objects.filter(parent=community, level=Level.GRID).order_by("path"))
    others = [g for g in services.area_grids(county) if not g.path.startswith(community.path)]
    extra = [others[EXTRA_GRID % len(others)]] if others else []
    today = timezone.localdate()
    admin, township = users["saihan_admin"], users["zhaowuda_admin"]
    with acting_as(admin, channel="command", username="saihan_admin"):
        plan = services.create_plan(
            user=admin,
            node=county,
            title=f"{today:%Y年%m月}网格工作督导检查",
            starts_on=today - timedelta(days=10),
            ends_on=today + timedelta(days=20),
            inspector_ids=[admin.pk, township.pk],
            grid_ids=[g.pk for g in huimin + extra],
        )
    items = services.checklist()
    visits = {v.grid_id: v for v in plan.visits.all()}
    with acting_as(township, channel="command", username="zhaowuda_admin"):
        first = services.score_visit(
            user=township,
            visit=visits[huimin[0].pk],
            points=_points(items, {0: 3, 7: 2.5, 12: 4}),
            note="台账基本完整；部分出租房屋信息未更新，楼道杂物较多。",
        )
        finding = services.add_finding(
            user=township,
            visit=first,
            item_id=items[7].pk if len(items) > 7 else None,
            description="3 号楼 2 单元楼道堆放纸箱、旧家具，堵塞消防通道。",
        )
        services.issue_rectification(
            user=township,
            finding=finding,
            requirement="督促住户清理楼道杂物，清理后拍照报告。",
            deadline=timezone.now() + timedelta(days=7),
        )
        services.add_finding(
            user=township, visit=first, item_id=items[0].pk, description="12 户出租房屋租客信息未登记。"
        )
        if len(huimin) > 1:
            second = services.score_visit(
                user=township,
                visit=visits[huimin[1].pk],
                points=_points(items, {2: 4, 9: 3}),
                note="安全隐患排查台账有缺项。",
            )
            late = services.add_finding(
                user=township, visit=second, item_id=items[4].pk, description="燃气安全入户检查记录缺 5 户。"
            )
            closed = services.issue_rectification(
                user=township,
                finding=late,
                requirement="补齐入户检查并登记。",
                deadline=today + timedelta(days=3),
            )
    if len(huimin) > 1:
        worker = User.objects.filter(pk=closed.worker_id).first() or users["huimin_admin"]
        with acting_as(worker, channel="command", username=worker.username):
            services.report_rectification(
                user=worker, rectification=closed, text="已补齐 5 户燃气安全入户检查，记录已登记。"
            )
        with acting_as(township, channel="command", username="zhaowuda_admin"):
            services.review_rectification(user=township, rectification=closed, accept=True, reason="记录齐全")
    ctx.say(f"[green]Inspection:[/green] plan {plan.title} over {len(visits)} grids, 2 inspected")
