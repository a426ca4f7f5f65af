"""The keyword index of residents and households: an inverted index kept by the database.

Each resident and each household has one `SearchDoc` row holding its tokens (see
gridgov.search.tokens). The database indexes those tokens together with *scope tokens* derived
from the row's hierarchy path, so one index lookup answers "documents with this token under this
node", and a query stops after one page (LIMIT) instead of counting every match:

- SQLite: an FTS5 table (`search_fts`, contentless, detail=none, ascii tokenizer) kept by
  triggers on `search_searchdoc`. Its keys: the tokens, plus `s<path prefix>` for the city,
  county, township, community and grid. FTS5 walks doclists in rowid order and stops at LIMIT.
- PostgreSQL: a GIN index on `search_doc_keys(tokens, path)`: every token prefixed with the
  county code (so a county's posting lists are short and a city-wide search goes county by county,
  stopping once a page is full), plus `s<path prefix>` for the township, community and grid.

Contract used by the registry's services (inside their transaction):
    reindex_households(household_ids) — rebuild the documents of these households and of every
    resident who is in one of them or last left one of them.
"""

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from gridgov.core.dbstats import analyze
from gridgov.hierarchy.models import Level, Node
from gridgov.hierarchy.paths import PATH_END
from gridgov.search.models import SearchDoc, household_doc_id, resident_doc_id
from gridgov.search.tokens import Alternative, BulkTokenizer, household_tokens, resident_tokens

# Cumulative path lengths: city 6, county 12, township 24, community 36, grid 51, building 69.
PATH_LENGTH = PATH_END
SQLITE_SCOPE_LENGTHS = tuple(
    PATH_LENGTH[lv] for lv in (Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY, Level.GRID)
)
PG_SCOPE_LENGTHS = tuple(PATH_LENGTH[lv] for lv in (Level.TOWNSHIP, Level.COMMUNITY, Level.GRID))
COUNTY_LENGTH = PATH_LENGTH[Level.COUNTY]
# What FTS5's ascii tokenizer keeps in one token: ASCII letters and digits and any non-ASCII
# character. A query token with other characters cannot be in the index (searched literally).
_TOKEN = re.compile(r"^[0-9a-z\u0080-\U0010ffff]+$")

# Kept in step with migrations/0002 (the SQL there is frozen; this is what the code runs).
SQLITE_KEYS_NEW = "new.tokens || " + " || ".join(
    f"' s' || substr(new.path, 1, {n})" for n in SQLITE_SCOPE_LENGTHS
)
# Every token prefixed with the county code (chars 7-12 of the path), then the scope tokens. Only
# built-in immutable functions, so the index needs no function of ours (and builds ~25% faster).
PG_KEYS = (
    "((string_to_array(substr(replace(' ' || tokens, ' ', ' ' || substr(path, 7, 6)), 2), ' ') || ARRAY["
    + ", ".join(f"'s' || left(path, {n})" for n in PG_SCOPE_LENGTHS)
    + ']) COLLATE "C")'
)
# Two partial indexes (halves by primary key), so a bulk load builds them on two cores at once.
PG_HALVES = (("search_doc_keys_a", "id % 4 < 2"), ("search_doc_keys_b", "id % 4 >= 2"))


# --- building documents ------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    id: int
    path: str
    county_code: str
    tokens: str


def resident_doc(resident: Any, id_number: str = "", phone: str = "") -> Doc:
    return Doc(
        resident_doc_id(resident.pk),
        resident.path,
        resident.county_code,
        resident_tokens(resident.name, phone=phone, id_number=id_number),
    )


def household_doc(household: Any, building_name: str, phone: str = "") -> Doc:
    return Doc(
        household_doc_id(household.pk),
        household.path,
        household.county_code,
        household_tokens(
            address=household.address,
            building=building_name,
            unit=household.unit,
            room=household.room,
            phone=phone,
        ),
    )


def _write(docs: Sequence[Doc], remove: Iterable[int] = ()) -> None:
    """Replace these documents (raw SQL: no model signals, the database triggers keep the index)."""
    ids = [d.id for d in docs] + list(remove)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM search_searchdoc WHERE id IN ({placeholders})", chunk)  # noqa: S608
    _insert(docs)


