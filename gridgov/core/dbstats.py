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

# SQLite: how many rows of each index ANALYZE looks at. Without a limit ANALYZE reads whole
# tables (minutes on the city's 3.5 million residents); a sample gives the planner the same
# choices, in milliseconds.
SQLITE_ANALYSIS_LIMIT = 2000


def _table(item: type[models.Model] | str) -> str:
    return item if isinstance(item, str) else item._meta.db_table


def analyze(*tables: type[models.Model] | str | Iterable[type[models.Model] | str]) -> None:
    """ANALYZE these tables (models or table names) on the default connection.

    PostgreSQL: `ANALYZE <table>` for each (it samples; allowed inside a transaction, where it
    counts the transaction's own new rows). SQLite: `ANALYZE <table>` under an analysis limit,
    then `PRAGMA optimize` for whatever else has drifted.
    """
    names: list[str] = []
    for item in tables:
        if isinstance(item, (str, type)):
            names.append(_table(item))
        else:
            names.extend(_table(each) for each in item)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        for name in dict.fromkeys(names):
            cursor.execute(f"ANALYZE {quote(name)}")
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
