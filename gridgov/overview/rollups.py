"""Keeping the rollups: built whole by the seed (and `gridgov overview rebuild`), kept current by
the worker from the audit log, and summed up the tree at read time (selectors.py).

Every write of the data the figures count is in the audit log with its place (RULES of the
project), so the worker finds what changed without a hook in each writer: the audit rows after
its watermark name the paths whose grids to count again. A grid's figures are recounted whole
from the raw tables (a grid has a few hundred events a year), so a refresh cannot drift. Stock
figures that move with the calendar (follow-ups due today) are recounted once a day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from gridgov.core.seeding import insert_rows
from gridgov.hierarchy import paths
from gridgov.overview.figures import FIGURES, FLOW, GRID_END, STOCK, Row, Source, sources
from gridgov.overview.models import STOCK_DAY, Grain, Rollup, RollupState

# Audit rows of these object types change what the figures count (label prefixes). A new app
# whose rows feed a figure adds its label here.
WATCHED = (
    "events.",
    "disputes.",
    "registry.household",
    "registry.resident",
    "accounts.roleassignment",
    "hierarchy.node",
    "patrols.",
    "care.",
    "tasks.",
    "screening.",
)
WRITE_ACTIONS = ("create", "update", "delete", "move", "import", "transition")
# Recount at most this many subtrees in one query (an OR of path ranges).
CHUNK = 40
# More changed subtrees than this in one pass: recount everything instead.
FULL_REBUILD_ABOVE = 2000


def _kind_of(source: Source) -> str:
    kinds = {f.kind for f in FIGURES if f.source is source}
    return STOCK if kinds == {STOCK} else FLOW


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _table_rows(rows: Iterable[Row]) -> list[tuple[str, str, str, datetime.date, str, int]]:
    """Rollup rows (path, county, grain, day, figure, value): day rows and their months for flows."""
    days: dict[tuple[str, str, datetime.date, str], int] = {}
    months: dict[tuple[str, str, datetime.date, str], int] = {}
    stocks: dict[tuple[str, str, str], int] = {}
    for grid, county, day, figure, value in rows:
        if day is None:
            stocks[(grid, county, figure)] = stocks.get((grid, county, figure), 0) + value
            continue
        days[(grid, county, day, figure)] = days.get((grid, county, day, figure), 0) + value
        slot = (grid, county, _month(day), figure)
        months[slot] = months.get(slot, 0) + value
    out = [(g, c, Grain.DAY.value, d, f, v) for (g, c, d, f), v in days.items()]
    out += [(g, c, Grain.MONTH.value, d, f, v) for (g, c, d, f), v in months.items()]
    out += [(g, c, Grain.STOCK.value, STOCK_DAY, f, v) for (g, c, f), v in stocks.items()]
    return out


def _delete(prefixes: list[str] | None, grains: tuple[str, ...]) -> None:
    table = connection.ops.quote_name(Rollup._meta.db_table)
    marks = ", ".join(["%s"] * len(grains))
    with connection.cursor() as cursor:
        if prefixes is None:
            cursor.execute(f"DELETE FROM {table} WHERE grain IN ({marks})", list(grains))  # noqa: S608
            return
        # A digits-only prefix, matched as the path index reads it (GLOB on SQLite: see core.lookups).
        operator, wildcard = ("GLOB", "*") if connection.vendor == "sqlite" else ("LIKE", "%")
        for prefix in prefixes:
            if not prefix.isdigit():
                raise ValueError(f"not a hierarchy path: {prefix!r}")
            cursor.execute(
                f"DELETE FROM {table} WHERE path {operator} %s AND grain IN ({marks})",  # noqa: S608
                [prefix + wildcard, *grains],
            )


def _insert(rows: list[tuple[str, str, str, datetime.date, str, int]]) -> int:
    return insert_rows(
        Rollup,
        ["path", "county_code", "grain", "day", "figure", "value"],
        ([g, c, grain, day, f, v] for g, c, grain, day, f, v in rows),
    )


def recount(prefixes: list[str] | None, *, stock_only: bool = False) -> int:
    """Count every figure again for the grids under `prefixes` (None: the whole city) and
    replace their rollup rows; returns the rows written."""
    chosen = [s for s in sources() if not stock_only or _kind_of(s) == STOCK]
    grains = (Grain.STOCK.value,) if stock_only else (Grain.DAY.value, Grain.MONTH.value, Grain.STOCK.value)
    written = 0
    chunks: list[list[str] | None] = (
        [None] if prefixes is None else [prefixes[i : i + CHUNK] for i in range(0, len(prefixes), CHUNK)]
    )
    for chunk in chunks:
        rows: list[Row] = []
        for source in chosen:
            rows.extend(source(chunk))
        with transaction.atomic():
            _delete(chunk, grains)
            written += _insert(_table_rows(rows))
    return written


def _state() -> RollupState:
    state = RollupState.objects.order_by("pk").first()
    if state is None:
        state = RollupState.objects.create()
    return state


def _audit_head() -> int:
    from gridgov.audit.models import ChainHead

    head = ChainHead.objects.values_list("seq", flat=True).first()
    return int(head or 0)


def rebuild() -> int:
    """Count everything again (the seed, `gridgov overview rebuild`): the watermark moves to the
    audit log's head as it was before counting, so nothing written meanwhile is missed."""
    from gridgov.audit.models import Action
    from gridgov.audit.services import record

    head = _audit_head()
    written = recount(None)
    now = timezone.now()
    RollupState.objects.filter(pk=_state().pk).update(
        audit_seq=head, stock_day=timezone.localdate(), rebuilt_at=now, refreshed_at=now
    )
    record(Action.COMMAND, object_type="overview.rollup", message=f"overview rollups rebuilt: {written} rows")
    return written


