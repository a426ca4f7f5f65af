"""Care benchmark: the due list of one grid worker (see docs/performance.md, "Household visits").

The due list is what the worker's phone and 我的今天 read: the care schedules of his grid due
within seven days, overdue first, with each resident and household. It is one range of the
(grid, next_due) index per grid, so its cost follows the size of one grid, not of the city.

It measures, in process, 300 times each after a warm-up:

- `fast`: `care.selectors.due_visits(user)` evaluated with its residents and households (the
  path the API and the pages call), and `GET /api/v1/care/due` through Django's test client with
  the worker's bearer token (authentication, scope, JSON);
- `naive`: the same list computed the way code written without the schedule table would do it:
  every tagged resident of the grid read with their household, each one's last visit read with
  its own query, the rule intervals applied in Python.

The two lists are compared and must hold the same residents. The plan of the fast query is
printed (SQLite's EXPLAIN QUERY PLAN or PostgreSQL's EXPLAIN).

    .venv/bin/python bench/care.py --json                      # a temporary SQLite with the demo city
    DATABASE_URL=sqlite:////tmp/city.sqlite3 .venv/bin/python bench/care.py --use-current --json

Target: p95 ≤ 20 ms for one worker on the city seed.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

RUNS = 300


def _prepare(use_current: bool) -> str:
    if use_current:
        return os.environ.get("DATABASE_URL", "")
    folder = tempfile.mkdtemp(prefix="gridgov-care-bench-")
    url = f"sqlite:///{folder}/demo.sqlite3"
    os.environ["DATABASE_URL"] = url
    return url


def _timed(fn: Any, runs: int = RUNS) -> dict[str, float]:
    for _ in range(10):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--use-current", action="store_true", help="use DATABASE_URL as seeded")
    parser.add_argument("--worker", default="gaobo", help="the grid worker (username)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = _prepare(args.use_current)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.accounts.services import issue_token
    from gridgov.care import schedules, selectors
    from gridgov.care.models import CareSchedule, HomeVisit
    from gridgov.core.context import acting_as
    from gridgov.core.seeding import run_seed
    from gridgov.registry.models import Resident
    from gridgov.registry.rules import ACTIVE_STATUSES

    result: dict[str, Any] = {"database": url.split(":", 1)[0]}
    with acting_as(None, channel="command", username="system:bench"):
        if not args.use_current:
            call_command("migrate", verbosity=0)
            started = time.perf_counter()
            run_seed("demo", quiet=True)
            result["seed_s"] = round(time.perf_counter() - started, 1)
            result["note"] = "temporary SQLite with the demo city (not the city seed)"
        user = User.objects.get(username=args.worker)
        grid_ids = selectors.own_grid_ids(user)
        today = timezone.localdate()
        result["schedules_in_table"] = CareSchedule.objects.count()
        result["visits_in_table"] = HomeVisit.objects.count()

        def fast() -> list[Any]:
            return list(selectors.due_visits(user, today=today))

        def naive() -> list[int]:
            rules = schedules.active_rules()
            due = []
            horizon = today + timedelta(days=selectors.DUE_HORIZON_DAYS)
            for r in (
                Resident.objects.restrict(user)
                .filter(household__grid_id__in=grid_ids, status__in=ACTIVE_STATUSES)
                .select_related("household")
            ):
                plan = schedules.plan_for(r.care_tags or [], rules)
                if plan is None:
                    continue
                last = (
                    HomeVisit.objects.filter(resident=r)
                    .order_by("-visited_at")
                    .values_list("visited_at", flat=True)
                    .first()
                )
                next_due = schedules.next_due(last, plan.interval_days, today)
                if next_due <= horizon:
                    due.append((next_due, r.pk))
            return [pk for _, pk in sorted(due)]

        _token, raw = issue_token(user, "bench")
        client = Client(headers={"Authorization": f"Bearer {raw}"})

        def api() -> None:
            answer = client.get("/api/v1/care/due")
            assert answer.status_code == 200, answer.content

        fast_ids = {s.resident_id for s in fast()}
        naive_ids = set(naive())
        result["due_list_size"] = len(fast_ids)
        result["same_residents"] = fast_ids == naive_ids
        result["grid_residents_tagged"] = CareSchedule.objects.filter(grid_id__in=grid_ids).count()

        def select_one() -> None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        # What one trivial query costs on this machine now (a loaded machine shows here).
        result["select_1"] = _timed(select_one)
        result["fast_selector"] = _timed(fast)
        result["fast_api"] = _timed(api)
        result["naive"] = _timed(naive, runs=60)
        sql, params = selectors.due_visits(user, today=today).query.sql_with_params()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN " + sql, params)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            result["plan"] = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    result["vendor"] = connection.vendor
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else result)


if __name__ == "__main__":
    main()
