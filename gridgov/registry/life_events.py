"""Life events: moving out, moving within the city, death — nothing is hard-deleted.

Each changes the status, adds a LifeEvent (the household a person left stays on it) and rebuilds
the search index of the households touched, in the same transaction (gridgov.registry.services
keeps the rules every registry write follows).
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, deny
from gridgov.registry.choices import (
    HouseholdStatus,
    LifeEventKind,
    Relation,
    ResidenceStatus,
)
from gridgov.registry.models import Household, LifeEvent, Resident
from gridgov.registry.rules import ACTIVE_STATUSES
from gridgov.registry.services import _check_version, _claim_head, _event_date, _release_head, _require_edit
from gridgov.registry.validation import parse_relation
from gridgov.search.index import reindex_households

_STATUS_LABELS = dict(ResidenceStatus.choices)


def _leave(
    resident: Resident,
    *,
    user: Any,
    kind: str,
    status: str,
    date: Any,
    note: str,
    version: int | None,
    to_household: Household | None = None,
    relation: str = "",
) -> LifeEvent:
    """Shared body of move out, transfer and death: lock, check, change, record, reindex."""
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        _check_version(locked, version)
        if locked.status not in ACTIVE_STATUSES or locked.household_id is None:
            raise ValidationError({"status": f"该居民已{_STATUS_LABELS[locked.status]}，不能再办理此项"})
        when = _event_date(date, not_before=locked.birth_date)
        origin = Household.objects.select_for_update().get(pk=locked.household_id)
        if to_household is not None and to_household.pk == origin.pk:
            raise ValidationError({"to_household": "迁入户与当前所在户相同"})
        _release_head(origin, locked)
        target = Household.objects.select_for_update().get(pk=to_household.pk) if to_household else None
        locked.household = target
        locked.status = status
        if target is not None:
            locked.path, locked.county_code = target.path, target.county_code
            locked.relation = relation or Relation.OTHER
        locked.version += 1
        locked.save()
        if target is not None and locked.relation == Relation.HEAD:
            _claim_head(target, locked)
        event = LifeEvent.objects.create(
            resident=locked,
            kind=kind,
            date=when,
            from_household=origin,
            to_household=target,
            path=locked.path,
            county_code=locked.county_code,
            note=(note or "").strip()[:500],
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        reindex_households([origin.pk] + ([target.pk] if target is not None else []))
    resident.refresh_from_db()
    return event


def move_out(
    resident: Resident, *, user: Any, date: Any = None, note: str = "", version: int | None = None
) -> LifeEvent:
    """The person leaves the city (or the registry): status moved out; the household stays on the event."""
    _require_edit(user, resident)
    return _leave(
        resident,
        user=user,
        kind=LifeEventKind.MOVE_OUT,
        status=ResidenceStatus.MOVED_OUT,
        date=date,
        note=note,
        version=version,
    )


def transfer(
    resident: Resident,
    to_household: Household,
    *,
    user: Any,
    date: Any = None,
    relation: Any = "",
    note: str = "",
    version: int | None = None,
) -> LifeEvent:
    """Move within the city to another household; the resident's place (path) follows."""
    _require_edit(user, resident)
    if not can(user, Cap.EDIT_REGISTRY, to_household.path):
        deny(user, f"transfer into household outside scope ({Cap.EDIT_REGISTRY})", to_household)
        raise ValidationError(
            {"to_household": "迁入户不存在，或不在您可维护的范围内；请由迁入地网格办理迁入"}
        )
    if to_household.status != HouseholdStatus.ACTIVE:
        raise ValidationError({"to_household": "迁入户已迁出或注销"})
    clean_relation = parse_relation(relation) if relation else Relation.OTHER
    return _leave(
        resident,
        user=user,
        kind=LifeEventKind.TRANSFER,
        status=ResidenceStatus.PRESENT,
        date=date,
        note=note,
        version=version,
        to_household=to_household,
        relation=clean_relation,
    )


def record_death(
    resident: Resident, *, user: Any, date: Any = None, note: str = "", version: int | None = None
) -> LifeEvent:
    _require_edit(user, resident)
    return _leave(
        resident,
        user=user,
        kind=LifeEventKind.DEATH,
        status=ResidenceStatus.DECEASED,
        date=date,
        note=note,
        version=version,
    )


def move_out_household(
    household: Household, *, user: Any, date: Any = None, note: str = "", version: int | None = None
) -> list[LifeEvent]:
    """The whole family leaves: every current member moves out and the household is marked moved out."""
    _require_edit(user, household)
    when = _event_date(date)
    events: list[LifeEvent] = []
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        _check_version(locked, version)
        if locked.status != HouseholdStatus.ACTIVE:
            raise ValidationError({"status": "该户已迁出或注销"})
        for member in Resident.objects.select_for_update().filter(
            household=locked, status__in=ACTIVE_STATUSES
        ):
            member.household, member.status = None, ResidenceStatus.MOVED_OUT
            member.version += 1
            member.save()
            events.append(
                LifeEvent.objects.create(
                    resident=member,
                    kind=LifeEventKind.MOVE_OUT,
                    date=max(when, member.birth_date or when),
                    from_household=locked,
                    path=locked.path,
                    county_code=locked.county_code,
                    note=(note or "全户迁出").strip()[:500],
                    recorded_by=user if getattr(user, "is_authenticated", False) else None,
                )
            )
        locked.status, locked.head = HouseholdStatus.MOVED_OUT, None
        locked.version += 1
        locked.save()
        reindex_households([locked.pk])
    household.refresh_from_db()
    return events
