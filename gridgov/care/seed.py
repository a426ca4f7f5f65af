"""Care data for the demo city (a month of visits) and the city scale (90 days).

Schedules are built from the registry's care tags (`schedules.rebuild`). Visits are written in
bulk at each schedule's own rhythm (a weekly resident about four times a month) by the grid's
full-time worker, with a few residents left overdue; each household visited is stamped verified
at its last visit, and others at a spread of earlier checks (some never, some over a year ago:
the stale list). A handful of 惠民社区 visits go through the service, their needs reported as
events. One audit row summarises the bulk load.
"""

import random
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.care import schedules, services
from gridgov.care.models import CareSchedule, HomeVisit, Verification, VerifySource, VisitMethod
from gridgov.core.context import acting_as
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext, db_value, insert_rows
from gridgov.mobile.changes import log_rows
from gridgov.registry.choices import HouseholdStatus
from gridgov.registry.models import Household, Resident

FOUND = [
    "身体状况良好，生活能够自理",
    "精神状态不错，家中整洁",
    "血压偏高，已提醒按时服药",
    "冬季取暖正常，室温适宜",
    "子女本周来探望过",
    "行动不便，需定期上门查看",
    "对社区服务满意，无特殊诉求",
    "家中燃气、用电安全，已做安全提示",
]
METHODS = [(VisitMethod.IN_PERSON, 0.7), (VisitMethod.PHONE, 0.2), (VisitMethod.VIDEO, 0.1)]
OVERDUE_SHARE = 0.12
BATCH = 20_000


def _method(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for method, weight in METHODS:
        total += weight
        if roll < total:
            return method
    return VisitMethod.IN_PERSON


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime(rng.randint(8, 17), rng.randint(0, 59))))


def _plan(
    rng: random.Random, days: int, today: date, workers: dict[int, int]
) -> Iterator[tuple[tuple[Any, ...], int, datetime | None, int]]:
    """(visit row, schedule id, last visit, household id) per visit; schedules never visited in
    the window yield (None-row) once with their id, so their due date is set too."""
    start = today - timedelta(days=days)
    for sid, resident_id, household_id, grid_id, path, county, interval in CareSchedule.objects.values_list(
        "pk", "resident_id", "resident__household_id", "grid_id", "path", "county_code", "interval_days"
    ).iterator(chunk_size=BATCH):
        worker = workers.get(grid_id)
        if worker is None or household_id is None:
            continue
        day = start + timedelta(days=rng.randrange(interval))
        dates = []
        while day < today:
            dates.append(day)
            day += timedelta(days=interval + rng.choice((-1, 0, 0, 1)))
        if dates and rng.random() < OVERDUE_SHARE:
            dates.pop()  # the last visit was missed: overdue now
        last = None
        for visit_day in dates:
            last = _at(visit_day, rng)
            row = (
                resident_id,
                household_id,
                grid_id,
                path,
                county,
                worker,
                last,
                _method(rng),
                rng.choice(FOUND),
            )
            yield row, sid, None, household_id
        yield (), sid, last, household_id


def _workers() -> dict[int, int]:
    return dict(RoleAssignment.objects.filter(role=Role.GRID_WORKER).values_list("node_id", "user_id"))


def seed_visits(ctx: SeedContext, days: int, now: datetime | None = None) -> int:
    """Bulk visits over the past `days` days; schedules and verification stamps follow."""
    rng = random.Random(ctx.rng.random())
    now = now or timezone.now()
    today = timezone.localdate(now)
    started = time.monotonic()
    columns = [
        "resident",
        "household",
        "grid",
        "path",
        "county_code",
        "worker",
        "visited_at",
        "method",
        "found",
        "needs",
        "created_at",
    ]
    created = db_value(HomeVisit, "created_at", now)
    last_visit: dict[int, datetime | None] = {}
    visited_household: dict[int, datetime] = {}
    buffer: list[tuple[Any, ...]] = []
    count = 0

    def flush() -> None:
        nonlocal count
        if buffer:
            with transaction.atomic():
                count += insert_rows(HomeVisit, columns, buffer)
            buffer.clear()

    for row, sid, last, household_id in _plan(rng, days, today, _workers()):
        if row:
            at = row[6]
            buffer.append((*row[:6], db_value(HomeVisit, "visited_at", at), row[7], row[8], "", created))
            if len(buffer) >= BATCH:
                flush()
            continue
        last_visit[sid] = last
        if last is not None and last > visited_household.get(household_id, last - timedelta(days=1)):
            visited_household[household_id] = last
    flush()
    _follow(last_visit, today)
    _stamp(rng, visited_household, now)
    analyze(HomeVisit)
    analyze(CareSchedule)
    analyze(Verification)
    record(
        Action.COMMAND,
        object_type="care.homevisit",
        message=f"seed {ctx.scale}: {count} home visits over {days} days bulk inserted in {time.monotonic() - started:.0f} s",
    )
    return count


