"""Tasks for the demo city (a month) and the city scale (90 days).

In 昭乌达南路街道 the stories go through the services (notices, admission record): tasks within
the duties from the community and the street, and three outside them — one approved by 赛罕区,
one refused, one waiting. Every other community gets tasks in bulk at a steady rhythm (mostly
within the duties, about one in ten outside them and decided by the county), most completed by
the grid's worker. One audit row summarises the bulk load.
"""

import random
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.context import acting_as
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.tasks import services
from gridgov.tasks.models import Admission, AssignmentState, Duty, Source, Task, TaskAssignment

TITLES = {
    "information": "出租房屋信息核查更新",
    "disputes": "邻里矛盾排查走访",
    "hazards": "冬季燃气安全入户检查",
    "publicity": "防范电信诈骗宣传",
    "services": "协助老年人办理高龄津贴认证",
    "care": "独居老人冬季探访",
    "order": "节前治安巡逻",
    "environment": "背街小巷环境卫生巡查",
    "opinion": "收集居民对老旧小区改造的意见",
    "emergency": "暴雪天气应急值守",
}
OUTSIDE = ["代收物业费", "统计辖区商户营业额", "协助拆除违章广告牌", "催缴有线电视费"]
RESULTS = ["已完成，情况已报社区", "已按要求完成", "已入户 20 余户，未发现问题", "已完成并拍照留存"]


def _story(ctx: SeedContext) -> int:
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["huimin_admin", "zhaowuda_admin", "saihan_admin", "gaobo"])
    }
    if len(users) < 4:
        return 0
    community, township = Node.objects.get(name="惠民社区"), Node.objects.get(name="昭乌达南路街道")
    now = timezone.now()
    made = 0
    with acting_as(users["huimin_admin"], channel="command", username="huimin_admin"):
        for days, duty in [(25, "publicity"), (18, "hazards"), (9, "care"), (2, "information")]:
            task = services.issue_task(
                user=users["huimin_admin"],
                node=community,
                title=TITLES[duty],
                duty=duty,
                deadline=now + timedelta(days=5),
            )
            _backdate(task, now - timedelta(days=days))
            made += 1
            if days > 5:
                for a in TaskAssignment.objects.filter(task=task, state=AssignmentState.OPEN):
                    if a.worker is not None:
                        services.complete_task(
                            user=a.worker, assignment=a, result=RESULTS[made % len(RESULTS)]
                        )
    with acting_as(users["zhaowuda_admin"], channel="command", username="zhaowuda_admin"):
        street = services.issue_task(
            user=users["zhaowuda_admin"],
            node=township,
            title=TITLES["disputes"],
            duty="disputes",
            deadline=now + timedelta(days=7),
        )
        _backdate(street, now - timedelta(days=3))
        outside = [
            services.issue_task(
                user=users["zhaowuda_admin"],
                node=community,
                title=title,
                duty="",
                deadline=now + timedelta(days=10),
            )
            for title in OUTSIDE[:3]
        ]
        made += 4
    with acting_as(users["saihan_admin"], channel="command", username="saihan_admin"):
        services.decide_admission(
            user=users["saihan_admin"], task=outside[0], approve=True, reason="疫情防控期间临时性工作，同意"
        )
        services.decide_admission(
            user=users["saihan_admin"],
            task=outside[1],
            approve=False,
            reason="不属于网格员十项职责，由商务部门自行统计",
        )
    return made


def _backdate(task: Task, at: datetime) -> None:
    Task.objects.filter(pk=task.pk).update(created_at=at)
    TaskAssignment.objects.filter(task=task).update(created_at=at)


