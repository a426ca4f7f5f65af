"""What the app keeps on the phone: the synced record kinds, registered here.

A kind says which rows of one model a person's phone holds (`rows`: always read through the
scoping door, narrowed to the person's own grids) and how each is sent (`serialize`: plain JSON,
masked — no full ID number or phone is ever sent — with the record's search tokens where the
app searches it). The change log (gridgov.mobile.changes) logs every save and delete of a kind's
model, and of its `followers` (models whose change changes how a record of the kind is sent,
e.g. a dispute's team); the sync (gridgov.mobile.sync) sends and removes records by kind.

A new kind (issue 11's tasks, visits, patrol rules…) is one `register(Kind(...))` call in its own
app's `ready()`; the app shows it by its name (see docs/architecture-app.md).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import principal_of, restrict, subtrees_q
from gridgov.hierarchy.models import Level, Node

# The roles whose holders use the app, held on a grid: its records are what their phone syncs.
APP_ROLES = (Role.GRID_WORKER, Role.PART_TIME_WORKER, Role.GRID_CHIEF, Role.GRID_INSTRUCTOR)


def grid_roots(user: User) -> tuple[str, ...]:
    """The paths of the grids where `user` holds an app role (sorted; empty: nothing to sync)."""
    return tuple(sorted({a.path for a in principal_of(user).assignments if a.role in APP_ROLES}))


def under(roots: Sequence[str], field_name: str = "path") -> Q:
    """Rows under any of the grids (through the scope module's one way of writing it)."""
    return subtrees_q(roots, field_name)


@dataclass(frozen=True)
class Follower:
    """A model whose rows change how a record of a kind is sent: a change of one logs that record."""

    model: type[models.Model]
    record_id: Callable[[Any], int | None]
    # The person the change concerns, when the record follows a person (a team member added).
    person_id: Callable[[Any], int | None] = lambda _obj: None


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[models.Model]
    rows: Callable[[User, Sequence[str]], QuerySet[Any]]
    serialize: Callable[[list[Any], User], list[dict[str, Any]]]
    followers: tuple[Follower, ...] = ()
    # Rows of the model that never belong to any phone (e.g. nodes above buildings): not logged.
    logged: Callable[[Any], bool] = field(default=lambda _obj: True)


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    if kind.name in _KINDS and _KINDS[kind.name] != kind:
        raise ValueError(f"sync kind {kind.name!r} registered twice")
    _KINDS[kind.name] = kind


def all_kinds() -> list[Kind]:
    """In registration order: the snapshot sends them in this order (buildings before households…)."""
    return list(_KINDS.values())


def get(name: str) -> Kind | None:
    return _KINDS.get(name)


def kinds_of_model(model: type[models.Model]) -> list[Kind]:
    return [k for k in _KINDS.values() if k.model is model]


def followed_by(model: type[models.Model]) -> list[tuple[Kind, Follower]]:
    return [(k, f) for k in _KINDS.values() for f in k.followers if f.model is model]


# --- the built-in kinds: buildings, households, residents, open events, disputes -----------------


def _buildings(user: User, roots: Sequence[str]) -> QuerySet[Node]:
    return Node.objects.restrict(user, Cap.VIEW_REGISTRY).filter(under(roots), level=Level.BUILDING)


def _building_out(rows: list[Node], user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": b.pk,
            "code": b.code,
            "name": b.name,
            "address": b.address,
            "grid_id": b.parent_id,
            "lng": b.lng,
            "lat": b.lat,
            "version": b.version,
        }
        for b in rows
    ]


