"""Every bulk path leaves planner statistics that reflect what it wrote (gridgov.core.dbstats)."""

import io

import pytest
from django.db import connection

from gridgov.core import dbstats
from gridgov.core.dbstats import analyze
from gridgov.core.seeding import seeded_models
from gridgov.registry import importing
from gridgov.registry.models import Household, Resident
from tests.registry import sheetfiles
from tests.registry.conftest import make_id

HEADER = ["楼号", "单元", "户号", "姓名", "身份证号", "与户主关系"]
# Both read every row of a table as small as the demo city's.
TOLERANCE = 0


def _row_count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def _planner_rows(table: str) -> int:
    """What the planner believes the table holds, from the statistics ANALYZE left."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            return int(cursor.fetchone()[0])
        # sqlite_stat1: one row per index, "rows-in-index rows-per-key…"; the largest is the table's.
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return max((int(stat.split()[0]) for (stat,) in cursor.fetchall()), default=0)


def _has_column_statistics(table: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = %s", [table])
        else:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db
def test_the_seed_leaves_every_table_it_wrote_analyzed():
    """The test database is the demo seed (tests/conftest.py), as a user gets it.

    Column statistics are transactional, so other tests' rolled-back writes leave the seed's in
    place; PostgreSQL's pg_class.reltuples is not (an ANALYZE inside a test's rolled-back
    transaction keeps its count), hence the margin on the row counts.
    """
    tables = ["registry_household", "registry_resident", "hierarchy_node", "events_event", "search_searchdoc"]
    assert set(tables) <= {m._meta.db_table for m in seeded_models()}
    for table in tables:
        assert _row_count(table) > 0
        assert _has_column_statistics(table), table
        assert _planner_rows(table) == pytest.approx(_row_count(table), rel=0.25), table


@pytest.mark.django_db
def test_an_import_analyzes_the_tables_it_wrote(user, node):
    table = Resident._meta.db_table
    before = _row_count(table)
    rows = [
        [
            4,
            6,
            600 + n,
            "导入"
            + "甲乙丙丁戊己庚辛壬癸"[n % 10]
            + "子丑寅卯辰巳午未申酉"[n // 10 % 10]
            + "一二三四五"[n // 100],
            make_id("19800101"),
            "户主",
        ]
        for n in range(500)
    ]
    report = importing.import_file(
        io.BytesIO(sheetfiles.xlsx(rows, HEADER)),
        grid=node("惠民社区第一网格"),
        user=user("gaobo"),
        commit=True,
        name="x.xlsx",
    )
    assert report.committed, report.errors
    assert _row_count(table) == before + 500
    # Without ANALYZE the planner would still believe the old count.
    assert _planner_rows(table) == pytest.approx(before + 500, rel=TOLERANCE)
    assert _planner_rows(table) > before + 250
    households = Household._meta.db_table
    assert _planner_rows(households) == pytest.approx(_row_count(households), rel=TOLERANCE)


@pytest.mark.django_db
def test_analyze_takes_models_names_and_lists():
    analyze(Household, "registry_resident", [Household, Resident])
    assert _has_column_statistics("registry_resident")


@pytest.mark.django_db
def test_sqlite_samples_large_tables(monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's analysis limit")
    monkeypatch.setattr(dbstats, "SQLITE_FULL_ROWS", 10)
    analyze(Resident)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit")
        assert cursor.fetchone()[0] == dbstats.SQLITE_ANALYSIS_LIMIT
    monkeypatch.setattr(dbstats, "SQLITE_FULL_ROWS", 10**9)
    analyze(Resident)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit")
        assert cursor.fetchone()[0] == 0
