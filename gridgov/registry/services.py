"""Writes to the registry: households and residents (life events are in registry.life_events).

Rules every function keeps:
- the user needs Cap.EDIT_REGISTRY on the place (checked before the transaction starts, so a
  refusal's audit row is not rolled back with it);
- updates take the version the client saw; a stale one raises `StaleVersion` (HTTP 412);
- special-population tags are written only by users who may see them; for everyone else they
  are left untouched;
- nothing is hard-deleted: moving out, moving within the city and dying change the status and
  add a LifeEvent; the household a person left stays on that event;
- after every write the search index is rebuilt for the households touched, inside the
  same transaction.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, deny, require
from gridgov.core.errors import PreconditionFailed
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.choices import (
    HouseholdStatus,
    LifeEventKind,
    Relation,
    ResidenceStatus,
)
from gridgov.registry.models import Household, LifeEvent, Resident
from gridgov.registry.rules import ACTIVE_STATUSES, household_address, may_see_special
from gridgov.registry.validation import (
    IdNumber,
    check_against_id,
    parse_care_tags,
    parse_date,
    parse_ethnicity,
    parse_household_kind,
    parse_id_number,
    parse_name,
    parse_optional_phone,
    parse_relation,
    parse_residence_status,
    parse_sex,
    parse_special_tags,
    parse_unit_room,
    to_halfwidth,
)
from gridgov.search.index import reindex_households

_STATUS_LABELS = dict(ResidenceStatus.choices)


class StaleVersion(PreconditionFailed):
    """The record changed since the client read it (HTTP 412 on the API, a conflict page in the UI)."""

    def __init__(self, current: Household | Resident, seen: int) -> None:
        what = "该户" if isinstance(current, Household) else "该居民"
        super().__init__(
            f"{what}信息已被他人修改（您看到的是第 {seen} 版，现在是第 {current.version} 版）；"
            "请查看最新内容后重新提交",
            current_version=current.version,
            seen_version=seen,
        )
        self.current = current
        self.seen = seen


def _require_edit(user: Any, obj: Household | Resident) -> None:
    require(user, Cap.EDIT_REGISTRY, obj.path, obj)


def _check_version(obj: Household | Resident, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise StaleVersion(obj, int(version))


def _today() -> datetime.date:
    return timezone.localdate()


def _event_date(raw: Any, *, field: str = "date", not_before: datetime.date | None = None) -> datetime.date:
    date = parse_date(raw, field=field) or _today()
    if date > _today():
        raise ValidationError({field: f"日期 {date:%Y-%m-%d} 在今天之后"})
    if not_before is not None and date < not_before:
        raise ValidationError({field: f"日期 {date:%Y-%m-%d} 早于出生日期 {not_before:%Y-%m-%d}"})
    return date


# --- households ---------------------------------------------------------------------------------


def editable_building(user: Any, building: Node | None) -> Node:
    """The building a household may be registered under: a building node the user may edit.

    Outside the scope the answer is the same as for a building that does not exist (and the
    attempt is logged), so nobody learns about places they cannot see.
    """
    if building is None:
        raise ValidationError({"building": "请选择楼栋"})
    if building.level != Level.BUILDING:
        raise ValidationError({"building": f"{building.name} 不是楼栋；住户只能登记在楼栋下"})
    if not can(user, Cap.EDIT_REGISTRY, building.path):
        deny(user, f"register household outside scope ({Cap.EDIT_REGISTRY})", building)
        raise ValidationError({"building": "楼栋不存在，或不在您可维护的范围内"})
    return building


def _household_number(
    building: Node, unit: str, room: str, number: str = "", exclude_pk: int | None = None
) -> str:
    taken = Household.objects.exclude(pk=exclude_pk) if exclude_pk else Household.objects.all()
    if number:
        number = to_halfwidth(number).strip()
        if len(number) > 32:
            raise ValidationError({"number": "户编号最多 32 个字符"})
        if taken.filter(number=number).exists():
            raise ValidationError({"number": f"户编号 {number} 已被使用"})
        return number
    base = f"{building.code}-{unit or '0'}-{room or '0'}"
    if len(base) > 29:
        base = f"{building.code}-H{building.households.count() + 1}"
    candidate, n = base, 2
    while taken.filter(number=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def create_household(
    *,
    user: Any,
    building: Node | None,
    unit: Any = "",
    room: Any = "",
    kind: Any = "",
    number: str = "",
    phone: Any = None,
    note: str = "",
) -> Household:
    building = editable_building(user, building)
    unit = parse_unit_room(unit, field="unit", what="单元")
    room = parse_unit_room(room, field="room", what="室")
    kind = parse_household_kind(kind)
    phone_value = parse_optional_phone(phone)
    grid_id = building.parent_id
    if grid_id is None:
        raise ValidationError({"building": f"楼栋 {building.name} 不属于任何网格"})
    with transaction.atomic():
        household = Household(
            building=building,
            grid_id=grid_id,
            path=building.path,
            county_code=building.county_code,
            unit=unit,
            room=room,
            address=household_address(building, unit, room),
            kind=kind,
            number=_household_number(building, unit, room, number),
            note=(note or "").strip(),
        )
        household.phone_enc, household.phone_hash = pii.seal_phone(phone_value, pii.HOUSEHOLD_PHONE_CONTEXT)
        try:
            with transaction.atomic():
                household.save()
        except IntegrityError:
            raise ValidationError({"number": "户编号已被使用，请重试"}) from None
        reindex_households([household.pk])
    return household


HOUSEHOLD_FIELDS = {"building", "unit", "room", "kind", "phone", "note", "number"}


def update_household(household: Household, *, user: Any, version: int | None, **changes: Any) -> Household:
    """Correct a household's address, kind, phone or note. `building` moves it (and its members)."""
    unknown = set(changes) - HOUSEHOLD_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "该字段不能在此修改"})
    _require_edit(user, household)
    new_building = changes.get("building")
    if new_building is not None and new_building.pk != household.building_id:
        editable_building(user, new_building)
    clean: dict[str, Any] = {}
    if "unit" in changes:
        clean["unit"] = parse_unit_room(changes["unit"], field="unit", what="单元")
    if "room" in changes:
        clean["room"] = parse_unit_room(changes["room"], field="room", what="室")
    if "kind" in changes:
        clean["kind"] = parse_household_kind(changes["kind"])
    if "note" in changes:
        clean["note"] = (changes["note"] or "").strip()
    phone_given = "phone" in changes
    phone_value = parse_optional_phone(changes.get("phone")) if phone_given else None
    with transaction.atomic():
        locked = (
            Household.objects.select_for_update(of=("self",)).select_related("building").get(pk=household.pk)
        )
        _check_version(locked, version)
        changed = False
        for key, value in clean.items():
            if getattr(locked, key) != value:
                setattr(locked, key, value)
                changed = True
        if changes.get("number"):
            number = _household_number(
                locked.building, locked.unit, locked.room, changes["number"], exclude_pk=locked.pk
            )
            if number != locked.number:
                locked.number, changed = number, True
        if phone_given:
            enc, digest = pii.seal_phone(phone_value, pii.HOUSEHOLD_PHONE_CONTEXT)
            if digest != locked.phone_hash:
                locked.phone_enc, locked.phone_hash, changed = enc, digest, True
        if new_building is not None and new_building.pk != locked.building_id:
            locked.building = new_building
            locked.grid_id = new_building.parent_id
            locked.path, locked.county_code = new_building.path, new_building.county_code
            changed = True
            for member in locked.members.all():
                member.path, member.county_code = locked.path, locked.county_code
                member.save(update_fields=["path", "county_code", "updated_at"])
        address = household_address(locked.building, locked.unit, locked.room)
        if address != locked.address:
            locked.address, changed = address, True
        if changed:
            locked.version += 1
            locked.save()
            reindex_households([locked.pk])
    return locked