def _households(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.registry.choices import HouseholdStatus
    from gridgov.registry.models import Household

    return (
        Household.objects.restrict(user, Cap.VIEW_REGISTRY)
        .filter(under(roots), status=HouseholdStatus.ACTIVE)
        .select_related("building")
    )


def _tail_token(kind: str, masked: str) -> str:
    """The phone's own form of a tail token: the last four digits shown in the masked value.

    The server's index keeps tails as keyed hashes, which a phone cannot compute offline; the
    last four digits are already in the masked value the phone holds, so nothing more is sent."""
    digits = "".join(c for c in masked[-4:].lower() if c.isdigit() or c == "x")
    return f"2{kind}{digits}" if len(digits) == 4 else ""


def _household_out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    from gridgov.registry import pii
    from gridgov.registry.masking import mask_phone
    from gridgov.search.tokens import household_tokens

    out = []
    for h in rows:
        phone = mask_phone(pii.household_phone_of(h)) if h.phone_enc else ""
        tokens = household_tokens(address=h.address, building=h.building.name, unit=h.unit, room=h.room)
        out.append(
            {
                "id": h.pk,
                "number": h.number,
                "address": h.address,
                "building_id": h.building_id,
                "grid_id": h.grid_id,
                "unit": h.unit,
                "room": h.room,
                "kind": h.kind,
                "head_id": h.head_id,
                "phone": phone,
                "note": h.note,
                "version": h.version,
                "tokens": " ".join(t for t in (tokens, _tail_token("t", phone)) if t),
            }
        )
    return out


def _residents(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.registry.models import Resident
    from gridgov.registry.rules import ACTIVE_STATUSES

    return Resident.objects.restrict(user, Cap.VIEW_REGISTRY).filter(
        under(roots), status__in=ACTIVE_STATUSES, household__isnull=False
    )


def _resident_out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    from gridgov.registry import pii
    from gridgov.registry.masking import mask_id_number, mask_phone
    from gridgov.search.pinyin import read_name
    from gridgov.search.tokens import resident_tokens

    out = []
    for r in rows:
        id_number = mask_id_number(pii.id_number_of(r)) if r.id_number_enc else ""
        phone = mask_phone(pii.resident_phone_of(r)) if r.phone_enc else ""
        # Name tokens from the server's tokenizer; the tails in the phone's own form (above).
        tokens = resident_tokens(r.name)
        out.append(
            {
                "id": r.pk,
                "household_id": r.household_id,
                "name": r.name,
                "id_number": id_number,
                "phone": phone,
                "birth_date": r.birth_date.isoformat() if isinstance(r.birth_date, date) else None,
                "sex": r.sex,
                "ethnicity": r.ethnicity,
                "relation": r.relation,
                "status": r.status,
                "care_tags": list(r.care_tags or []),
                "note": r.note,
                "version": r.version,
                "tokens": " ".join(
                    t for t in (tokens, _tail_token("t", phone), _tail_token("i", id_number)) if t
                ),
                # The name's readings, character by character (wang|xiao/xiao|yu): the phone checks
                # typed mixes (王xy, zhang伟) against them and learns what a typed character reads as.
                "reading": "|".join("/".join(p) for p in read_name(r.name).positions),
            }
        )
    return out


# Events waiting for the reporter: confirm a handled one, resubmit a returned one.
AWAITING_REPORTER = ("handled", "returned")


def _events(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.events.models import Event

    return (
        restrict(Event.objects.all(), user, Cap.VIEW)
        .filter(under(roots))
        .filter(Q(is_open=True) | Q(reporter=user, state__in=AWAITING_REPORTER))
        .select_related("category")
    )


def _event_out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    from gridgov.events.workflow import STATE_NAMES

    return [
        {
            "id": e.pk,
            "number": e.number,
            "category": e.category.code,
            "category_name": e.category.name,
            "description": e.description[:500],
            "state": e.state,
            "state_name": STATE_NAMES.get(e.state, e.state),
            "due_at": e.due_at.isoformat() if e.due_at else None,
            "grid_id": e.grid_id,
            "address": e.address,
            "lng": e.lng,
            "lat": e.lat,
            "created_at": e.created_at.isoformat(),
            "mine": e.reporter_id == user.pk,
            "awaiting_me": e.reporter_id == user.pk and e.state in AWAITING_REPORTER,
            "version": e.version,
        }
        for e in rows
    ]


def _disputes(user: User, roots: Sequence[str]) -> QuerySet[Any]:
    from gridgov.disputes.models import Dispute

    return (
        restrict(Dispute.objects.all(), user)
        .filter(under(roots) | Q(team__user=user), outcome="")
        .distinct()
        .select_related("event", "event__category")
        .prefetch_related("parties")
    )


def _dispute_out(rows: list[Any], user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": d.pk,
            "event_id": d.event_id,
            "number": d.event.number,
            "category_name": d.event.category.name,
            "description": d.event.description[:500],
            "dispute_type": d.dispute_type,
            "type_name": d.get_dispute_type_display(),
            "risk_level": d.risk_level,
            "risk_name": d.get_risk_level_display(),
            "state": d.event.state,
            "address": d.event.address,
            "parties": [
                {"name": p.name, "role": p.role, "resident_id": p.resident_id} for p in d.parties.all()
            ],
            "version": d.version,
        }
        for d in rows
    ]


def register_builtin() -> None:
    from gridgov.disputes.models import Dispute, Party, TeamMember
    from gridgov.events.models import Event
    from gridgov.registry.models import Household, Resident

    register(
        Kind(
            "building",
            Node,
            _buildings,
            _building_out,
            logged=lambda node: node.level == Level.BUILDING,
        )
    )
    register(Kind("household", Household, _households, _household_out))
    register(Kind("resident", Resident, _residents, _resident_out))
    register(Kind("event", Event, _events, _event_out))
    register(
        Kind(
            "dispute",
            Dispute,
            _disputes,
            _dispute_out,
            followers=(
                Follower(Party, lambda party: party.dispute_id),
                Follower(TeamMember, lambda member: member.dispute_id, lambda member: member.user_id),
                # A dispute's event changes state (closed, merged): the dispute is sent again.
                Follower(Event, lambda event: getattr(getattr(event, "dispute", None), "pk", None)),
            ),
        )
    )