@dataclass
class CatchUp:
    audit_rows: int = 0
    subtrees: list[str] = field(default_factory=list)
    stocks_recounted: bool = False
    full: bool = False
    rows_written: int = 0

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "rollup_subtrees": len(self.subtrees),
            "rollup_rows": self.rows_written,
            "rollup_stocks_recounted": self.stocks_recounted,
            "rollup_full": self.full,
        }


def changed_subtrees(after_seq: int, head: int) -> tuple[list[str], bool, int]:
    """The subtrees whose figures the audit rows in (after_seq, head] may have changed, whether a
    whole recount is needed (a node moved), and how many rows were read."""
    from gridgov.audit.models import AuditEntry

    found: set[str] = set()
    full = False
    count = 0
    rows = (
        AuditEntry.objects.filter(seq__gt=after_seq, seq__lte=head, action__in=WRITE_ACTIONS)
        .values_list("object_type", "action", "path")
        .order_by()
    )
    for object_type, action, path in rows.iterator(chunk_size=2000):
        count += 1
        if not object_type.startswith(WATCHED) or not path or not path.isdigit():
            continue
        if object_type == "hierarchy.node" and action == "move":
            full = True
        # Above a grid, only an import's summary row names a subtree that changed: other rows
        # there are an area's own (a name, a boundary) or have no place (the city's code: a
        # timeline step, a seed's summary), and the row of the record they belong to names it.
        if len(path) < GRID_END and (action != "import" or len(path) <= paths.PATH_END["city"]):
            continue
        found.add(path[:GRID_END])
    return list(paths.minimal(found)), full, count


def catch_up(now: datetime.datetime | None = None) -> CatchUp:
    """One pass of the worker: recount what changed since the last pass, and the stocks once a day."""
    now = now or timezone.now()
    result = CatchUp()
    state = _state()
    head = _audit_head()
    if head > state.audit_seq:
        subtrees, full, result.audit_rows = changed_subtrees(state.audit_seq, head)
        if full or len(subtrees) > FULL_REBUILD_ABOVE:
            result.full = True
            result.rows_written += recount(None)
        elif subtrees:
            result.subtrees = subtrees
            result.rows_written += recount(subtrees)
    today = timezone.localtime(now).date()
    if state.stock_day != today and not result.full:
        result.rows_written += recount(None, stock_only=True)
        result.stocks_recounted = True
    RollupState.objects.filter(pk=state.pk).update(
        audit_seq=max(head, state.audit_seq), stock_day=today, refreshed_at=now
    )
    return result