def _follow(last_visit: dict[int, datetime | None], today: date) -> None:
    """Each schedule's last visit and next due date after the bulk visits."""
    items = list(last_visit.items())
    now = timezone.now()
    for start in range(0, len(items), BATCH):
        chunk = dict(items[start : start + BATCH])
        rows = list(CareSchedule.objects.filter(pk__in=list(chunk)))
        for s in rows:
            s.last_visit_at = chunk[s.pk]
            s.next_due = (
                schedules.next_due(s.last_visit_at, s.interval_days, today) if s.last_visit_at else today
            )
            s.updated_at = now
        with transaction.atomic():
            CareSchedule.objects.bulk_update(
                rows, ["last_visit_at", "next_due", "updated_at"], batch_size=2000
            )
            log_rows(schedules.PHONE_KIND, [(s.pk, s.path) for s in rows])


def _stamp(rng: random.Random, visited: dict[int, datetime], now: datetime) -> None:
    """Verification stamps: households visited at their last visit; of the others, 70% checked
    at some time in the past two years (those over a year ago are stale), 30% never."""
    rows = []
    for pk, grid_id, path, county in (
        Household.objects.filter(status=HouseholdStatus.ACTIVE)
        .values_list("pk", "grid_id", "path", "county_code")
        .iterator(chunk_size=BATCH)
    ):
        at = visited.get(pk)
        source = VerifySource.VISIT
        if at is None:
            if rng.random() < 0.3:
                continue
            at = now - timedelta(days=rng.randint(1, 730), hours=rng.randint(0, 23))
            source = VerifySource.CHECK
        rows.append((pk, grid_id, path, county, db_value(Verification, "verified_at", at), source))
    Verification.objects.all().delete()
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            insert_rows(
                Verification,
                ["household", "grid", "path", "county_code", "verified_at", "source"],
                rows[start : start + BATCH],
            )


def _service_visits(ctx: SeedContext) -> int:
    """A few of gaobo's visits through the service (audited, needs reported as events)."""
    gaobo = User.objects.filter(username="gaobo").first()
    if gaobo is None:
        return 0
    grid_ids = list(
        RoleAssignment.objects.filter(user=gaobo, role=Role.GRID_WORKER).values_list("node_id", flat=True)
    )
    due = list(CareSchedule.objects.filter(grid_id__in=grid_ids).order_by("next_due", "pk")[:8])
    stories = [
        ("", ""),
        ("冬季取暖费尚未缴纳，家中较冷", "希望协助申请取暖补贴"),
        ("", ""),
        ("腿脚不便，下楼取药困难", "需要送药上门服务"),
    ]
    made = 0
    now = timezone.now()
    with acting_as(gaobo, channel="command", username="gaobo"):
        for index, schedule in enumerate(due[2:6]):
            found, needs = stories[index % len(stories)]
            resident = Resident.objects.get(pk=schedule.resident_id)
            services.record_visit(
                user=gaobo,
                resident=resident,
                method=VisitMethod.IN_PERSON,
                found=found or FOUND[index],
                needs=needs,
                visited_at=now - timedelta(hours=2 + index * 5),
                now=now,
            )
            made += 1
    return made


def seed(ctx: SeedContext) -> None:
    with acting_as(None, channel="command", username="system:seed"):
        built = schedules.rebuild()
        visits = seed_visits(ctx, 90 if ctx.is_city else 30)
    made = _service_visits(ctx)
    ctx.say(f"[green]Care:[/green] {built.created:,} care schedules, {visits + made:,} home visits")