# --- residents ----------------------------------------------------------------------------------


def _already_registered(existing: Resident, user: Any) -> ValidationError:
    """A person is in one household at a time; name the other household only if the user may see it."""
    household = existing.household
    if household is not None and can(user, Cap.VIEW_REGISTRY, household.path):
        return ValidationError(
            {
                "id_number": f"此身份证号的居民（{existing.name}）已登记在 {household.address}"
                f"（户编号 {household.number}），一人不能同时在两户；"
                "如确已搬家，请在原户办理“市内迁移”"
            }
        )
    if existing.status == ResidenceStatus.DECEASED and can(user, Cap.VIEW_REGISTRY, existing.path):
        return ValidationError({"id_number": f"此身份证号的居民（{existing.name}）已登记死亡，不能再登记"})
    return ValidationError(
        {"id_number": "此身份证号已登记在其他户，一人不能同时在两户；请联系其原所在网格办理迁出或市内迁移"}
    )


def _identity(
    id_number: Any, birth_date: Any, sex: Any, *, required: bool
) -> tuple[IdNumber | None, Any, str]:
    """(parsed ID, birth date, sex): taken from the ID when there is one, checked against what was typed."""
    typed_birth = parse_date(birth_date)
    typed_sex = parse_sex(sex)
    raw = to_halfwidth(str(id_number or ""))
    if raw:
        parsed = parse_id_number(raw)
        check_against_id(parsed, birth_date=typed_birth, sex=typed_sex)
        return parsed, parsed.birth_date, parsed.sex
    if required:
        raise ValidationError({"id_number": "身份证号不能为空（尚无身份证号的新生儿请用“新生儿登记”）"})
    if typed_birth is None:
        raise ValidationError({"birth_date": "没有身份证号时必须填写出生日期"})
    if typed_birth > _today():
        raise ValidationError({"birth_date": f"出生日期 {typed_birth:%Y-%m-%d} 在今天之后"})
    if not typed_sex:
        raise ValidationError({"sex": "没有身份证号时必须填写性别"})
    return None, typed_birth, typed_sex


