"""Overview benchmark (see docs/performance.md, "Overview").

For a node at each of the five levels (the city, 赛罕区, 昭乌达南路街道, 惠民社区, 惠民社区第一网格)
and a period (this month, this year), times the REAL paths as a city administrator calls them:

- api: GET /api/v1/overview/<node>?period=… with a bearer token (scope, rollups summed up the
  tree per child unit, the trend, the top categories, JSON);
- page: GET /overview/<node>/?period=… with a logged-in session (the same data, the efficiency
  indicators per child and per worker, the template);
- naive: the same main figures computed with GROUP BY on the raw tables (events, disputes,
  households, residents) per child unit, as a dashboard without rollups would.

    DATABASE_URL=sqlite:////tmp/city.sqlite3 gridgov migrate
    DATABASE_URL=sqlite:////tmp/city.sqlite3 gridgov seed --scale city
    DATABASE_URL=sqlite:////tmp/city.sqlite3 .venv/bin/python bench/overview.py --json

Targets: api p95 ≤ 100 ms at every level, page p95 ≤ 300 ms.
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F, Q  # noqa: E402
from django.db.models.functions import Substr  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from gridgov.accounts.models import User  # noqa: E402
from gridgov.accounts.services import issue_token  # noqa: E402
from gridgov.core.context import acting_as  # noqa: E402
from gridgov.disputes.models import Dispute  # noqa: E402
from gridgov.events.models import Event  # noqa: E402
from gridgov.hierarchy import paths  # noqa: E402
from gridgov.hierarchy.models import Level, Node, child_level  # noqa: E402
from gridgov.overview import period as periods  # noqa: E402
from gridgov.overview.models import Rollup  # noqa: E402
from gridgov.registry.models import Household, Resident  # noqa: E402

LEVELS = {
    "city": "呼和浩特市",
    "county": "赛罕区",
    "township": "昭乌达南路街道",
    "community": "惠民社区",
    "grid": "惠民社区第一网格",
}
VIEWER = "city_admin"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(call: Any, repeat: int) -> dict[str, float]:
    call()  # warm the caches a server keeps between requests
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "max_ms": round(max(samples), 1),
    }


def naive(node: Node, period: periods.Period) -> dict[str, dict[str, int]]:
    """The main figures per child unit by GROUP BY on the raw tables (no rollups)."""
    below = child_level(node.level)
    width = paths.PATH_END[below] if below and node.level != Level.GRID else len(node.path)
    tz = datetime.timezone(datetime.timedelta(hours=8))
    first = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=tz)
    after = datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    out: dict[str, dict[str, int]] = {}

    def add(queryset: Any, name: str) -> None:
        rows = (
            queryset.filter(path__under=node.path)
            .annotate(child=Substr("path", 1, width))
            .values("child")
            .annotate(n=Count("pk"))
            .values_list("child", "n")
            .order_by()
        )
        for child, n in rows:
            out.setdefault(child, {})[name] = n

    events = Event.objects.all()
    add(events.filter(created_at__gte=first, created_at__lt=after), "events.reported")
    add(events.filter(is_open=True), "events.open")
    add(events.filter(is_open=True, overdue=True), "events.overdue")
    add(events.filter(state="closed", closed_at__gte=first, closed_at__lt=after), "events.closed")
    add(
        events.filter(state="closed", closed_at__gte=first, closed_at__lt=after).filter(
            Q(resolve_due_at=None) | Q(closed_at__lte=F("resolve_due_at"))
        ),
        "events.closed_on_time",
    )
    add(Dispute.objects.exclude(event__state__in=["closed", "merged"]), "disputes.open")
    add(Dispute.objects.filter(created_at__gte=first, created_at__lt=after), "disputes.new")
    add(Household.objects.filter(status="active"), "people.households")
    add(Resident.objects.filter(status__in=["present", "away"]), "people.residents")
    return out


def session_client(username: str) -> Client:
    """A logged-in session that passed the second factor, as after a real login."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    person = User.objects.get(username=username)
    client.force_login(person)
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--periods", default="month,year")
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    with acting_as(None, channel="command", username="system:bench"):
        _token, raw = issue_token(User.objects.get(username=VIEWER), "overview benchmark")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    page = session_client(VIEWER)
    results: dict[str, Any] = {
        "database": connection.vendor,
        "events": Event.objects.count(),
        "residents": Resident.objects.count(),
        "rollup_rows": Rollup.objects.count(),
        "levels": {},
    }
    for level, name in LEVELS.items():
        node = Node.objects.filter(name=name).first()
        if node is None:  # a level left out would make the run look faster than it is
            raise SystemExit(f"no node named {name} ({level}): seed the city first (gridgov seed)")
        for kind in args.periods.split(","):
            chosen = periods.parse(kind)

            def call_api(node: Node = node, kind: str = kind) -> None:
                response = api.get(f"/api/v1/overview/{node.pk}", {"period": kind})
                assert response.status_code == 200, response.content[:200]

            def call_page(node: Node = node, kind: str = kind) -> None:
                response = page.get(f"/overview/{node.pk}/", {"period": kind})
                assert response.status_code == 200, response.status_code

            def call_naive(node: Node = node, chosen: periods.Period = chosen) -> None:
                naive(node, chosen)

            results["levels"][f"{level}/{kind}"] = {
                "api": timed(call_api, args.repeat),
                "page": timed(call_page, max(5, args.repeat // 2)),
                "naive": timed(call_naive, max(3, args.repeat // 4)),
            }
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(
        f"{results['database']}: {results['events']} events, {results['residents']} residents, {results['rollup_rows']} rollup rows"
    )
    print(f"{'level/period':22} {'api p50':>8} {'api p95':>8} {'page p95':>9} {'naive p95':>10} {'ratio':>7}")
    for key, row in results["levels"].items():
        ratio = row["naive"]["p95_ms"] / max(row["api"]["p95_ms"], 0.1)
        print(
            f"{key:22} {row['api']['p50_ms']:8.1f} {row['api']['p95_ms']:8.1f} {row['page']['p95_ms']:9.1f} "
            f"{row['naive']['p95_ms']:10.1f} {ratio:6.1f}×"
        )


if __name__ == "__main__":
    main()
