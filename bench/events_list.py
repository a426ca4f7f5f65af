"""Event-list benchmark on city-scale data (see docs/performance.md, "Event list").

The list every official opens: filtered by state and category, overdue first, then the nearest
deadline, paged (20 a page), at city scope (city_admin) and county scope (saihan_admin, 赛罕区).
It measures, in process against the configured database:

- `selector`: `gridgov.events.selectors.list_event_rows` — the scoped, filtered, ordered query
  and the page's rows (what the API's list calls; the list page calls `list_events`, the same
  query with model instances);
- `api`: `GET /api/v1/events?state=…&category=…&limit=20&offset=…` through Django's full request
  path (session auth, scope, serialisation) with the test client, no network.

    DATABASE_URL=sqlite:////tmp/city.sqlite3 gridgov migrate
    DATABASE_URL=sqlite:////tmp/city.sqlite3 gridgov seed --scale city      # one million events
    DATABASE_URL=sqlite:////tmp/city.sqlite3 .venv/bin/python bench/events_list.py --json

`--explain` prints the query plans (they must walk the list indexes, not sort the table).
Target: p95 ≤ 50 ms for each scope.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from gridgov.accounts.models import User  # noqa: E402
from gridgov.events import selectors  # noqa: E402
from gridgov.events.models import Category, Event  # noqa: E402

SCOPES = {"city": "city_admin", "county": "saihan_admin"}
STATES = [
    "reported",
    "accepted",
    "dispatched",
    "acknowledged",
    "in_progress",
    "suspended",
    "handled",
    "reopened",
    "closed",
    "open",
]
OFFSETS = [0, 0, 0, 20, 40, 100]
PAGE = 20


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "max_ms": round(max(samples), 2),
    }


def cases(rng: random.Random, codes: list[str], count: int) -> list[tuple[str, str, int]]:
    return [(rng.choice(STATES), rng.choice(codes), rng.choice(OFFSETS)) for _ in range(count)]


def bench_selector(user: Any, work: list[tuple[str, str, int]]) -> list[float]:
    samples = []
    for state, category, offset in work:
        started = time.perf_counter()
        page = selectors.list_event_rows(
            user, selectors.EventFilter(state=state, category=category), limit=PAGE + 1, offset=offset
        )
        samples.append((time.perf_counter() - started) * 1000)
        assert len(page) <= PAGE + 1
    return samples


def bench_api(user: Any, work: list[tuple[str, str, int]]) -> list[float]:
    client = Client()
    client.force_login(user)
    samples = []
    for state, category, offset in work:
        started = time.perf_counter()
        response = client.get(
            "/api/v1/events", {"state": state, "category": category, "limit": PAGE, "offset": offset}
        )
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
    return samples


def explain(user: Any, state: str, category: str) -> str:
    queryset = selectors.ordered(
        selectors.filter_events(
            Event.objects.restrict(user), selectors.EventFilter(state=state, category=category), user
        )
    )
    return queryset[:PAGE].explain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=300, help="queries per scope and layer")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    total = Event.objects.count()
    codes = list(Category.objects.filter(parent__isnull=False).values_list("code", flat=True))
    result: dict[str, Any] = {
        "database": connection.vendor,
        "events": total,
        "page": PAGE,
        "iterations": args.iterations,
        "target_p95_ms": 50,
        "scopes": {},
    }
    for scope, username in SCOPES.items():
        user = User.objects.get(username=username)
        work = cases(rng, codes, args.iterations)
        bench_selector(user, work[:20])  # warm caches (scope, categories, database pages)
        figures = {
            "user": username,
            "selector": summary(bench_selector(user, work)),
            "api": summary(bench_api(user, work)),
        }
        figures["ok"] = figures["selector"]["p95_ms"] <= 50 and figures["api"]["p95_ms"] <= 50
        result["scopes"][scope] = figures
        if args.explain:
            for state, category in (("in_progress", "heating.cold_room"), ("closed", "city.garbage")):
                print(
                    f"-- {scope} · state={state} category={category}\n{explain(user, state, category)}\n",
                    file=sys.stderr,
                )
    result["ok"] = all(s["ok"] for s in result["scopes"].values())
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(
        f"{connection.vendor}: {total:,} events, {args.iterations} queries per scope and layer, page {PAGE}"
    )
    for scope, figures in result["scopes"].items():
        for layer in ("selector", "api"):
            s = figures[layer]
            print(
                f"  {scope:6} {layer:8} p50 {s['p50_ms']:6.1f} ms  p95 {s['p95_ms']:6.1f} ms  "
                f"p99 {s['p99_ms']:6.1f} ms  max {s['max_ms']:6.1f} ms"
            )
    print("OK: p95 ≤ 50 ms" if result["ok"] else "NOT OK: p95 above 50 ms")


if __name__ == "__main__":
    main()
