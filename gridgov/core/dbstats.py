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

# SQLite's ANALYZE reads every index in full: exact, and fast (0.06 s of CPU for a 105,000-row
# resident table with its seven indexes), but it grows with the table. Tables up to
# SQLITE_FULL_ROWS rows get that; larger ones (the city's 3.5 million residents, 5 million
# search documents) a sample of SQLITE_ANALYSIS_LIMIT entries per index (`PRAGMA
# analysis_limit`), so a small import into a city-sized database does not pay for a full scan.
SQLITE_FULL_ROWS = 1_000_000
SQLITE_ANALYSIS_LIMIT = 100_000


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
