"""Screening rounds for the demo city and the city scale.

昭乌达南路街道 opened this month's round five days ago: some grids sent a nil return, one its
findings, the others have not answered yet. Every county opened a monthly round (through the
service: audited, the workers told) — last month's in the demo, the last three months' at city
scale (the 90 days the city seed covers); most grids answered each, some with findings, a few not
at all. The answers are written in bulk (one UPDATE per batch, not one per grid).
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.context import acting_as
from gridgov.core.seeding import SeedContext
from gridgov.hierarchy.models import Level, Node
from gridgov.screening import services
from gridgov.screening.models import ReturnState, ScreeningReturn, ScreeningRound

FINDINGS = [
    ("dispute", "两户居民因楼上漏水发生争执，已初步劝解"),
    ("dispute", "业主与物业因停车收费有矛盾"),
    ("hazard", "楼道内堆放杂物，影响疏散"),
    ("hazard", "电动自行车在楼道内充电"),
]


ANSWER_FIELDS = ["state", "findings", "disputes", "hazards", "answered_by", "answered_at"]
# Rounds a county opened in the past, per scale: (days ago it opened, days it had to answer).
PAST_ROUNDS = {"demo": [(30, 8)], "city": [(90, 8), (60, 8), (30, 8)]}


def _answer_some(
    rng: random.Random,
    round_: ScreeningRound,
    share: float,
    opened: datetime,
    days: int,
    workers: dict[int, int],
) -> int:
    """Most grids answer within `days` of the opening (a few a little late); returns how many."""
    answered = []
    for answer in ScreeningReturn.objects.filter(round=round_).only("pk", "grid_id"):
        if rng.random() > share:
            continue
        findings = (
            [dict(zip(("kind", "description"), rng.choice(FINDINGS), strict=True))]
            if rng.random() < 0.25
            else []
        )
        answer.state = ReturnState.FINDINGS if findings else ReturnState.NIL
        answer.findings = findings
        answer.disputes = sum(1 for f in findings if f["kind"] == "dispute")
        answer.hazards = sum(1 for f in findings if f["kind"] == "hazard")
        answer.answered_by_id = workers.get(answer.grid_id)
        answer.answered_at = opened + timedelta(days=rng.uniform(0.1, days + 1))
        answered.append(answer)
    ScreeningReturn.objects.bulk_update(answered, ANSWER_FIELDS, batch_size=1000)
    return len(answered)


def _workers() -> dict[int, int]:
    """Each grid's full-time worker (the one who answers its rounds)."""
    return dict(
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, node__level=Level.GRID)
        .order_by("node_id", "pk")
        .values_list("node_id", "user_id")
    )


def seed(ctx: SeedContext) -> None:
    rng = random.Random(ctx.rng.random())
    today = timezone.localdate()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    street_admin = User.objects.filter(username="zhaowuda_admin").first()
    street = Node.objects.filter(name="昭乌达南路街道").first()
    if admin is None:
        return
    rounds = answers = 0
    workers = _workers()
    now = timezone.now()
    with acting_as(admin, channel="command", username="system:seed"):
        for county in Node.objects.filter(level=Level.COUNTY).order_by("path"):
            for days_ago, days in PAST_ROUNDS[ctx.scale]:
                opened = now - timedelta(days=days_ago)
                past = services.open_round(
                    user=admin,
                    node=county,
                    title=f"{county.name}{timezone.localtime(opened):%-m}月矛盾纠纷排查",
                    deadline=today,
                    today=today,
                )
                ScreeningRound.objects.filter(pk=past.pk).update(
                    opened_at=opened, deadline=timezone.localtime(opened).date() + timedelta(days=days)
                )
                answers += _answer_some(rng, past, 0.93, opened, days, workers)
                rounds += 1
        record(
            Action.COMMAND,
            object_type="screening.screeninground",
            message=f"seed {ctx.scale}: {answers} answers to {rounds} county rounds written in bulk",
        )
    if street is not None and street_admin is not None:
        with acting_as(street_admin, channel="command", username=street_admin.username):
            current = services.open_round(
                user=street_admin,
                node=street,
                title="本月矛盾纠纷排查",
                deadline=today + timedelta(days=2),
                note="重点排查邻里、物业、欠薪纠纷",
            )
            ScreeningRound.objects.filter(pk=current.pk).update(opened_at=timezone.now() - timedelta(days=5))
            for answer in ScreeningReturn.objects.filter(round=current).order_by("path")[1:4]:
                services.answer_round(
                    user=street_admin,
                    answer=answer,
                    nil=answer.grid.name.endswith("第二网格"),
                    findings=[]
                    if answer.grid.name.endswith("第二网格")
                    else [{"kind": "hazard", "description": "地下室电动车违规充电"}],
                )
            rounds += 1
    ctx.say(f"[green]Screening:[/green] {rounds} screening rounds, {answers} answered in bulk")