def _current_head(household: Household) -> Resident | None:
    if household.head_id is None:
        return None
    return Resident.objects.filter(
        pk=household.head_id, household=household, status__in=ACTIVE_STATUSES
    ).first()


def _claim_head(household: Household, resident: Resident) -> None:
    """Make `resident` the head; refuse if the household already has another head."""
    head = _current_head(household)
    if head is not None and head.pk != resident.pk:
        raise ValidationError(
            {"relation": f"该户已有户主（{head.name}）；请先把原户主的“与户主关系”改为其他"}
        )
    if household.head_id != resident.pk:
        household.head = resident
        household.version += 1
        household.save(update_fields=["head", "version", "updated_at"])


def _release_head(household: Household | None, resident: Resident) -> None:
    if household is not None and household.head_id == resident.pk:
        household.head = None
        household.version += 1
        household.save(update_fields=["head", "version", "updated_at"])


def create_resident(
    *,
    user: Any,
    household: Household,
    name: Any,
    id_number: Any = None,
    birth_date: Any = None,
    sex: Any = "",
    phone: Any = None,
    ethnicity: Any = "",
    relation: Any = "",
    status: Any = "",
    care_tags: Any = None,
    special_tags: Any = None,
    note: str = "",
    date: Any = None,
    newborn: bool = False,
) -> Resident:
    """Register a person in a household: a move-in (or, with `newborn`, a birth) with its LifeEvent.

    A person who left the city earlier (same ID number, moved out, in no household) moves back in:
    the same record is reused, so their history stays in one place.
    """
    _require_edit(user, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError({"household": "该户已迁出或注销，不能再登记成员"})
    clean_name = parse_name(name)
    parsed, birth, clean_sex = _identity(id_number, birth_date, sex, required=not newborn)
    phone_value = parse_optional_phone(phone)
    clean_ethnicity = parse_ethnicity(ethnicity)
    clean_relation = parse_relation(relation) if relation else (Relation.CHILD if newborn else Relation.OTHER)
    clean_status = parse_residence_status(status, allowed=ACTIVE_STATUSES)
    tags = parse_care_tags(care_tags)
    special = (
        parse_special_tags(special_tags)
        if special_tags is not None and may_see_special(user, household.path)
        else None
    )
    when = _event_date(date if not newborn else (date or birth), not_before=birth)
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        existing = None
        if parsed is not None:
            existing = (
                Resident.objects.select_for_update(of=("self",))
                .select_related("household")
                .filter(id_number_hash=pii.id_number_hash(parsed.value))
                .first()
            )
            if existing is not None and not (
                existing.status == ResidenceStatus.MOVED_OUT and existing.household_id is None
            ):
                raise _already_registered(existing, user)
        resident = existing or Resident()
        resident.household = locked
        resident.path, resident.county_code = locked.path, locked.county_code
        resident.name, resident.birth_date, resident.sex = clean_name, birth, clean_sex
        if parsed is not None:
            resident.id_number_enc, resident.id_number_hash = pii.seal_id_number(parsed.value)
        resident.phone_enc, resident.phone_hash = pii.seal_phone(phone_value)
        resident.ethnicity, resident.relation, resident.status = clean_ethnicity, clean_relation, clean_status
        resident.care_tags = tags
        if special is not None:
            resident.special_tags = special
        elif existing is None:
            resident.special_tags = []
        resident.note = (note or "").strip()
        if existing is not None:
            resident.version += 1
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError:
            # Someone registered the same ID number a moment ago.
            raise ValidationError({"id_number": "此身份证号已登记在其他户，一人不能同时在两户"}) from None
        if clean_relation == Relation.HEAD:
            _claim_head(locked, resident)
        LifeEvent.objects.create(
            resident=resident,
            kind=LifeEventKind.BIRTH if newborn else LifeEventKind.MOVE_IN,
            date=when,
            to_household=locked,
            path=locked.path,
            county_code=locked.county_code,
            recorded_by=user if getattr(user, "is_authenticated", False) else None,
            note="迁回本市" if existing is not None else "",
        )
        reindex_households([locked.pk])
    return resident


def record_birth(
    *,
    user: Any,
    household: Household,
    name: Any,
    birth_date: Any,
    sex: Any,
    id_number: Any = None,
    ethnicity: Any = "",
    relation: Any = Relation.CHILD,
    care_tags: Any = None,
    note: str = "",
) -> Resident:
    """A newborn joins a household; the ID number is optional (added later by an update)."""
    if not parse_date(birth_date) and not id_number:
        raise ValidationError({"birth_date": "请填写出生日期"})
    return create_resident(
        user=user,
        household=household,
        name=name,
        id_number=id_number,
        birth_date=birth_date,
        sex=sex,
        ethnicity=ethnicity,
        relation=relation or Relation.CHILD,
        care_tags=care_tags,
        note=note,
        newborn=True,
    )


RESIDENT_FIELDS = {
    "name",
    "id_number",
    "birth_date",
    "sex",
    "phone",
    "ethnicity",
    "relation",
    "status",
    "care_tags",
    "special_tags",
    "note",
}


def update_resident(resident: Resident, *, user: Any, version: int | None, **changes: Any) -> Resident:
    """Correct a resident's data. Only the keys given change; special tags only for those who may see them."""
    unknown = set(changes) - RESIDENT_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "该字段不能在此修改"})
    _require_edit(user, resident)
    if "special_tags" in changes and not may_see_special(user, resident.path):
        changes.pop("special_tags")
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = parse_name(changes["name"])
    if "ethnicity" in changes:
        clean["ethnicity"] = parse_ethnicity(changes["ethnicity"])
    if "relation" in changes:
        clean["relation"] = parse_relation(changes["relation"])
    if "care_tags" in changes:
        clean["care_tags"] = parse_care_tags(changes["care_tags"])
    if "special_tags" in changes:
        clean["special_tags"] = parse_special_tags(changes["special_tags"])
    if "note" in changes:
        clean["note"] = (changes["note"] or "").strip()
    if "status" in changes:
        clean["status"] = parse_residence_status(changes["status"], allowed=ACTIVE_STATUSES)
    phone_given = "phone" in changes
    phone_value = parse_optional_phone(changes.get("phone")) if phone_given else None
    new_id: IdNumber | None = None
    raw_id = to_halfwidth(str(changes.get("id_number") or ""))
    if raw_id:
        new_id = parse_id_number(raw_id)
    elif "id_number" in changes and resident.id_number_hash:
        raise ValidationError({"id_number": "已登记的身份证号不能清空，只能更正"})
    typed_birth = parse_date(changes["birth_date"]) if "birth_date" in changes else None
    typed_sex = parse_sex(changes["sex"]) if "sex" in changes else ""

    with transaction.atomic():
        locked = (
            Resident.objects.select_for_update(of=("self",)).select_related("household").get(pk=resident.pk)
        )
        _check_version(locked, version)
        if "status" in clean and locked.status not in ACTIVE_STATUSES and clean["status"] != locked.status:
            raise ValidationError(
                {
                    "status": f"该居民{_STATUS_LABELS[locked.status]}，不能改为"
                    f"{_STATUS_LABELS[clean['status']]}；请用“人口变动”登记"
                }
            )
        identity = new_id
        if identity is None and locked.id_number_hash:
            identity = parse_id_number(pii.id_number_of(locked))
        if new_id is not None and not locked.id_number_hash:
            # A first ID number (e.g. a newborn's) must agree with the birth date and sex typed earlier.
            check_against_id(new_id, birth_date=typed_birth or locked.birth_date, sex=typed_sex or locked.sex)
        elif identity is not None:
            check_against_id(identity, birth_date=typed_birth, sex=typed_sex)
        if identity is not None:
            clean["birth_date"], clean["sex"] = identity.birth_date, identity.sex
        else:
            if "birth_date" in changes:
                if typed_birth is None:
                    raise ValidationError({"birth_date": "没有身份证号时必须填写出生日期"})
                clean["birth_date"] = typed_birth
            if "sex" in changes:
                if not typed_sex:
                    raise ValidationError({"sex": "没有身份证号时必须填写性别"})
                clean["sex"] = typed_sex
        changed = False
        searched = False  # a field the keyword index holds (name, ID number, phone) changed
        if new_id is not None:
            digest = pii.id_number_hash(new_id.value)
            if digest != locked.id_number_hash:
                clash = (
                    Resident.objects.select_related("household")
                    .filter(id_number_hash=digest)
                    .exclude(pk=locked.pk)
                    .first()
                )
                if clash is not None:
                    raise _already_registered(clash, user)
                locked.id_number_enc, locked.id_number_hash = pii.seal_id_number(new_id.value)
                changed = searched = True
        if phone_given:
            enc, digest = pii.seal_phone(phone_value)
            if digest != locked.phone_hash:
                locked.phone_enc, locked.phone_hash, changed, searched = enc, digest, True, True
        old_relation = locked.relation
        for key, value in clean.items():
            if getattr(locked, key) != value:
                setattr(locked, key, value)
                changed = True
                searched = searched or key == "name"
        if not changed:
            return locked
        household = (
            Household.objects.select_for_update().get(pk=locked.household_id) if locked.household_id else None
        )
        if household is not None and locked.relation != old_relation:
            if locked.relation == Relation.HEAD:
                _claim_head(household, locked)
            elif old_relation == Relation.HEAD:
                _release_head(household, locked)
        locked.version += 1
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ValidationError({"id_number": "此身份证号已登记在其他户，一人不能同时在两户"}) from None
        if searched:  # a note, tags or relation change no document (gridgov.search.index)
            reindex_households(_households_of(locked))
    return locked


def _households_of(resident: Resident) -> list[int]:
    """The household a resident is in, or for a former resident the one they last left."""
    if resident.household_id:
        return [resident.household_id]
    last = resident.life_events.exclude(from_household=None).order_by("-date", "-pk").first()
    return [last.from_household_id] if last is not None and last.from_household_id else []


def reindex(households: Iterable[int]) -> None:
    """For bulk writers (imports): the same index call, in one go."""
    reindex_households(list(households))
