"""The seed pipeline: each app may have a `seed` module with `seed(ctx: SeedContext)`.

`gridgov seed` runs them in INSTALLED_APPS order (hierarchy, then accounts, registry, events, …),
so each app adds its own data to the same city without a central list to edit.
"""

import importlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
    return ctx
