"""The seed pipeline: each app may have a `seed` module with `seed(ctx: SeedContext)`.

`gridgov seed` runs them in INSTALLED_APPS order (hierarchy, then accounts, registry, events, …),
so each app adds its own data to the same city without a central list to edit.
"""

import importlib
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from django.apps import apps
from django.db import connection, models
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gridgov.core.dbstats import analyze

T = TypeVar("T")

SCALES = ("demo", "city")
DEMO_PASSWORD = "Gridgov#2026"


@dataclass
class SeedContext:
    scale: str
    rng: random.Random
    console: Console
    quiet: bool = False
    # Shared between steps: e.g. "city" (Node), "grids" (list[Node]), "users" (dict[str, User]).
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def is_city(self) -> bool:
        return self.scale == "city"

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        """Iterate with a progress bar (quiet in tests)."""
        if self.quiet:
            yield from items
            return
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=self.console, transient=False) as progress:
            task = progress.add_task(description, total=total if total is not None else len(items))  # type: ignore[arg-type]
            for item in items:
                yield item
                progress.advance(task)

    def say(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], batch_size: int = 5000
) -> int:
    """INSERT rows straight into a model's table: for seeding hundreds of thousands of rows.

    `bulk_create` spends most of its time building model instances and converting each value;
    here values must already be what the database takes (str, int, float, bool, None; datetimes
    and JSON through `db_value`). No signals run, so the caller writes one audit summary row.
    Returns the number of rows inserted.
    """
    quote = connection.ops.quote_name
    names = [cast("models.Field[Any, Any]", model._meta.get_field(name)).column for name in columns]
    # Table and column names come from the model; values are bound parameters.
    table, column_list, placeholders = (
        quote(model._meta.db_table),
        ", ".join(quote(n) for n in names),
        ", ".join(["%s"] * len(names)),
    )
    sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    total = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is several times faster than INSERT on PostgreSQL.
            copy_sql = f"COPY {table} ({column_list}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in iterator:
                    copy.write_row(row)
                    total += 1
            return total
        while batch := list(itertools.islice(iterator, batch_size)):
            cursor.executemany(sql, batch)
            total += len(batch)
    return total


def secondary_indexes(model: type[models.Model]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of a table's indexes that no constraint depends on: what a bulk
    load may drop and build again from its own definition afterwards."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        return [(name, sql) for name, sql in cursor.fetchall()]


def db_value(model: type[models.Model], field_name: str, value: Any) -> Any:
    """A value as its field hands it to the database (a datetime, a JSON document, …)."""
    return cast("models.Field[Any, Any]", model._meta.get_field(field_name)).get_db_prep_save(
        value, connection
    )


def seed_steps() -> list[tuple[str, Any]]:
    steps = []
    for config in apps.get_app_configs():
        if not config.name.startswith("gridgov."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.seed")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.seed":
                raise
            continue
        steps.append((config.label, module.seed))
    return steps


def run_seed(scale: str, *, seed: int = 2024, quiet: bool = False) -> SeedContext:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    ctx = SeedContext(scale=scale, rng=random.Random(seed), console=Console(stderr=True), quiet=quiet)
    for _label, step in seed_steps():
        step(ctx)
    # The steps analyze the big tables they load; this covers every table any step wrote, so a
    # freshly seeded database is in the state it stays in (and benchmarks measure that state).
    analyze(seeded_models())
    return ctx


def seeded_models() -> list[type[models.Model]]:
    """The tables of gridgov's own apps (every table a seed step may write)."""
    return [
        model
        for config in apps.get_app_configs()
        if config.name.startswith("gridgov.")
        for model in config.get_models()
        if model._meta.managed and not model._meta.proxy
    ]
