"""Screening rounds for the demo city and the city scale.

昭乌达南路街道 opened this month's round five days ago: some grids sent a nil return, one its
findings, the others have not answered yet. Last month's round of every county (through the
service) was answered by most grids, some with findings, a few not at all.
"""

import random
from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
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


def _answer_some(rng: random.Random, round_: ScreeningRound, share: float, days_ago: int) -> None:
    now = timezone.now()
    for answer in ScreeningReturn.objects.filter(round=round_).select_related("grid"):
        if rng.random() > share:
            continue
        findings = (
            [dict(zip(("kind", "description"), rng.choice(FINDINGS), strict=True))]
            if rng.random() < 0.25
            else []
        )
        ScreeningReturn.objects.filter(pk=answer.pk).update(
            state=ReturnState.FINDINGS if findings else ReturnState.NIL,
            findings=findings,
            disputes=sum(1 for f in findings if f["kind"] == "dispute"),
            hazards=sum(1 for f in findings if f["kind"] == "hazard"),
            answered_at=now - timedelta(days=rng.uniform(0, days_ago)),
        )


def seed(ctx: SeedContext) -> None:
    rng = random.Random(ctx.rng.random())
    today = timezone.localdate()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    street_admin = User.objects.filter(username="zhaowuda_admin").first()
    street = Node.objects.filter(name="昭乌达南路街道").first()
    if admin is None:
        return
    rounds = 0
    with acting_as(admin, channel="command", username="system:seed"):
        for county in Node.objects.filter(level=Level.COUNTY).order_by("path"):
            last = services.open_round(
                user=admin, node=county, title=f"{county.name}上月矛盾纠纷排查", deadline=today, today=today
            )
            ScreeningRound.objects.filter(pk=last.pk).update(
                opened_at=timezone.now() - timedelta(days=30), deadline=today - timedelta(days=22)
            )
            _answer_some(rng, last, 0.93, 25)
            rounds += 1
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
    ctx.say(f"[green]Screening:[/green] {rounds} screening rounds")
