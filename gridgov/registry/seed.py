"""Households and residents, with the keyword index built in the same run.

demo: 6–10 households in every demo building, plus the fixed people of seed_people (tests and the README
use them). city (`gridgov seed --scale city`): ~30 households in each of the ~58,800 buildings —
about 1.76 million households and 3.5 million residents — bulk inserted (COPY on PostgreSQL) in
batches, the search index dropped during the load and built once at the end.

The people themselves (fixed demo families and generated ones) come from
gridgov.registry.seed_people.
"""

import contextlib
import datetime
import json
import multiprocessing
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import SeedContext, secondary_indexes
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.models import Household, Resident
from gridgov.registry.rules import household_address
from gridgov.registry.seed_people import (
    CITY_WORKERS,
    FIXED_HOUSEHOLDS,
    FIXED_SEQUENCE_BASE,
    Family,
    Generator,
    IdFactory,
    Person,
    Sealer,
    area_code,
)
from gridgov.search import index
from gridgov.search.models import SearchDoc
from gridgov.search.tokens import BulkTokenizer

# --- rows --------------------------------------------------------------------------------------

HOUSEHOLD_VALUES = [
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
]
RESIDENT_VALUES = [
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
]
Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[int, str, str, str]]]


@lru_cache(maxsize=4096)
def _tags_json(tags: tuple[str, ...]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


class RowBuilder:
    """Families → rows of households, residents and search documents (no database access, so it
    can run in a worker process). Primary keys are assigned from the given starting points."""

    def __init__(self, vendor: str, now: Any, next_household: int, next_resident: int) -> None:
        self.vendor = vendor
        self.now = now
        self.next_household = next_household
        self.next_resident = next_resident
        self.sealer = Sealer()
        self.tokens = BulkTokenizer()
        self.households = 0
        self.residents = 0

    def rows(self, families: Iterable[Family]) -> Rows:
        seal, blind = self.sealer.encrypt, self.sealer.blind
        id_ctx, rphone_ctx, hphone_ctx = (
            pii.ID_NUMBER_CONTEXT.encode(),
            pii.RESIDENT_PHONE_CONTEXT.encode(),
            pii.HOUSEHOLD_PHONE_CONTEXT.encode(),
        )
        id_kind, phone_kind = pii.ID_NUMBER_KIND, pii.PHONE_KIND
        now, iso_dates = self.now, self.vendor != "postgresql"
        resident_doc, household_doc = self.tokens.resident, self.tokens.household
        households: list[tuple[Any, ...]] = []
        residents: list[tuple[Any, ...]] = []
        docs: list[tuple[int, str, str, str]] = []
        for family in families:
            b = family.building
            hid = self.next_household
            self.next_household += 1
            path, county, unit, room = b["path"], b["county_code"], family.unit, family.room
            address = f"{b['address_prefix']}{unit}单元{room}室"
            phone = family.phone
            households.append(
                (
                    hid,
                    path,
                    county,
                    f"{b['code']}-{unit}-{room}",
                    b["id"],
                    b["grid_id"],
                    unit,
                    room,
                    address,
                    family.kind,
                    family.status,
                    self.next_resident,
                    seal(phone, hphone_ctx) if phone else None,
                    blind(phone_kind, phone.replace("-", "")) if phone else "",
                    "",
                    1,
                    now,
                    now,
                )
            )
            docs.append((2 * hid + 1, path, county, household_doc(address, b["name"], unit, room, phone)))
            for person in family.members:
                rid = self.next_resident
                self.next_resident += 1
                idn, mobile = person.id_number, person.phone
                residents.append(
                    (
                        rid,
                        path,
                        county,
                        hid,
                        person.name,
                        seal(idn, id_ctx),
                        blind(id_kind, idn),
                        person.birth.isoformat() if iso_dates else person.birth,
                        person.sex,
                        seal(mobile, rphone_ctx) if mobile else None,
                        blind(phone_kind, mobile.replace("-", "")) if mobile else "",
                        person.ethnicity,
                        person.relation,
                        person.status,
                        _tags_json(tuple(person.care)),
                        _tags_json(tuple(person.special)),
                        "",
                        1,
                        now,
                        now,
                    )
                )
                docs.append((2 * rid, path, county, resident_doc(person.name, mobile, idn)))
            self.households += 1
            self.residents += len(family.members)
        return households, residents, docs


class TableWriter:
    """Insert rows into a model's table in bulk: executemany on SQLite, COPY on PostgreSQL.

    Columns are the model's concrete fields; the ones the seed does not set get their default,
    so a field added to the model later does not break seeding.
    """

    def __init__(self, model: type[models.Model], values: list[str]) -> None:
        self.table = model._meta.db_table
        self.vendor = connection.vendor
        fields = list(model._meta.concrete_fields)
        by_attname = {f.attname: f for f in fields}
        missing = [name for name in values if name not in by_attname]
        if missing:
            raise RuntimeError(f"{self.table} has no column(s) {missing}")
        extra = [f for f in fields if f.attname not in values]
        self.columns = [by_attname[name].column for name in values] + [f.column for f in extra]
        self.tail = tuple(self._default(f) for f in extra)

    def _default(self, f: models.Field[Any, Any]) -> Any:
        value = f.get_default()
        if isinstance(f, models.JSONField):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            return _now_value(self.vendor)
        return value

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        tail = self.tail
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + tail if tail else row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})",  # noqa: S608
                    [row + tail for row in rows] if tail else rows,
                )


