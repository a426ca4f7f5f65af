"""Planner statistics after a bulk write: every bulk path calls `analyze` before it returns.

A table filled by COPY or a batch of INSERTs has no statistics until autovacuum gets to it (on
PostgreSQL) or until someone runs ANALYZE (SQLite never does by itself). Meanwhile the planner
guesses: right after the city seed on PostgreSQL, a page loading households combined the
`status` index with the `household_id` index and took over a second per query. So whatever
writes rows in bulk (the seed, the Excel import, the event and search-index loads) refreshes the
statistics of the tables it wrote, and the user finds the database as fast as it will stay.
"""

from collections.abc import Iterable

from django.db import connection, models

# SQLite's ANALYZE reads whole indexes: exact, but minutes on the city's 3.5 million residents.
# Tables up to SQLITE_FULL_ROWS rows get that; larger ones a sample of SQLITE_ANALYSIS_LIMIT
# entries per index (`PRAGMA analysis_limit`), which keeps a small import after the city seed
# from paying seconds for statistics whose rough size is all the planner needs.
SQLITE_FULL_ROWS = 100_000
SQLITE_ANALYSIS_LIMIT = 20_000


def _table(item: type[models.Model] | str) -> str:
    return item if isinstance(item, str) else item._meta.db_table


def analyze(*tables: type[models.Model] | str | Iterable[type[models.Model] | str]) -> None:
    """ANALYZE these tables (models or table names) on the default connection.

    PostgreSQL: `ANALYZE <table>` for each (it samples; allowed inside a transaction, where it
    counts the transaction's own new rows). SQLite: `ANALYZE <table>`, exact for tables up to
    SQLITE_FULL_ROWS rows, sampled above.
    """
    names: list[str] = []
    for item in tables:
        if isinstance(item, (str, type)):
            names.append(_table(item))
        else:
            names.extend(_table(each) for each in item)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for name in dict.fromkeys(names):
            if connection.vendor == "sqlite":
                # max(rowid) is one step down the table's b-tree: a cheap upper bound of its size.
                cursor.execute(f"SELECT max(rowid) FROM {quote(name)}")  # noqa: S608 (a model's table)
                rows = cursor.fetchone()[0] or 0
                limit = 0 if rows <= SQLITE_FULL_ROWS else SQLITE_ANALYSIS_LIMIT
                cursor.execute(f"PRAGMA analysis_limit = {limit}")
            cursor.execute(f"ANALYZE {quote(name)}")
