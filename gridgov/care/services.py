"""Writes of the care app: record a home visit (its need reported as an event), verify a
household, edit a care rule, remind workers of overdue visits. Each is atomic; saves are audited
by the model signals and refused writes by `logs_failures`."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.care import schedules
from gridgov.care.models import CareRule, CareSchedule, HomeVisit, Verification, VerifySource, VisitMethod
from gridgov.core.errors import ConflictError
from gridgov.notifications.services import Draft, drafts, send
from gridgov.registry.choices import CareTag, HouseholdStatus
from gridgov.registry.models import Household, Resident
from gridgov.registry.rules import ACTIVE_STATUSES

MAX_TEXT = 2000
# A phone may send a visit typed offline days ago; older than this is a typing error.
MAX_VISIT_AGE = timedelta(days=90)
# Needs reported from a visit of an elderly resident go to the elderly-care category unless the
# worker chose another one; other needs to hardship relief.
ELDERLY_TAGS = {CareTag.ELDERLY, CareTag.ALONE, CareTag.LEFT_BEHIND_ELDER}
ELDERLY_NEED = "civil.elderly"
OTHER_NEED = "civil.hardship"


def _text(value: Any, name: str) -> str:
    text = str(value or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError({name: f"最多 {MAX_TEXT} 字"})
    return text


def _when(visited_at: datetime | None, now: datetime) -> datetime:
    if visited_at is None:
        return now
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > now + timedelta(minutes=10):
        raise ValidationError({"visited_at": "走访时间不能晚于现在"})
    if visited_at < now - MAX_VISIT_AGE:
        raise ValidationError({"visited_at": f"走访时间不能早于 {MAX_VISIT_AGE.days} 天前"})
    return visited_at


def stamp_verified(
    household: Household, *, at: datetime, user: Any, source: str, once_a_day: bool = False
) -> Verification:
    """The household's data was seen to be current at `at` (a later stamp is never replaced by
    an earlier one: a visit typed offline last week does not undo today's check). `user` is a
    user or a user id. `once_a_day`: a stamp already made that day stands (a worker correcting
    a household's members one after another verifies it once, not once per edit)."""
    by_id = user if isinstance(user, int) else getattr(user, "pk", None)
    found = Verification.objects.select_for_update().filter(household_id=household.pk).first()
    if found is None:
        return Verification.objects.create(
            household=household,
            grid_id=household.grid_id,
            path=household.path,
            county_code=household.county_code,
            verified_at=at,
            verified_by_id=by_id,
            source=source,
        )
    if (
        once_a_day
        and found.path == household.path
        and timezone.localdate(found.verified_at) == timezone.localdate(at)
    ):
        return found
    if found.verified_at >= at and found.path == household.path:
        return found
    if found.verified_at < at:
        found.verified_at, found.source = at, source
        found.verified_by_id = by_id
    found.grid_id, found.path, found.county_code = household.grid_id, household.path, household.county_code
    found.save()
    return found


@logs_failures(Action.CREATE)
@transaction.atomic
def record_visit(
    *,
    user: Any,
    resident: Resident,
    method: str,
    found: str = "",
    needs: str = "",
    need_category: str = "",
    visited_at: datetime | None = None,
    now: datetime | None = None,
) -> HomeVisit:
    """A home visit: who (the user), when, how, what was found and what is needed. A need is
    reported as an event of the grid (linked to the visit); the resident's schedule moves on and
    the household is stamped verified."""
    from gridgov.events.intake import report_event

    now = now or timezone.now()
    resident = Resident.objects.select_related("household").get(pk=resident.pk)
    require(user, Cap.REPORT_EVENT, resident.path, resident)
    if method not in VisitMethod.values:
        raise ValidationError({"method": f"走访方式必须是 {', '.join(VisitMethod.values)} 之一"})
    found, needs = _text(found, "found"), _text(needs, "needs")
    if not found and not needs:
        raise ValidationError({"found": "请填写走访发现的情况"})
    when = _when(visited_at, now)
    household = resident.household
    if (
        resident.status not in ACTIVE_STATUSES
        or household is None
        or household.status != HouseholdStatus.ACTIVE
    ):
        raise ConflictError("该居民已不在本户居住（迁出或死亡），不能登记走访")
    event = None
    if needs:
        category = need_category.strip() or (
            ELDERLY_NEED if ELDERLY_TAGS & set(resident.care_tags or []) else OTHER_NEED
        )
        try:
            event, _created = report_event(
                user=user,
                category=category,
                description=f"入户走访发现需求（{resident.name}）：{needs}",
                grid=household.grid_id,
                address=household.address,
                resident_ids=[resident.pk],
                household_ids=[household.pk],
                channel="visit",
                now=now,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "category" in exc.error_dict:
                raise ValidationError({"need_category": exc.error_dict["category"]}) from None
            raise
    visit = HomeVisit.objects.create(
        resident=resident,
        household=household,
        grid_id=household.grid_id,
        path=resident.path,
        county_code=resident.county_code,
        worker=user,
        visited_at=when,
        method=method,
        found=found,
        needs=needs,
        event=event,
    )
    schedule = CareSchedule.objects.select_for_update().filter(resident_id=resident.pk).first()
    if schedule is not None and (schedule.last_visit_at is None or schedule.last_visit_at < when):
        schedule.last_visit_at = when
        schedule.next_due = schedules.next_due(when, schedule.interval_days, timezone.localdate(now))
        schedule.save(update_fields=["last_visit_at", "next_due", "updated_at"])
    stamp_verified(household, at=when, user=user, source=VerifySource.VISIT)
    return visit


@logs_failures(Action.UPDATE)
@transaction.atomic
def verify_household(*, user: Any, household: Household, now: datetime | None = None) -> Verification:
    """The worker checked the household's data and found it current (核实)."""
    require(user, Cap.EDIT_REGISTRY, household.path, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise ConflictError("该户已迁出或注销")
    return stamp_verified(household, at=now or timezone.now(), user=user, source=VerifySource.CHECK)


@logs_failures(Action.UPDATE)
@transaction.atomic
def update_rule(
    rule: CareRule,
    *,
    user: Any,
    interval_days: int | None = None,
    active: bool | None = None,
    name: str | None = None,
) -> CareRule:
    """Change a care rule (city administrators) and bring every schedule in line with it."""
    if not _city_admin(user):
        _deny_rule_edit(user, rule)
    if interval_days is not None:
        try:
            interval_days = int(interval_days)
        except (TypeError, ValueError):
            raise ValidationError({"interval_days": "走访周期必须是天数"}) from None
        if not 1 <= interval_days <= 366:
            raise ValidationError({"interval_days": "走访周期为 1 至 366 天"})
        rule.interval_days = int(interval_days)
    if active is not None:
        rule.active = bool(active)
    if name is not None:
        if not name.strip():
            raise ValidationError({"name": "请填写名称"})
        rule.name = name.strip()[:50]
    rule.save()
    result = schedules.rebuild()
    record(
        Action.UPDATE,
        rule,
        message=f"schedules rebuilt: {result.created} new, {result.updated} changed, {result.removed} removed",
    )
    return rule


@logs_failures(Action.CREATE)
@transaction.atomic
def create_rule(*, user: Any, tag: str, name: str, interval_days: Any) -> CareRule:
    """A rule for a care tag that has none (city administrators); every schedule follows it."""
    if not _city_admin(user):
        _deny_rule_edit(user, None)
    if tag not in CareTag.values:
        raise ValidationError({"tag": f"关爱标签必须是 {', '.join(CareTag.values)} 之一"})
    if CareRule.objects.filter(tag=tag).exists():
        raise ValidationError({"tag": "此标签已有走访规则：请修改原规则"})
    try:
        days = int(interval_days)
    except (TypeError, ValueError):
        raise ValidationError({"interval_days": "走访周期必须是天数"}) from None
    if not 1 <= days <= 366:
        raise ValidationError({"interval_days": "走访周期为 1 至 366 天"})
    name = (name or "").strip()[:50] or str(dict(CareTag.choices)[tag])
    rule = CareRule.objects.create(tag=tag, name=name, interval_days=days)
    result = schedules.rebuild()
    record(
        Action.UPDATE,
        rule,
        message=f"schedules rebuilt: {result.created} new, {result.updated} changed, {result.removed} removed",
    )
    return rule


def _city_admin(user: Any) -> bool:
    from django.conf import settings

    from gridgov.accounts.scope import can

    return can(user, Cap.MANAGE_HIERARCHY, settings.GRIDGOV_CITY_CODE)


def _deny_rule_edit(user: Any, obj: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from gridgov.accounts.scope import deny

    deny(user, "care rules are edited by city administrators", obj)
    raise PermissionDenied("只有市级管理员可以修改关爱走访规则")


# Who is reminded of a grid's overdue visits: its full-time worker, else its chief.
REMINDED_ROLES = (Role.GRID_WORKER, Role.GRID_CHIEF)
REMINDER_BATCH = 2000
REMINDER_NAMES = 5  # residents named in one notice; the rest counted


def _reminded(grid_ids: set[int]) -> dict[int, int]:
    """{grid id: the user reminded of its overdue visits} (active accounts only)."""
    found: dict[int, tuple[int, int]] = {}
    rows = RoleAssignment.objects.filter(
        node_id__in=grid_ids, role__in=REMINDED_ROLES, user__is_active=True
    ).values_list("node_id", "role", "user_id")
    for grid_id, role, user_id in rows:
        rank = REMINDED_ROLES.index(role)
        if grid_id not in found or rank < found[grid_id][0]:
            found[grid_id] = (rank, user_id)
    return {grid_id: user_id for grid_id, (_rank, user_id) in found.items()}


def _reminder(user_id: int, overdue: list[CareSchedule]) -> Draft:
    named = "、".join(
        f"{s.resident.name}（{s.next_due.month}月{s.next_due.day}日）" for s in overdue[:REMINDER_NAMES]
    )
    more = f"等 {len(overdue)} 人" if len(overdue) > REMINDER_NAMES else ""
    if len(overdue) == 1:
        only = overdue[0]
        return drafts(
            [user_id], f"关爱走访已逾期：{named}，请尽快走访", subject=only, url=f"/app/#/visit/{only.pk}"
        )[0]
    return drafts([user_id], f"{len(overdue)} 位关爱对象走访已逾期：{named}{more}", url="/app/#/visits")[0]


def notify_overdue_visits(*, today: date | None = None, batch: int = REMINDER_BATCH) -> int:
    """Tell each grid's worker (its chief where it has none) of the visits that have gone overdue
    since the last pass: one notice per worker per pass naming them, each schedule told once per
    due date (a visit moves the date on; if the next one is missed too, it is told again). Run
    by the background worker; returns the number of notices written.

    The marker is set only where the due date is still the one read, so a visit recorded
    meanwhile is not marked for a date it no longer has."""
    today = today or timezone.localdate()
    pending = (
        CareSchedule.objects.filter(next_due__lt=today)
        .filter(Q(overdue_notified_for__isnull=True) | ~Q(overdue_notified_for=F("next_due")))
        .select_related("resident")
        .order_by("grid_id", "next_due", "pk")
    )
    sent = 0
    while True:
        rows = list(pending[:batch])
        if not rows:
            return sent
        who = _reminded({s.grid_id for s in rows})
        per_user: defaultdict[int, list[CareSchedule]] = defaultdict(list)
        by_due: defaultdict[date, list[int]] = defaultdict(list)
        for s in rows:
            if s.grid_id in who:
                per_user[who[s.grid_id]].append(s)
            by_due[s.next_due].append(s.pk)  # a grid with nobody to tell is not asked again
        with transaction.atomic():
            sent += send(_reminder(user_id, overdue) for user_id, overdue in per_user.items())
            for due, pks in by_due.items():
                CareSchedule.objects.filter(pk__in=pks, next_due=due).update(overdue_notified_for=due)
