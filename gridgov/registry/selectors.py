"""Reads of the registry, always through the user's scope (`gridgov.accounts.scope`).

`resident_view` / `household_view` are what pages, the API and exports show: ID numbers and
phones masked unless the user has Cap.SEE_PII there AND asked to reveal a field (each such
read is written to the audit log), and special-population tags present only for users who may
see them (their reads are logged too; for everyone else the key is absent, not empty).
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, deny, get_visible_or_404, require, scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.choices import (
    CareTag,
    HouseholdKind,
    HouseholdStatus,
    LifeEventKind,
    Relation,
    ResidenceStatus,
    Sex,
    SpecialTag,
)
from gridgov.registry.masking import mask_id_number, mask_phone
from gridgov.registry.models import Household, LifeEvent, Resident
from gridgov.registry.rules import ACTIVE_STATUSES, may_see_special

REVEALABLE = ("id_number", "phone")
CARE_LABELS = dict(CareTag.choices)
SPECIAL_LABELS = dict(SpecialTag.choices)


def households_for(user: Any, cap: str = Cap.VIEW_REGISTRY) -> QuerySet[Household]:
    return Household.objects.select_related("building", "grid").restrict(user, cap)


def residents_for(user: Any, cap: str = Cap.VIEW_REGISTRY) -> QuerySet[Resident]:
    return Resident.objects.select_related("household").restrict(user, cap)


def get_household(user: Any, household_id: int, cap: str = Cap.VIEW_REGISTRY) -> Household:
    return get_visible_or_404(
        Household.objects.select_related("building", "grid", "head"), user, cap, pk=household_id
    )


def get_resident(user: Any, resident_id: int, cap: str = Cap.VIEW_REGISTRY) -> Resident:
    return get_visible_or_404(Resident.objects.select_related("household"), user, cap, pk=resident_id)


def get_node(user: Any, node_id: int, cap: str = Cap.VIEW_REGISTRY) -> Node:
    return get_visible_or_404(Node.objects.select_related("parent"), user, cap, pk=node_id)


def household_list(
    user: Any,
    *,
    node: Node | None = None,
    grid: Node | None = None,
    building: Node | None = None,
    status: str | None = None,
    cap: str = Cap.VIEW_REGISTRY,
) -> QuerySet[Household]:
    """Households in scope, optionally under a node / in a grid / in a building."""
    households = households_for(user, cap)
    if node is not None:
        households = households.filter(path__under=node.path)
    if grid is not None:
        households = households.filter(grid=grid)
    if building is not None:
        households = households.filter(building=building)
    if status:
        households = households.filter(status=status)
    return households.order_by("path", "unit", "room", "pk")


def resident_list(
    user: Any,
    *,
    node: Node | None = None,
    household: Household | None = None,
    status: str | None = None,
    cap: str = Cap.VIEW_REGISTRY,
) -> QuerySet[Resident]:
    residents = residents_for(user, cap)
    if node is not None:
        residents = residents.filter(path__under=node.path)
    if household is not None:
        residents = residents.filter(household=household)
    if status:
        residents = residents.filter(status=status)
    return residents.order_by("path", "household_id", "pk")


def members_of(household: Household) -> QuerySet[Resident]:
    """Who lives in the household now: head first, then by relation and age."""
    order = Case(
        *[When(relation=value, then=Value(i)) for i, value in enumerate(Relation.values)],
        output_field=IntegerField(),
    )
    return (
        Resident.objects.filter(household=household, status__in=ACTIVE_STATUSES)
        .annotate(relation_order=order)
        .order_by("relation_order", "birth_date", "pk")
    )


def household_history(household: Household) -> QuerySet[LifeEvent]:
    """Every life event into or out of this household, newest first: who came, left, was born, died."""
    return (
        LifeEvent.objects.filter(Q(from_household=household) | Q(to_household=household))
        .select_related("resident", "from_household", "to_household", "recorded_by")
        .order_by("-date", "-pk")
    )


def resident_history(resident: Resident) -> QuerySet[LifeEvent]:
    return resident.life_events.select_related("from_household", "to_household", "recorded_by").order_by(
        "-date", "-pk"
    )


def grids_in_scope(user: Any, cap: str = Cap.VIEW_REGISTRY) -> QuerySet[Node]:
    return Node.objects.filter(level=Level.GRID).restrict(user, cap).order_by("path")


def children_with_counts(node: Node, user: Any) -> list[dict[str, Any]]:
    """The node's children in scope, each with its number of active households (one grouped query:
    children's paths have the same length, so households group by that prefix of their path)."""
    children = list(Node.objects.filter(parent=node).restrict(user).order_by("code"))
    if not children:
        return []
    width = len(children[0].path)
    counts = dict(
        households_for(user)
        .filter(path__under=node.path, status=HouseholdStatus.ACTIVE)
        .annotate(prefix=Substr("path", 1, width))
        .values("prefix")
        .annotate(n=Count("pk"))
        .values_list("prefix", "n")
    )
    return [{"node": child, "households": counts.get(child.path, 0)} for child in children]