def _insert(docs: Sequence[Doc]) -> None:
    """Add documents that are not in the index yet."""
    if docs:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO search_searchdoc (id, path, county_code, tokens) VALUES (%s, %s, %s, %s)",
                [(d.id, d.path, d.county_code, d.tokens) for d in docs],
            )


def reindex_households(household_ids: Iterable[int]) -> None:
    """Rebuild the documents of these households and their (current and departed) members."""
    from gridgov.registry import pii
    from gridgov.registry.models import Household, Resident

    ids = sorted({int(pk) for pk in household_ids if pk})
    if not ids:
        return
    households = list(Household.objects.filter(pk__in=ids).select_related("building"))
    docs = [
        household_doc(h, h.building.name if h.building_id else "", pii.household_phone_of(h))
        for h in households
    ]
    gone = [household_doc_id(pk) for pk in set(ids) - {h.pk for h in households}]
    members = Resident.objects.filter(
        Q(household_id__in=ids) | Q(household__isnull=True, life_events__from_household_id__in=ids)
    ).distinct()
    docs.extend(resident_doc(r, pii.id_number_of(r), pii.resident_phone_of(r)) for r in members)
    _write(docs, gone)


@dataclass(frozen=True)
class NewHousehold:
    pk: int
    path: str
    county_code: str
    address: str
    building: str
    unit: str
    room: str
    phone: str = ""


@dataclass(frozen=True)
class NewResident:
    pk: int
    path: str
    county_code: str
    name: str
    phone: str = ""
    id_number: str = ""


def index_new_records(households: Iterable[NewHousehold], residents: Iterable[NewResident]) -> int:
    """Index records the caller has just created from clear, validated values (an Excel import):
    the same documents `reindex_households` would build, without reading back and decrypting
    what was just written, and with the tokenizer's caches. Returns the number of documents."""
    tokens = BulkTokenizer()
    docs = [
        Doc(
            household_doc_id(h.pk),
            h.path,
            h.county_code,
            tokens.household(h.address, h.building, h.unit, h.room, h.phone),
        )
        for h in households
    ]
    docs.extend(
        Doc(resident_doc_id(r.pk), r.path, r.county_code, tokens.resident(r.name, r.phone, r.id_number))
        for r in residents
    )
    _insert(docs)
    return len(docs)


def reindex_residents(resident_ids: Iterable[int]) -> None:
    """Rebuild the documents of these residents (for writers that touch a person, not a household)."""
    from gridgov.registry import pii
    from gridgov.registry.models import Resident

    ids = {int(pk) for pk in resident_ids if pk}
    residents = list(Resident.objects.filter(pk__in=ids))
    gone = [resident_doc_id(pk) for pk in ids - {r.pk for r in residents}]
    _write([resident_doc(r, pii.id_number_of(r), pii.resident_phone_of(r)) for r in residents], gone)


def rebuild_all(progress: Callable[[int], None] | None = None, batch: int = 2000) -> int:
    """Rebuild every document from the registry (e.g. after a restore); returns the number written."""
    from gridgov.registry.models import Household, Resident

    written = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM search_searchdoc")
        for model in (Household, Resident):
            pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(pks), batch):
                chunk = pks[start : start + batch]
                if model is Household:
                    reindex_households(chunk)
                else:
                    reindex_residents(chunk)
                written += len(chunk)
                if progress:
                    progress(len(chunk))
        analyze(SearchDoc)
    return written


