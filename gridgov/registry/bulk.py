"""Fast multi-row inserts for imports, on SQLite and PostgreSQL.

`bulk_create` spends most of a 100,000-row import preparing values through the ORM's compiler
(and SQLite's 999-parameter limit cuts it into ~1,700 statements). Here plain tuples go in with
one prepared INSERT under `executemany` (SQLite) or COPY (PostgreSQL), and ids are reserved up
front so rows can point at each other (foreign keys are DEFERRABLE INITIALLY DEFERRED on both
databases, checked at commit).

Like bulk_create, this bypasses model signals: callers write their own audit summary row.
Must run inside a transaction (on SQLite, the write lock taken by BEGIN IMMEDIATE keeps the
reserved ids free).
"""

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models, transaction

BATCH = 5000


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys nobody else will use."""
    if count <= 0:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_ids must run inside a transaction")
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608 (a model's table name)
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a Python value becomes a database value for this field (None: as it is).

    Memoised: an import repeats the same timestamp, dates and tag lists on every row, and the
    field's own preparation (timezone handling, JSON encoding) was most of the insert time.
    """
    if not isinstance(field, (models.DateTimeField, models.DateField, models.JSONField)):
        return None
    memo: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        key = tuple(value) if isinstance(value, list) else value
        try:
            return memo[key]
        except KeyError:
            pass
        except TypeError:  # unhashable (e.g. a dict): no memo
            return field.get_db_prep_save(value, connection)
        if len(memo) > 50_000:
            memo.clear()
        memo[key] = prepared = field.get_db_prep_save(value, connection)
        return prepared

    return convert


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT plain value tuples (in `fields` order: model field names, FKs as `<name>_id`)."""
    opts = model._meta
    columns: list[models.Field[Any, Any]] = []
    for name in fields:
        field = opts.get_field(name)  # get_field knows attnames such as household_id
        if not isinstance(field, models.Field):
            raise ValueError(f"{name} is not a concrete field of {opts.label}")
        columns.append(field)
    converters = [(i, c) for i, c in enumerate(_converter(f) for f in columns) if c is not None]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(str(f.column)) for f in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    iterator = iter(rows)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: several times faster than INSERTs on PostgreSQL, constraints still checked.
            names = ", ".join(quote(str(f.column)) for f in columns)
            with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({names}) FROM STDIN") as copy:
                for row in iterator:
                    values = list(row)
                    for index, convert in converters:
                        values[index] = convert(values[index])
                    copy.write_row(values)
                    written += 1
            return written
        while batch := [list(row) for row in islice(iterator, BATCH)]:
            for values in batch:
                for index, convert in converters:
                    values[index] = convert(values[index])
            cursor.executemany(sql, batch)
            written += len(batch)
    return written
