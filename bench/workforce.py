"""Workforce benchmark: the annual promotion run and the pay budget for all 5,880 full-time grid
workers with three years of history (see docs/performance.md, "Workforce").

On a database seeded with `gridgov seed --scale city` it runs as is. Without `--use-current`, it
builds a temporary SQLite database holding the city-scale steps the workforce reads — the
hierarchy (5,880 grids), the grid staff, and the workforce seed itself (worker files, grade
history, three years of approved assessments, pay tables and rates) — through the same seed
functions, skipping the registry, events and the rest (hours of seeding that this path never
reads).

It measures, in process:

- `fast`: per county, `runs.preview_run` (the county's history read in four queries, every
  worker's decision, lines and their audit rows written in bulk), `runs.approve_run` (the same
  read again to check nothing changed, grades and grade history written in bulk), and
  `budget.county_budget` (headcount by grade, one GROUP BY) — the paths the pages and the API call;
- `naive`: the same outcomes worker by worker (each worker's results, last promotion and pay
  read with their own queries), as code written without thinking of scale would do; the budget
  figures of both ways are compared and must agree.

    .venv/bin/python bench/workforce.py --json
    DATABASE_URL=sqlite:////tmp/city.sqlite3 .venv/bin/python bench/workforce.py --use-current --json

Target: promotion run (preview + approval) and budget for the whole city ≤ 5 s.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")


def _prepare(use_current: bool) -> str:
    if use_current:
        return os.environ.get("DATABASE_URL", "")
    folder = tempfile.mkdtemp(prefix="gridgov-workforce-bench-")
    url = f"sqlite:///{folder}/city.sqlite3"
    os.environ["DATABASE_URL"] = url
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-current", action="store_true", help="use DATABASE_URL as seeded (city scale)")
    parser.add_argument("--year", type=int, default=2025, help="assessment year of the run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = _prepare(args.use_current)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gridgov.core.context import acting_as

    result: dict[str, Any] = {"database": url.split(":", 1)[0], "assessment_year": args.year}
    with acting_as(None, channel="command", username="system:bench"):
        if not args.use_current:
            call_command("migrate", verbosity=0)
            started = time.perf_counter()
            _seed_city_workforce()
            result["seed_s"] = round(time.perf_counter() - started, 1)
            result["note"] = "temporary SQLite: city-scale hierarchy, grid staff and workforce seeds only"
        result.update(_measure(args.year))
    result["vendor"] = connection.vendor
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


def _seed_city_workforce() -> None:
    import random

    from rich.console import Console

    from gridgov.core.seeding import SeedContext, seed_steps

    ctx = SeedContext(scale="city", rng=random.Random(2024), console=Console(stderr=True), quiet=True)
    steps = dict(seed_steps())
    for label in ("hierarchy", "accounts", "workforce"):
        steps[label](ctx)


def _measure(year: int) -> dict[str, Any]:
    from django.db import transaction

    from gridgov.accounts.models import User
    from gridgov.hierarchy.models import Level, Node
    from gridgov.workforce import budget, runs
    from gridgov.workforce.models import PromotionRun, WorkerFile, WorkerStatus

    admin = User.objects.filter(is_superuser=True).first() or User.objects.get(username="city_admin")
    counties = list(Node.objects.filter(level=Level.COUNTY).order_by("path"))
    workers = WorkerFile.objects.filter(status=WorkerStatus.ACTIVE).count()
    figures: dict[str, Any] = {"workers": workers, "counties": len(counties)}

    # The naive way first (it only reads), then the real path, each inside a transaction that is
    # rolled back so the database is left as it was.
    started, cpu_started = time.perf_counter(), time.process_time()
    naive_outcomes, naive_budget = _naive(counties, year)
    figures["naive_s"] = round(time.perf_counter() - started, 2)
    figures["naive_cpu_s"] = round(time.process_time() - cpu_started, 2)

    with transaction.atomic():
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        made = [runs.preview_run(user=admin, county=county, assessment_year=year) for county in counties]
        t1 = time.perf_counter()
        for run in made:
            runs.approve_run(user=admin, run=run, version=run.version)
        t2 = time.perf_counter()
        budgets = {c.county_code: budget.county_budget(c.county_code, year + 1) for c in counties}
        t3 = time.perf_counter()
        cpu = time.process_time() - cpu0
        promoted = sum(
            r.promoted_one + r.promoted_two for r in PromotionRun.objects.filter(pk__in=[r.pk for r in made])
        )
        transaction.set_rollback(True)

    figures.update(
        {
            "preview_s": round(t1 - t0, 2),
            "approve_s": round(t2 - t1, 2),
            "budget_s": round(t3 - t2, 3),
            "fast_s": round(t3 - t0, 2),
            "fast_cpu_s": round(cpu, 2),
            "promoted": promoted,
            "naive_promoted": sum(1 for step in naive_outcomes.values() if step),
            "budget_total": str(sum((b.annual_total for b in budgets.values()), Decimal(0))),
            "naive_budget_total": str(naive_budget),
        }
    )
    figures["ok"] = figures["fast_s"] <= 5 and figures["budget_total"] == figures["naive_budget_total"]
    figures["same_outcomes"] = figures["promoted"] == figures["naive_promoted"]
    return figures


def _naive(counties: list[Any], year: int) -> tuple[dict[int, int], Decimal]:
    """Worker by worker: each worker's results, last promotion, pay and rates read on their own.
    The grades are those before the run (the real path's budget runs after approval, on the
    promoted grades), so the budget is compared on the promoted grades computed here."""
    from gridgov.assessment.models import Assessment, Status
    from gridgov.workforce.models import (
        ContributionRates,
        GradeChange,
        GradeChangeKind,
        PayScale,
        WorkerFile,
        WorkerStatus,
    )
    from gridgov.workforce.rules import decide

    steps: dict[int, int] = {}
    total = Decimal(0)
    for county in counties:
        for worker in WorkerFile.objects.filter(county_code=county.county_code, status=WorkerStatus.ACTIVE):
            rows = Assessment.objects.filter(worker=worker, year__gte=year - 3, year__lte=year)
            results = {a.year: a.result for a in rows if a.status == Status.APPROVED and a.result}
            open_now = any(a.status != Status.APPROVED and a.year == year for a in rows)
            last = (
                GradeChange.objects.filter(worker=worker, kind=GradeChangeKind.PROMOTION)
                .order_by("-year")
                .first()
            )
            grade = worker.grade
            if not open_now:
                decision = decide(grade, results, year, last.year - 1 if last else None)
                steps[worker.pk] = decision.step
                grade = decision.grade_after
            pay = PayScale.objects.get(county_code=worker.county_code, year=year + 1, grade=grade).monthly_pay
            rates = ContributionRates.objects.get(county_code=worker.county_code, year=year + 1)
            base = min(max(pay, rates.base_floor), rates.base_ceiling)
            monthly = sum(
                (
                    (base * getattr(rates, f"{item}_rate")).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    for item in ("pension", "medical", "unemployment", "injury", "housing_fund")
                ),
                Decimal(0),
            )
            total += (pay + monthly) * 12
    return steps, total


if __name__ == "__main__":
    main()