def buildings_under(node: Node, user: Any, cap: str = Cap.VIEW_REGISTRY) -> QuerySet[Node]:
    return (
        Node.objects.filter(level=Level.BUILDING, path__under=node.path).restrict(user, cap).order_by("path")
    )


NO_REGISTRY_ACCESS = "无权查看人口信息"


def require_registry_access(user: Any) -> None:
    """A role without registry access anywhere (a department, an auditor) is told so, instead of
    seeing its area with "0 户"; the refusal is logged like every other."""
    if scope_of(user, Cap.VIEW_REGISTRY).empty:
        deny(user, f"lacks {Cap.VIEW_REGISTRY} anywhere")
        raise PermissionDenied(NO_REGISTRY_ACCESS)


def start_nodes(user: Any) -> list[Node]:
    """Where a user's registry browsing starts: the roots of their registry scope (their grid for
    a grid worker)."""
    scope = scope_of(user, Cap.VIEW_REGISTRY)
    if scope.everything:
        return list(Node.objects.filter(parent__isnull=True))
    return list(Node.objects.filter(path__in=scope.roots).order_by("path"))


# --- what users see -----------------------------------------------------------------------------


def _age(birth: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if birth is None:
        return None
    today = today or timezone.localdate()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def check_reveal(user: Any, obj: Household | Resident, fields: Iterable[str]) -> tuple[str, ...]:
    """The fields to show in full; refuses (and logs) if the user lacks SEE_PII there."""
    wanted = tuple(f for f in REVEALABLE if f in set(fields))
    unknown = set(fields) - set(REVEALABLE)
    if unknown:
        raise PermissionDenied(f"cannot reveal {sorted(unknown)[0]}")
    if isinstance(obj, Household) and "id_number" in wanted:
        wanted = tuple(f for f in wanted if f != "id_number")
    if wanted:
        require(user, Cap.SEE_PII, obj.path, obj)
    return wanted


def _log_read(obj: Household | Resident, field: str, user: Any) -> None:
    record(
        Action.READ_SENSITIVE,
        obj,
        changes={"field": field},
        message=f"read {field}",
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def resident_view(resident: Resident, user: Any, reveal: Iterable[str] = ()) -> dict[str, Any]:
    """A resident as this user may see them. `reveal` ("id_number", "phone") unmasks, audited."""
    shown = check_reveal(user, resident, tuple(reveal))
    id_number = pii.id_number_of(resident) if resident.id_number_enc else ""
    phone = pii.resident_phone_of(resident) if resident.phone_enc else ""
    for field in shown:
        _log_read(resident, field, user)
    view: dict[str, Any] = {
        "id": resident.pk,
        "household_id": resident.household_id,
        "name": resident.name,
        "id_number": id_number if "id_number" in shown else mask_id_number(id_number),
        "id_number_revealed": "id_number" in shown and bool(id_number),
        "phone": phone if "phone" in shown else mask_phone(phone),
        "phone_revealed": "phone" in shown and bool(phone),
        "can_reveal": can(user, Cap.SEE_PII, resident.path),
        "birth_date": resident.birth_date,
        "age": _age(resident.birth_date),
        "sex": resident.sex,
        "sex_label": dict(Sex.choices).get(resident.sex, ""),
        "ethnicity": resident.ethnicity,
        "relation": resident.relation,
        "relation_label": resident.get_relation_display(),
        "status": resident.status,
        "status_label": resident.get_status_display(),
        "care_tags": list(resident.care_tags or []),
        "care_labels": [str(CARE_LABELS.get(t, t)) for t in resident.care_tags or []],
        "note": resident.note,
        "version": resident.version,
        "path": resident.path,
        "updated_at": resident.updated_at,
    }
    if may_see_special(user, resident.path):
        tags = list(resident.special_tags or [])
        view["special_tags"] = tags
        view["special_labels"] = [str(SPECIAL_LABELS.get(t, t)) for t in tags]
        if tags:
            _log_read(resident, "special_tags", user)
    return view


def household_view(household: Household, user: Any, reveal: Iterable[str] = ()) -> dict[str, Any]:
    shown = check_reveal(user, household, tuple(reveal))
    phone = pii.household_phone_of(household) if household.phone_enc else ""
    if "phone" in shown:
        _log_read(household, "phone", user)
    return {
        "id": household.pk,
        "number": household.number,
        "address": household.address,
        "building_id": household.building_id,
        "grid_id": household.grid_id,
        "unit": household.unit,
        "room": household.room,
        "kind": household.kind,
        "kind_label": household.get_kind_display(),
        "status": household.status,
        "status_label": household.get_status_display(),
        "head_id": household.head_id,
        "phone": phone if "phone" in shown else mask_phone(phone),
        "phone_revealed": "phone" in shown and bool(phone),
        "can_reveal": can(user, Cap.SEE_PII, household.path),
        "note": household.note,
        "version": household.version,
        "path": household.path,
        "updated_at": household.updated_at,
    }


def editable_snapshot(obj: Household | Resident, user: Any) -> dict[str, Any]:
    """The editable fields as the edit form shows them (ID number and phone masked); JSON-safe and
    without audit side effects.

    The edit form carries the snapshot the user saw; on a version conflict the page compares it
    with the current snapshot to show what someone else changed, and the form submits only the
    fields this user changed, so re-applying never overwrites the other person's edits.
    """
    if isinstance(obj, Household):
        phone = pii.household_phone_of(obj) if obj.phone_enc else ""
        return {
            "unit": obj.unit,
            "room": obj.room,
            "kind": obj.kind,
            "phone": mask_phone(phone),
            "note": obj.note,
        }
    phone = pii.resident_phone_of(obj) if obj.phone_enc else ""
    id_number = pii.id_number_of(obj) if obj.id_number_enc else ""
    snap: dict[str, Any] = {
        "name": obj.name,
        "id_number": mask_id_number(id_number),
        "birth_date": obj.birth_date.isoformat() if obj.birth_date else "",
        "sex": obj.sex,
        "phone": mask_phone(phone),
        "ethnicity": obj.ethnicity,
        "relation": obj.relation,
        "status": obj.status,
        "care_tags": list(obj.care_tags or []),
        "note": obj.note,
    }
    if may_see_special(user, obj.path):
        snap["special_tags"] = list(obj.special_tags or [])
    return snap


FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "birth_date": "出生日期",
    "sex": "性别",
    "phone": "电话",
    "ethnicity": "民族",
    "relation": "与户主关系",
    "status": "居住状态",
    "care_tags": "关爱标签",
    "special_tags": "特殊人群标签",
    "note": "备注",
    "unit": "单元",
    "room": "室",
    "kind": "户类型",
}
_VALUE_LABELS: dict[str, dict[str, Any]] = {
    "kind": dict(HouseholdKind.choices),
    "relation": dict(Relation.choices),
    "status": dict(ResidenceStatus.choices),
    "sex": dict(Sex.choices),
    "care_tags": CARE_LABELS,
    "special_tags": SPECIAL_LABELS,
}


def display_value(key: str, value: Any) -> str:
    """A snapshot value as people read it (labels instead of codes)."""
    labels = _VALUE_LABELS.get(key, {})
    if isinstance(value, list):
        return "、".join(str(labels.get(v, v)) for v in value)
    return str(labels.get(value, value)) if value not in (None, "") else ""


def snapshot_changes(seen: dict[str, Any], current: dict[str, Any]) -> list[dict[str, str]]:
    """Fields whose value differs between what the user saw and what is stored now."""
    rows = []
    for key, value in current.items():
        before = seen.get(key, [] if isinstance(value, list) else "")
        if before != value:
            rows.append(
                {
                    "field": key,
                    "label": FIELD_LABELS.get(key, key),
                    "seen": display_value(key, before),
                    "current": display_value(key, value),
                }
            )
    return rows


def event_label(kind: str) -> str:
    return str(dict(LifeEventKind.choices).get(kind, kind))