def retokenize_all(progress: Callable[[int], None] | None = None, batch: int = 5000) -> int:
    """Bring every document to the current tokenizer (after an upgrade changes it): names and
    addresses are tokenized again from the registry, and each document keeps its phone and
    ID-number tokens, which are keyed hashes of values that would otherwise have to be decrypted.
    The full-text index is dropped, the rows updated, the index built once. Returns the number of
    documents rewritten. `gridgov reindex_search` runs it; so does migration 0004."""
    from gridgov.hierarchy.models import Node
    from gridgov.registry.models import Household, Resident

    tokens = BulkTokenizer()
    resident, household, node = Resident._meta.db_table, Household._meta.db_table, Node._meta.db_table
    # Table names from model metadata; every value is a parameter.
    queries = (
        f"SELECT d.id, d.tokens, r.name FROM search_searchdoc d JOIN {resident} r ON r.id = d.id / 2 "  # noqa: S608
        "WHERE d.id %% 2 = 0 AND d.id > %s ORDER BY d.id LIMIT %s",
        f"SELECT d.id, d.tokens, h.address, coalesce(b.name, ''), h.unit, h.room FROM search_searchdoc d "  # noqa: S608
        f"JOIN {household} h ON h.id = (d.id - 1) / 2 LEFT JOIN {node} b ON b.id = h.building_id "
        "WHERE d.id %% 2 = 1 AND d.id > %s ORDER BY d.id LIMIT %s",
    )
    written = 0
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM search_searchdoc LIMIT 1")
        if cursor.fetchone() is None:
            return 0
    with transaction.atomic():
        _suspend_index()
        with connection.cursor() as cursor:
            for query in queries:
                last = 0
                while True:
                    cursor.execute(query, [last, batch])
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    updates = []
                    for doc_id, old, *fields in rows:
                        kept = [t for t in old.split() if t[:2] in ("2t", "2i")]
                        fresh = (
                            tokens.resident(fields[0], "", "")
                            if doc_id % 2 == 0
                            else tokens.household(fields[0], fields[1], fields[2], fields[3], "")
                        )
                        updates.append((" ".join(part for part in (fresh, *kept) if part), doc_id))
                    cursor.executemany("UPDATE search_searchdoc SET tokens = %s WHERE id = %s", updates)
                    last = rows[-1][0]
                    written += len(rows)
                    if progress:
                        progress(len(rows))
        if vendor == "sqlite":
            _resume_index(everything=True)
    if vendor != "sqlite":
        _resume_index(everything=True)
    return written


# --- bulk loading (seeding) --------------------------------------------------------------------


def _suspend_index() -> int:
    """Drop what keeps the full-text index current (SQLite: the triggers; PostgreSQL: the GIN
    indexes). Returns the highest document id present (SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT max(id) FROM search_searchdoc")
            before: int = cursor.fetchone()[0] or 0
            for name in ("search_doc_insert", "search_doc_delete", "search_doc_update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            return before
        for name, _where in PG_HALVES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    return 0


def _resume_index(before: int = 0, extra: Sequence[str] = (), everything: bool = False) -> None:
    """Build the full-text index once for what was loaded (SQLite: documents above `before`, or
    all of them) and restore what keeps it current; run the caller's `extra` CREATE INDEX too."""
    if connection.vendor != "sqlite":
        build_pg_indexes(pg_index_statements() + list(extra))
        return
    with connection.cursor() as cursor:
        keys = SQLITE_KEYS_NEW.replace("new.", "d.")
        if everything:
            cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
            before = 0
        # No incremental merging while loading: one merge ("optimize") at the end is cheaper.
        cursor.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 0)")
        cursor.execute(
            f"INSERT INTO search_fts (rowid, keys) SELECT d.id, {keys} "  # noqa: S608
            "FROM search_searchdoc d WHERE d.id > %s ORDER BY d.id",
            [before],
        )
        for statement in sqlite_triggers():
            cursor.execute(statement)
        cursor.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
        cursor.execute("INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 4)")
        for statement in extra:
            cursor.execute(statement)
    analyze(SearchDoc)