def seed_bulk(ctx: SeedContext, days: int, per_community: int, now: datetime | None = None) -> int:
    """Tasks for every community outside the story's street, bulk created."""
    rng = random.Random(ctx.rng.random())
    now = now or timezone.now()
    started = time.monotonic()
    duties = list(Duty.objects.filter(active=True))
    issuer = User.objects.filter(is_superuser=True).order_by("pk").first()
    if not duties or issuer is None:
        return 0
    skip = Node.objects.filter(name="昭乌达南路街道").values_list("path", flat=True).first() or "-"
    grids_of: dict[str, list[tuple[int, str, str]]] = {}
    for pk, path, county in (
        Node.objects.filter(level=Level.GRID).values_list("pk", "path", "county_code").iterator()
    ):
        grids_of.setdefault(paths.at_level(path, "community"), []).append((pk, path, county))
    workers = dict(RoleAssignment.objects.filter(role=Role.GRID_WORKER).values_list("node_id", "user_id"))
    communities = list(
        Node.objects.filter(level=Level.COMMUNITY).exclude(path__startswith=skip).order_by("path")
    )
    count = 0
    for start in range(0, len(communities), 500):
        tasks: list[Task] = []
        plans: list[tuple[Task, str, datetime]] = []
        for community in communities[start : start + 500]:
            for _ in range(per_community):
                at = now - timedelta(days=rng.uniform(0, days))
                outside = rng.random() < 0.1
                duty = rng.choice(duties)
                admission: str = Admission.NOT_NEEDED
                if outside:
                    admission = Admission.REFUSED if rng.random() < 0.4 else Admission.APPROVED
                task = Task(
                    title=rng.choice(OUTSIDE) if outside else TITLES.get(duty.code, duty.name),
                    duty=None if outside else duty,
                    node=community,
                    path=community.path,
                    county_code=community.county_code,
                    source=rng.choice(
                        [
                            Source.COMMUNITY,
                            Source.COMMUNITY,
                            Source.TOWNSHIP,
                            Source.COUNTY,
                            Source.DEPARTMENT,
                        ]
                    ),
                    issued_by=issuer,
                    deadline=at + timedelta(days=rng.choice((3, 5, 7, 14))),
                    admission=admission,
                    decided_by=issuer if outside else None,
                    decided_at=at + timedelta(hours=6) if outside else None,
                    decision_reason=("同意" if admission == Admission.APPROVED else "不属于网格员职责")
                    if outside
                    else "",
                )
                tasks.append(task)
                plans.append((task, admission, at))
        with transaction.atomic():
            Task.objects.bulk_create(tasks, batch_size=2000)
            rows = []
            for task, admission, _at in plans:
                for grid_id, path, county in grids_of.get(task.path, []):
                    state = (
                        AssignmentState.REFUSED if admission == Admission.REFUSED else AssignmentState.OPEN
                    )
                    done = (
                        state == AssignmentState.OPEN
                        and task.deadline < now - timedelta(days=1)
                        and rng.random() < 0.9
                    )
                    rows.append(
                        TaskAssignment(
                            task=task,
                            grid_id=grid_id,
                            path=path,
                            county_code=county,
                            worker_id=workers.get(grid_id),
                            state=AssignmentState.DONE if done else state,
                            result=rng.choice(RESULTS) if done else "",
                            completed_by_id=workers.get(grid_id) if done else None,
                            completed_at=task.deadline - timedelta(hours=rng.randint(1, 48))
                            if done
                            else None,
                        )
                    )
            made = TaskAssignment.objects.bulk_create(rows, batch_size=5000)
            for task, _, at in plans:
                task.created_at = at
            Task.objects.bulk_update([t for t, _, _ in plans], ["created_at"], batch_size=2000)
            by_task = {t.pk: at for t, _, at in plans}
            for a in made:
                a.created_at = by_task[a.task_id]
            TaskAssignment.objects.bulk_update(made, ["created_at"], batch_size=5000)
        count += len(tasks)
    analyze(Task)
    analyze(TaskAssignment)
    record(
        Action.COMMAND,
        object_type="tasks.task",
        message=f"seed {ctx.scale}: {count} tasks over {days} days bulk created in {time.monotonic() - started:.0f} s",
    )
    return count


def seed(ctx: SeedContext) -> None:
    made = _story(ctx)
    with acting_as(None, channel="command", username="system:seed"):
        bulk = seed_bulk(ctx, 90 if ctx.is_city else 30, 12 if ctx.is_city else 4)
    ctx.say(f"[green]Tasks:[/green] {made + bulk:,} tasks ({made} through the services)")