def _now_value(vendor: str) -> Any:
    now = timezone.now()
    if vendor == "sqlite":
        return now.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return now


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Household, Resident):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


class RegistryWriter:
    def __init__(self) -> None:
        self.households = TableWriter(Household, HOUSEHOLD_VALUES)
        self.residents = TableWriter(Resident, RESIDENT_VALUES)
        self.household_count = 0
        self.resident_count = 0

    def write(self, rows: Rows, load_docs: Any = None) -> None:
        households, residents, docs = rows
        self.households.write(households)
        self.residents.write(residents)
        documents = [index.Doc(*d) for d in docs]
        if load_docs is not None:
            load_docs(documents)
        else:
            index._write(documents)
        self.household_count += len(households)
        self.resident_count += len(residents)


# --- the seed step -----------------------------------------------------------------------------


def _buildings() -> list[dict[str, Any]]:
    """Every building with what the generator needs, in path order."""
    rows = (
        Node.objects.filter(level=Level.BUILDING)
        .order_by("path")
        .values(
            "id",
            "code",
            "name",
            "path",
            "county_code",
            "parent_id",
            "address",
            "parent__grid_kind",
            "parent__name",
        )
    )
    return [
        {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "path": row["path"],
            "county_code": row["county_code"],
            "grid_id": row["parent_id"],
            "grid_name": row["parent__name"],
            "dedicated": row["parent__grid_kind"] == "dedicated",
            "address_prefix": household_address(Node(name=row["name"], address=row["address"]), "", ""),
        }
        for row in rows
    ]


def _fixed_families(buildings: list[dict[str, Any]]) -> list[Family]:
    by_grid: dict[str, list[dict[str, Any]]] = {}
    for b in buildings:
        by_grid.setdefault(b["grid_name"], []).append(b)
    if not all(f[0] in by_grid for f in FIXED_HOUSEHOLDS):
        return []
    ids = IdFactory(random.Random(0), base=FIXED_SEQUENCE_BASE)
    families = []
    for grid_name, number, unit, room, kind, members in FIXED_HOUSEHOLDS:
        building = by_grid[grid_name][number - 1]
        people = []
        for name, sex, birth, relation, ethnicity, phone, care, special in members:
            born = datetime.date.fromisoformat(birth)
            id_number, born = ids.make(area_code(building["county_code"], born.year), born, sex)
            people.append(
                Person(
                    name,
                    sex,
                    born,
                    relation,
                    ethnicity,
                    phone,
                    list(care),
                    list(special),
                    id_number=id_number,
                )
            )
        families.append(Family(building, unit, room, kind, people, phone=people[0].phone))
    return families


def _taken_rooms(fixed: list[Family]) -> dict[int, set[tuple[str, str]]]:
    taken: dict[int, set[tuple[str, str]]] = {}
    for family in fixed:
        taken.setdefault(family.building["id"], set()).add((family.unit, family.room))
    return taken


def seed(ctx: SeedContext) -> None:
    started = time.monotonic()
    buildings = _buildings()
    fixed = _fixed_families(buildings)
    writer = RegistryWriter()
    if ctx.is_city:
        _seed_city(ctx, writer, buildings, fixed)
    else:
        gen = Generator(ctx.rng, timezone.localdate())
        taken = _taken_rooms(fixed)
        families = list(fixed)
        for b in buildings:
            count = ctx.rng.randint(2, 4) if b["dedicated"] else ctx.rng.randint(6, 10)
            families.extend(gen.families(b, count, 6, taken.get(b["id"], set())))
        builder = RowBuilder(
            connection.vendor, _now_value(connection.vendor), _next_id(Household), _next_id(Resident)
        )
        with transaction.atomic():
            writer.write(builder.rows(families))
            _reset_sequences()
            _record(ctx, writer, started)
    analyze(Household, Resident, SearchDoc)
    ctx.say(
        f"[green]Registry:[/green] {writer.household_count:,} households, {writer.resident_count:,} residents, "
        f"keyword index built ({time.monotonic() - started:.0f} s)"
    )


# City scale: one generator per county in worker processes (two cores), rows written by the parent.
_progress: Any = None


def _init_worker(counter: Any) -> None:
    global _progress
    _progress = counter


@dataclass(frozen=True)
class CountyTask:
    county: str
    part: int
    parts: int
    seed: str
    buildings: list[dict[str, Any]]
    taken: dict[int, set[tuple[str, str]]]
    today: datetime.date
    vendor: str
    now: Any
    next_household: int
    next_resident: int