@contextlib.contextmanager
def bulk_loading(rebuild: Iterable[str] = ()) -> Iterator[Callable[[Iterable[Doc]], None]]:
    """Load many documents fast: the index is dropped, the rows inserted, the index rebuilt once.

    Yields a `load(docs)` function; call it inside the caller's transactions. `rebuild`: other
    CREATE INDEX statements (indexes the caller dropped for its own load) to run with ours at the
    end — on PostgreSQL two at a time, on two connections.
    """
    extra = list(rebuild)
    vendor = connection.vendor
    before = _suspend_index()

    def load(docs: Iterable[Doc]) -> None:
        docs = list(docs)
        if vendor == "sqlite" and any(d.id <= before for d in docs):
            # The FTS rows are built at the end for ids above `before` only.
            raise ValueError("bulk_loading loads new documents only (ids above the existing ones)")
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                with cursor.cursor.copy(
                    "COPY search_searchdoc (id, path, county_code, tokens) FROM STDIN"
                ) as copy:
                    for d in docs:
                        copy.write_row((d.id, d.path, d.county_code, d.tokens))
            else:
                cursor.executemany(
                    "INSERT INTO search_searchdoc (id, path, county_code, tokens) VALUES (%s, %s, %s, %s)",
                    [(d.id, d.path, d.county_code, d.tokens) for d in docs],
                )

    try:
        yield load
    finally:
        _resume_index(before, extra)


def sqlite_triggers() -> list[str]:
    """The triggers that keep the FTS table in step with search_searchdoc (as migration 0002)."""
    old_keys = SQLITE_KEYS_NEW.replace("new.", "old.")
    # Built from constants only (no user input anywhere in this module's SQL).
    insert = f"INSERT INTO search_fts (rowid, keys) VALUES (new.id, {SQLITE_KEYS_NEW});"  # noqa: S608
    delete = f"INSERT INTO search_fts (search_fts, rowid, keys) VALUES ('delete', old.id, {old_keys});"  # noqa: S608
    return [
        f"CREATE TRIGGER IF NOT EXISTS search_doc_insert AFTER INSERT ON search_searchdoc BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS search_doc_delete AFTER DELETE ON search_searchdoc BEGIN {delete} END",
        "CREATE TRIGGER IF NOT EXISTS search_doc_update AFTER UPDATE OF path, tokens ON search_searchdoc "
        f"BEGIN {delete} {insert} END",
    ]


def pg_index_statements() -> list[str]:
    return [
        f"CREATE INDEX IF NOT EXISTS {name} ON search_searchdoc USING gin ({PG_KEYS}) "
        f"WITH (fastupdate = off) WHERE {where}"
        for name, where in PG_HALVES
    ]


def build_pg_indexes(statements: list[str], memory: str = "512MB") -> None:
    """Run CREATE INDEX statements on two connections at once, in the order given (longest first:
    a GIN build uses one core, PostgreSQL 15 cannot parallelise it), then ANALYZE."""
    import queue
    import threading

    from django.db import connection, connections

    if connection.in_atomic_block:
        # Other connections would wait on the locks this transaction holds on the table, forever.
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        analyze(SearchDoc)
        return

    todo: queue.Queue[str] = queue.Queue()
    for statement in statements:
        todo.put(statement)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{memory}'")
                while not errors:
                    try:
                        statement = todo.get_nowait()
                    except queue.Empty:
                        return
                    cursor.execute(statement)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    analyze(SearchDoc)


# --- querying ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScopePlan:
    """Where to look: everything, or the subtrees under these paths."""

    everything: bool
    roots: tuple[str, ...]

    def covers(self, path: str) -> bool:
        return self.everything or any(path.startswith(root) for root in self.roots)


def _scope_token(root: str, lengths: Sequence[int]) -> tuple[str, bool]:
    """The scope token for a root and whether it is exact (deeper roots are checked afterwards)."""
    usable = [n for n in lengths if n <= len(root)]
    if not usable:
        return "", False
    n = max(usable)
    return "s" + root[:n], n == len(root)


def _valid(tokens: Iterable[str]) -> bool:
    return all(_TOKEN.match(t) for t in tokens)


def find(alt: Alternative, scope: ScopePlan, limit: int) -> list[int]:
    """Document ids matching one alternative inside the scope, at most `limit`, in index order."""
    any_tokens = tuple(t for t in alt.any_tokens if _TOKEN.match(t))
    if limit <= 0 or not (alt.tokens or any_tokens) or not _valid(alt.tokens):
        return []
    if alt.any_tokens and not any_tokens:
        return []
    if not scope.everything and not scope.roots:
        return []
    if connection.vendor == "postgresql":
        return _find_postgresql(alt, scope, limit)
    return _find_sqlite(alt, scope, limit)


