"""Each tagged resident's visiting schedule, kept equal to the care rules and the registry.

A resident present or away in a household, with at least one care tag that an active rule
covers, has one `CareSchedule`: the shortest interval of their tags' rules, the date of the
next visit (the last visit plus the interval; a resident never visited is due at once). The
schedule follows the resident (tags, status, move) through a signal on each save
(`refresh_resident`); bulk writes (imports, the seed, a changed rule) call `rebuild`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from gridgov.care.models import CareRule, CareSchedule
from gridgov.mobile.changes import log_rows
from gridgov.registry.models import Resident
from gridgov.registry.rules import ACTIVE_STATUSES

PHONE_KIND = "visit_due"


def active_rules() -> dict[str, int]:
    """{tag: interval in days} of the active rules."""
    return dict(CareRule.objects.filter(active=True).values_list("tag", "interval_days"))


@dataclass(frozen=True)
class Plan:
    tags: list[str]
    interval_days: int


def plan_for(tags: Iterable[str], rules: dict[str, int]) -> Plan | None:
    """Which rules apply to these tags and the shortest interval among them (None: none)."""
    matched = sorted({t for t in tags or () if t in rules})
    if not matched:
        return None
    return Plan(matched, min(rules[t] for t in matched))


def next_due(last_visit_at: datetime | None, interval_days: int, today: date) -> date:
    if last_visit_at is None:
        return today
    return timezone.localdate(last_visit_at) + timedelta(days=interval_days)


def _eligible(resident: Resident) -> bool:
    return resident.status in ACTIVE_STATUSES and resident.household_id is not None


def refresh_resident(resident: Resident, rules: dict[str, int] | None = None) -> CareSchedule | None:
    """Make the resident's schedule follow their tags, status and home (after a save)."""
    plan = None
    if resident.care_tags and _eligible(resident):
        plan = plan_for(resident.care_tags, active_rules() if rules is None else rules)
    if plan is None:
        for gone in CareSchedule.objects.filter(resident_id=resident.pk):
            gone.delete()  # the change log's signal makes it a tombstone on the phone
        return None
    current = CareSchedule.objects.filter(resident_id=resident.pk).first()
    grid_id = resident.household.grid_id if resident.household is not None else None
    if grid_id is None:
        return None
    today = timezone.localdate()
    if current is None:
        return CareSchedule.objects.create(
            resident_id=resident.pk,
            grid_id=grid_id,
            path=resident.path,
            county_code=resident.county_code,
            tags=plan.tags,
            interval_days=plan.interval_days,
            next_due=today,
        )
    due = (
        next_due(current.last_visit_at, plan.interval_days, today)
        if current.last_visit_at
        else current.next_due
    )
    wanted = (grid_id, resident.path, resident.county_code, plan.tags, plan.interval_days, due)
    if wanted != (
        current.grid_id,
        current.path,
        current.county_code,
        current.tags,
        current.interval_days,
        current.next_due,
    ):
        (current.grid_id, current.path, current.county_code, current.tags, current.interval_days) = wanted[:5]
        current.next_due = due
        current.save()
    return current


@dataclass
class RebuildResult:
    created: int = 0
    updated: int = 0
    removed: int = 0


def rebuild(root: str = "", *, today: date | None = None, batch: int = 5000) -> RebuildResult:
    """Bring every schedule under `root` (a hierarchy path; "" for the whole city) in line with
    the rules and the registry, in bulk: after an import, a changed rule, the seed."""
    rules = active_rules()
    today = today or timezone.localdate()
    result = RebuildResult()
    residents = Resident.objects.filter(
        status__in=ACTIVE_STATUSES, household__isnull=False, path__startswith=root
    ).exclude(care_tags=[])
    wanted: dict[int, tuple[Any, ...]] = {}
    for pk, path, county, tags, grid_id in residents.values_list(
        "pk", "path", "county_code", "care_tags", "household__grid_id"
    ).iterator(chunk_size=batch):
        plan = plan_for(tags, rules)
        if plan is not None:
            wanted[pk] = (grid_id, path, county, plan.tags, plan.interval_days)
    with transaction.atomic():
        existing = {
            row[0]: row
            for row in CareSchedule.objects.filter(path__startswith=root)
            .values_list(
                "pk",
                "resident_id",
                "grid_id",
                "path",
                "county_code",
                "tags",
                "interval_days",
                "last_visit_at",
                "next_due",
            )
            .iterator(chunk_size=batch)
        }
        by_resident = {row[1]: row for row in existing.values()}
        gone = [(pk, row[3]) for pk, row in existing.items() if row[1] not in wanted]
        if gone:
            for start in range(0, len(gone), batch):
                CareSchedule.objects.filter(pk__in=[pk for pk, _ in gone[start : start + batch]]).delete()
            result.removed = len(gone)
        changed: list[CareSchedule] = []
        new: list[CareSchedule] = []
        now = timezone.now()
        for resident_id, (grid_id, path, county, tags, interval) in wanted.items():
            row = by_resident.get(resident_id)
            if row is None:
                new.append(
                    CareSchedule(
                        resident_id=resident_id,
                        grid_id=grid_id,
                        path=path,
                        county_code=county,
                        tags=tags,
                        interval_days=interval,
                        next_due=today,
                        updated_at=now,
                    )
                )
                continue
            pk, _rid, old_grid, old_path, old_county, old_tags, old_interval, last_visit, due = row
            new_due = next_due(last_visit, interval, today) if last_visit else due
            if (old_grid, old_path, old_county, old_tags, old_interval, due) != (
                grid_id,
                path,
                county,
                tags,
                interval,
                new_due,
            ):
                changed.append(
                    CareSchedule(
                        pk=pk,
                        resident_id=resident_id,
                        grid_id=grid_id,
                        path=path,
                        county_code=county,
                        tags=tags,
                        interval_days=interval,
                        last_visit_at=last_visit,
                        next_due=new_due,
                        updated_at=now,
                    )
                )
        CareSchedule.objects.bulk_update(
            changed,
            ["grid", "path", "county_code", "tags", "interval_days", "next_due", "updated_at"],
            batch_size=batch,
        )
        created = CareSchedule.objects.bulk_create(new, batch_size=batch)
        result.updated, result.created = len(changed), len(new)
        # Bulk writes send no signals: the phones learn of the changes from these rows.
        log_rows(PHONE_KIND, [(s.pk, s.path) for s in changed])
        log_rows(PHONE_KIND, [(s.pk, s.path) for s in created if s.pk])
        log_rows(PHONE_KIND, gone)
    return result