def _generate_county(task: CountyTask) -> tuple[str, Rows, int, int]:
    rng = random.Random(task.seed)
    gen = Generator(rng, task.today, IdFactory(rng, task.county, task.part, task.parts))
    builder = RowBuilder(task.vendor, task.now, task.next_household, task.next_resident)
    households: list[tuple[Any, ...]] = []
    residents: list[tuple[Any, ...]] = []
    docs: list[tuple[int, str, str, str]] = []
    for b in task.buildings:
        count = rng.randint(5, 15) if b["dedicated"] else rng.randint(22, 41)
        h, r, d = builder.rows(
            gen.families(b, count, rng.choice((6, 11, 18)), task.taken.get(b["id"], set()))
        )
        households.extend(h)
        residents.extend(r)
        docs.extend(d)
        if _progress is not None:
            with _progress.get_lock():
                _progress.value += 1
    return task.county, (households, residents, docs), builder.households, builder.residents


def _seed_city(
    ctx: SeedContext, writer: RegistryWriter, buildings: list[dict[str, Any]], fixed: list[Family]
) -> None:
    started = time.monotonic()
    vendor, now, today = connection.vendor, _now_value(connection.vendor), timezone.localdate()
    by_county: dict[str, list[dict[str, Any]]] = {}
    for b in buildings:
        by_county.setdefault(b["county_code"], []).append(b)
    counties = sorted(by_county)
    taken = _taken_rooms(fixed)
    first_household, first_resident = _next_id(Household), _next_id(Resident)
    # Each county gets its own block of primary keys (gaps are harmless), so workers need no coordination.
    block_h = max(len(v) for v in by_county.values()) * 60
    base_seed = ctx.rng.randrange(1 << 30)
    tasks = [
        CountyTask(
            county,
            n,
            len(counties),
            f"{base_seed}:{county}",
            by_county[county],
            taken,
            today,
            vendor,
            now,
            first_household + 1000 + n * block_h,
            first_resident + 1000 + n * block_h * 6,
        )
        for n, county in enumerate(counties)
    ]
    counter = multiprocessing.Value("l", 0)
    fixed_rows = RowBuilder(vendor, now, first_household, first_resident).rows(fixed)
    # Secondary indexes are dropped for the load and built again at the end, with the search index:
    # much faster than updating them row by row.
    indexes = secondary_indexes(Household) + secondary_indexes(Resident)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    # Fork before any database work of this step: children inherit settings and models, not connections.
    connection.close()
    context = multiprocessing.get_context("fork")
    with (
        context.Pool(CITY_WORKERS, initializer=_init_worker, initargs=(counter,)) as pool,
        _sqlite_bulk_load(),
        index.bulk_loading([sql for _name, sql in indexes]) as load_docs,
        _progress_bar(ctx, len(buildings)) as advance,
    ):
        with transaction.atomic():
            writer.write(fixed_rows, load_docs)
        pending = [pool.apply_async(_generate_county, (task,)) for task in tasks]
        while pending:
            advance(counter.value)
            done = [p for p in pending if p.ready()]
            for result in done:
                pending.remove(result)
                _county, rows, _h, _r = result.get()
                with transaction.atomic():
                    writer.write(rows, load_docs)
                advance(counter.value)
            if not done:
                time.sleep(0.5)
        written = time.monotonic()
        ctx.say(
            f"Registry rows written in {written - started:.0f} s; building the keyword index and the "
            f"registry's {len(indexes)} secondary indexes…"
        )
    ctx.say(f"Indexes built in {time.monotonic() - written:.0f} s")
    with transaction.atomic():
        _reset_sequences()
        _record(ctx, writer, started)


@contextlib.contextmanager
def _sqlite_bulk_load() -> Iterator[None]:
    """On SQLite, load without foreign-key enforcement and with a large page cache.

    Households name their head, a resident written after them, and the index on `head_id` is
    dropped for the load: with enforcement on, every resident row made SQLite scan the whole
    household table for rows waiting on it (quadratic; hours for the city). The generator writes
    consistent keys, and `PRAGMA foreign_key_check` proves it once the indexes are back.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA cache_size = -1000000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -64000")
            cursor.execute("PRAGMA foreign_keys = ON")
    with connection.cursor() as cursor:
        for model in (Household, Resident):
            cursor.execute(f"PRAGMA foreign_key_check({model._meta.db_table})")
            broken = cursor.fetchmany(5)
            if broken:
                raise RuntimeError(
                    f"city seed wrote rows with dangling foreign keys in {model._meta.db_table}: {broken}"
                )


@contextlib.contextmanager
def _progress_bar(ctx: SeedContext, total: int) -> Iterator[Callable[[int], None]]:
    if ctx.quiet:
        yield lambda done: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=ctx.console) as progress:
        bar = progress.add_task("住户与居民（楼栋）", total=total)
        yield lambda done: progress.update(bar, completed=done)


def _record(ctx: SeedContext, writer: RegistryWriter, started: float) -> None:
    record(
        Action.COMMAND,
        object_type="registry.household",
        message=f"seed {ctx.scale}: {writer.household_count} households, {writer.resident_count} residents, "
        f"search index built ({time.monotonic() - started:.0f} s)",
    )