def _find_sqlite(alt: Alternative, scope: ScopePlan, limit: int) -> list[int]:
    terms = [f'"{t}"' for t in alt.tokens]
    if alt.any_tokens:
        terms.append("(" + " OR ".join(f'"{t}"' for t in alt.any_tokens if _TOKEN.match(t)) + ")")
    match = " AND ".join(terms)
    if not scope.everything:
        scopes = sorted({_scope_token(root, SQLITE_SCOPE_LENGTHS)[0] for root in scope.roots} - {""})
        if not scopes:
            return []
        match = f"({match}) AND ({' OR '.join(f'{chr(34)}{s}{chr(34)}' for s in scopes)})"
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s", [match, limit])
        return [row[0] for row in cursor.fetchall()]


_COUNTIES: dict[str, tuple[float, list[str]]] = {}
COUNTY_CACHE_SECONDS = 60.0


def _counties_under(prefix: str) -> list[str]:
    """County codes of the county nodes under a path shorter than a county's (the city).

    Cached for a minute: a city-wide search asks for every alternative of the query, and counties
    are created about once a decade.
    """
    now = time.monotonic()
    cached = _COUNTIES.get(prefix)
    if cached is not None and cached[0] > now:
        return cached[1]
    nodes = Node.objects.filter(level=Level.COUNTY)
    if prefix:
        nodes = nodes.filter(path__under=prefix)
    counties = sorted(set(nodes.values_list("code", flat=True)))
    _COUNTIES[prefix] = (now + COUNTY_CACHE_SECONDS, counties)
    return counties


def _county_groups(scope: ScopePlan) -> list[tuple[str, list[str] | None]]:
    """[(county code, scope tokens inside it or None for the whole county)] in county order."""
    groups: dict[str, list[str] | None] = {}
    roots = ("",) if scope.everything else scope.roots
    for root in roots:
        if len(root) < COUNTY_LENGTH:
            for county in _counties_under(root):
                groups[county] = None
            continue
        county = root[6:COUNTY_LENGTH]
        if len(root) == COUNTY_LENGTH:
            groups[county] = None
            continue
        token, _exact = _scope_token(root, PG_SCOPE_LENGTHS)
        if county in groups and groups[county] is None:
            continue
        groups.setdefault(county, [])
        group = groups[county]
        if group is not None and token not in group:
            group.append(token)
    return sorted(groups.items())


def _find_postgresql(alt: Alternative, scope: ScopePlan, limit: int) -> list[int]:
    found: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        # The planner may guess a sequential scan finds a common token quickly; it does not
        # (every row's keys are computed), so the GIN index is the only path we allow.
        cursor.execute("SET LOCAL enable_seqscan = off")
        any_tokens = [t for t in alt.any_tokens if _TOKEN.match(t)]
        for county, scopes in _county_groups(scope):
            conditions: list[str] = []
            params: list[Any] = []
            if alt.tokens:
                conditions.append(f"{PG_KEYS} @> %s::text[]")
                params.append([county + t for t in alt.tokens])
            if any_tokens:
                conditions.append(f"{PG_KEYS} && %s::text[]")
                params.append([county + t for t in any_tokens])
            if scopes is not None:
                conditions.append(f"{PG_KEYS} && %s::text[]")
                params.append(scopes)
            match = " AND ".join(conditions)
            # One branch per partial index (the planner ORs their bitmaps); built from constants only.
            where = " OR ".join(f"({half.replace('%', '%%')} AND {match})" for _name, half in PG_HALVES)
            cursor.execute(
                f"SELECT id FROM search_searchdoc WHERE {where} LIMIT %s",  # noqa: S608
                [*params * len(PG_HALVES), limit - len(found)],
            )
            found.extend(row[0] for row in cursor.fetchall())
            if len(found) >= limit:
                break
    return found
