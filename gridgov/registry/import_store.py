"""Writing a checked Excel import: households, residents, move-in events, search documents.

Called by gridgov.registry.importing once every row has passed; all or nothing.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from gridgov.audit.models import Action
from gridgov.audit.services import record, record_rows
from gridgov.core.crypto import encrypt
from gridgov.core.dbstats import analyze
from gridgov.hierarchy.models import Node
from gridgov.mobile.changes import log_rows
from gridgov.registry import bulk, pii
from gridgov.registry.choices import HouseholdStatus, LifeEventKind, Relation
from gridgov.registry.models import Household, LifeEvent, Resident
from gridgov.registry.rules import household_address
from gridgov.registry.signals import residents_imported
from gridgov.registry.validation import Phone
from gridgov.search.index import NewHousehold, NewResident, index_new_records
from gridgov.search.models import SearchDoc

# (building id, unit, room): the rows of one household.
HouseholdKey = tuple[int, str, str]


@dataclass
class Person:
    """One checked row, ready to be written."""

    row: int
    sheet: str
    household_key: HouseholdKey
    kind: str
    name: str
    id_number: str
    id_hash: str
    birth_date: datetime.date
    sex: str
    phone: Phone | None
    ethnicity: str
    relation: str
    status: str
    care_tags: list[str]
    special_tags: list[str]
    note: str


def store(
    people: list[Person],
    *,
    grid: Node,
    buildings: dict[int, Node],
    existing_households: dict[HouseholdKey, Household],
    new_keys: set[HouseholdKey],
    user: Any,
    source_name: str,
    rows: int,
) -> int:
    """Write households, residents and their move-in events in one transaction; return the
    number of new households.

    Plain multi-row INSERTs (gridgov.registry.bulk) with reserved ids: households point at their
    heads and residents at their households without a second pass. Encryption and blind
    indexes are computed here in Python; every household and resident created has its audit row, and one more
    summarises the import. The tables written
    are analyzed before returning (gridgov.core.dbstats).
    """
    now = timezone.now()
    today = timezone.localdate(now)
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        taken = set(Household.objects.filter(grid=grid).values_list("number", flat=True))
        kinds: dict[HouseholdKey, str] = {}
        for person in people:
            kinds.setdefault(person.household_key, person.kind)
        new_list = sorted(new_keys)
        household_ids = dict(zip(new_list, bulk.reserve_ids(Household, len(new_list)), strict=True))
        resident_ids = bulk.reserve_ids(Resident, len(people))
        places: dict[HouseholdKey, tuple[int, str, str]] = {
            key: (h.pk, h.path, h.county_code) for key, h in existing_households.items()
        }
        heads: dict[HouseholdKey, int] = {}
        for person, resident_id in zip(people, resident_ids, strict=True):
            if person.relation == Relation.HEAD:
                heads[person.household_key] = resident_id

        household_rows = []
        for key in new_list:
            building = buildings[key[0]]
            base = f"{building.code}-{key[1] or '0'}-{key[2] or '0'}"
            if len(base) > 29:
                base = f"{building.code}-H{len(taken) + 1}"
            number, n = base, 2
            while number in taken:
                number, n = f"{base}-{n}", n + 1
            taken.add(number)
            pk = household_ids[key]
            places[key] = (pk, building.path, building.county_code)
            household_rows.append(
                (
                    pk,
                    building.path,
                    building.county_code,
                    number,
                    building.pk,
                    grid.pk,
                    key[1],
                    key[2],
                    household_address(building, key[1], key[2]),
                    kinds[key],
                    HouseholdStatus.ACTIVE,
                    heads.get(key),
                    None,
                    "",
                    "",
                    1,
                    now,
                    now,
                )
            )
        bulk.insert_rows(
            Household,
            [
                "id",
                "path",
                "county_code",
                "number",
                "building_id",
                "grid_id",
                "unit",
                "room",
                "address",
                "kind",
                "status",
                "head_id",
                "phone_enc",
                "phone_hash",
                "note",
                "version",
                "created_at",
                "updated_at",
            ],
            household_rows,
        )

        def resident_rows() -> Iterator[tuple[Any, ...]]:
            for person, pk in zip(people, resident_ids, strict=True):
                household_id, path, county = places[person.household_key]
                phone_enc, phone_hash = pii.seal_phone(person.phone)
                id_enc = encrypt(person.id_number, pii.ID_NUMBER_CONTEXT)  # its blind index is person.id_hash
                yield (
                    pk,
                    path,
                    county,
                    household_id,
                    person.name,
                    id_enc,
                    person.id_hash,
                    person.birth_date,
                    person.sex,
                    phone_enc,
                    phone_hash,
                    person.ethnicity,
                    person.relation,
                    person.status,
                    person.care_tags,
                    person.special_tags,
                    person.note,
                    1,
                    now,
                    now,
                )

        bulk.insert_rows(
            Resident,
            [
                "id",
                "path",
                "county_code",
                "household_id",
                "name",
                "id_number_enc",
                "id_number_hash",
                "birth_date",
                "sex",
                "phone_enc",
                "phone_hash",
                "ethnicity",
                "relation",
                "status",
                "care_tags",
                "special_tags",
                "note",
                "version",
                "created_at",
                "updated_at",
            ],
            resident_rows(),
        )
        bulk.insert_rows(
            LifeEvent,
            [
                "path",
                "county_code",
                "resident_id",
                "kind",
                "date",
                "to_household_id",
                "note",
                "recorded_by_id",
                "recorded_at",
            ],
            (
                (
                    places[p.household_key][1],
                    places[p.household_key][2],
                    pk,
                    LifeEventKind.MOVE_IN,
                    today,
                    places[p.household_key][0],
                    "Excel 导入",
                    actor.pk if actor else None,
                    now,
                )
                for p, pk in zip(people, resident_ids, strict=True)
            ),
        )

        # Existing households that got their head from this file.
        existing_heads = [(heads[key], h.pk) for key, h in existing_households.items() if key in heads]
        if existing_heads:
            table = connection.ops.quote_name(Household._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET head_id = %s, version = version + 1 WHERE id = %s",  # noqa: S608
                    existing_heads,
                )

        # One row per record created, as for any other write, then the import's summary.
        source = {"source": "Excel 导入", "file": source_name}
        record_rows(
            Action.CREATE,
            Household._meta.label_lower,
            (
                (row[0], f"{row[8]}（{row[3]}）", row[1], {**source, "number": row[3], "address": row[8]})
                for row in household_rows
            ),
            message="Excel import",
            user=actor,
        )
        record_rows(
            Action.CREATE,
            Resident._meta.label_lower,
            (
                (
                    pk,
                    person.name,
                    places[person.household_key][1],
                    {
                        **source,
                        "name": person.name,
                        "household": places[person.household_key][0],
                        "relation": person.relation,
                        "id_number_enc": "***",
                        "phone_enc": "***",
                        "life_event": LifeEventKind.MOVE_IN,
                    },
                )
                for person, pk in zip(people, resident_ids, strict=True)
            ),
            message="Excel import",
            user=actor,
        )
        record(
            Action.IMPORT,
            grid,
            changes={
                "file": source_name,
                "rows": rows,
                "households_created": len(household_rows),
                "residents_created": len(people),
            },
            message=f"Excel import into {grid.name}: {len(household_rows)} households, {len(people)} residents",
            user=actor,
        )
        # The phones of the grid's workers get the new records at their next sync.
        log_rows("household", [(household_ids[key], buildings[key[0]].path) for key in new_list])
        log_rows(
            "resident",
            [(pk, places[p.household_key][1]) for p, pk in zip(people, resident_ids, strict=True)],
        )
        # Whatever is derived from residents follows them (care schedules for their tags).
        residents_imported.send(sender=Resident, path=grid.path)
        # New households, and new residents (in new or existing households): indexed from the
        # values in hand. An existing household's own document does not depend on its members.
        index_new_records(
            [
                NewHousehold(
                    household_ids[key],
                    buildings[key[0]].path,
                    buildings[key[0]].county_code,
                    household_address(buildings[key[0]], key[1], key[2]),
                    buildings[key[0]].name,
                    key[1],
                    key[2],
                )
                for key in new_list
            ],
            [
                NewResident(
                    pk,
                    places[p.household_key][1],
                    places[p.household_key][2],
                    p.name,
                    p.phone.display if p.phone else "",
                    p.id_number or "",
                )
                for p, pk in zip(people, resident_ids, strict=True)
            ],
        )
    analyze(Household, Resident, LifeEvent, SearchDoc)
    return len(household_rows)
