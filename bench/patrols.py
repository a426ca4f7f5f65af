"""Patrols benchmark (see docs/performance.md, "Patrols").

1. Track ingest through the real HTTP server: a fresh database with the demo city, one patrol
   started for each demo grid's full-time worker, the production server (`gridgov serve
   --no-worker`: gunicorn, gthread workers) on loopback, and phones simulated by threads on
   persistent connections, each sending its patrol's positions in batches
   (`POST /api/v1/patrols/<id>/points`). A share of the batches is sent again (an answer lost on
   a dropped connection), some at the same moment from another connection. Afterwards the
   database is checked: every position sent is stored exactly once.
2. Reads on the seeded database, in this process: a county's coverage over a month, its coverage
   week by week over the last eight weeks, and one
   worker's due list (p50/p95), each beside the naive way (per-building queries, no coverage
   row) in the same run.

    .venv/bin/python bench/patrols.py --json                                   # SQLite in a temp dir
    .venv/bin/python bench/patrols.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_bench_patrols --json
    .venv/bin/python bench/patrols.py --reads-only --database-url sqlite:////path/to/city.sqlite3   # a seeded city

The PostgreSQL database named in the URL is dropped and created again (not with --reads-only).
Targets: ingest ≥ 1,000 positions/s, no loss, no duplicate; coverage p95 ≤ 100 ms, due list
p95 ≤ 20 ms.
"""

import argparse
import http.client
import importlib.util
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

_spec = importlib.util.spec_from_file_location("bench_intake", ROOT / "bench" / "intake.py")
assert _spec is not None
assert _spec.loader is not None
intake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(intake)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# --------------------------------------------------------------------------------- set-up


@dataclass
class Phone:
    token: str
    patrol_id: int
    lng: float
    lat: float


def seed_and_start_patrols(max_phones: int) -> list[Phone]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from gridgov.accounts.models import ApiToken, RoleAssignment
    from gridgov.accounts.roles import Role
    from gridgov.core.context import acting_as
    from gridgov.core.seeding import run_seed
    from gridgov.patrols import services

    call_command("migrate", verbosity=0, interactive=False)
    phones = []
    with acting_as(None, channel="command", username="system:bench"):
        run_seed("demo", quiet=True)
        assignments = RoleAssignment.objects.filter(role=Role.GRID_WORKER).select_related("user", "node")
        for assignment in assignments.order_by("node__path")[:max_phones]:
            grid = assignment.node
            with acting_as(assignment.user, channel="bench"):
                patrol, _ = services.start_patrol(
                    user=assignment.user, grid=grid, started_at=datetime.now(UTC) - timedelta(minutes=1)
                )
            _token, raw = ApiToken.issue(assignment.user, "bench")
            phones.append(Phone(raw, patrol.pk, grid.lng or 111.7, grid.lat or 40.8))
    connections.close_all()
    return phones


# ----------------------------------------------------------------------------------- load


@dataclass
class Batch:
    phone: Phone
    seq: int
    body: bytes
    points: int


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    duplicates_answered: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_batches(phones: list[Phone], batches_per_phone: int, size: int, rng: random.Random) -> list[Batch]:
    out = []
    start = datetime.now(UTC) - timedelta(seconds=30)
    for phone in phones:
        for seq in range(batches_per_phone):
            points = []
            for i in range(size):
                n = seq * size + i
                at = start + timedelta(milliseconds=n * 10)  # the timestamps stay inside the patrol
                points.append(
                    {
                        "at": at.isoformat(),
                        "lng": round(phone.lng + n * 0.00001 + rng.uniform(-2e-6, 2e-6), 7),
                        "lat": round(phone.lat + rng.uniform(-2e-6, 2e-6), 7),
                        "accuracy": rng.randint(3, 25),
                    }
                )
            body = json.dumps({"seq": seq, "points": points}).encode()
            out.append(Batch(phone, seq, body, size))
    return out


def schedule(batches: list[Batch], retry_share: float, rng: random.Random) -> list[list[Batch]]:
    """Each phone's batches in order; a share sent twice (right after, or at once from another
    connection, a list of two)."""
    by_phone: dict[int, list[Batch]] = {}
    for batch in batches:
        by_phone.setdefault(batch.phone.patrol_id, []).append(batch)
    queues: list[list[Batch]] = []
    for items in by_phone.values():
        for batch in items:
            queues.append([batch, batch] if rng.random() < retry_share else [batch])
    # Interleave phones as a city does, keeping each phone's order.
    rng.shuffle(queues)
    queues.sort(key=lambda group: group[0].seq)
    return queues


def run_load(port: int, groups: list[list[Batch]], threads: int) -> tuple[Results, float]:
    results = Results()
    cursor = {"next": 0}
    guard = threading.Lock()

    def send(conn: http.client.HTTPConnection, batch: Batch) -> http.client.HTTPConnection:
        for attempt in range(5):
            began = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    f"/api/v1/patrols/{batch.phone.patrol_id}/points",
                    body=batch.body,
                    headers={
                        "Authorization": f"Bearer {batch.phone.token}",
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"{batch.phone.patrol_id}-{batch.seq}",
                    },
                )
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                if attempt == 4:
                    with results.lock:
                        results.errors.append(repr(exc))
                continue
            elapsed = (time.perf_counter() - began) * 1000
            with results.lock:
                results.latencies_ms.append(elapsed)
                results.statuses[response.status] = results.statuses.get(response.status, 0) + 1
                if response.status == 200 and json.loads(payload).get("duplicate"):
                    results.duplicates_answered += 1
                elif response.status != 200:
                    results.errors.append(f"{response.status} {payload[:200]!r}")
            if response.status < 500:
                return conn
        return conn

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        other = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with guard:
                if cursor["next"] >= len(groups):
                    break
                group = groups[cursor["next"]]
                cursor["next"] += 1
            if len(group) == 2 and group[0].seq % 2:
                # the same batch from two connections at once (a retry racing the first try)
                twin = threading.Thread(target=send, args=(other, group[1]))
                twin.start()
                conn = send(conn, group[0])
                twin.join()
            else:
                for batch in group:
                    conn = send(conn, batch)
        conn.close()
        other.close()

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results, time.perf_counter() - began


def check_database(batches: list[Batch]) -> dict[str, Any]:
    from django.db import connections
    from django.db.models import Count

    from gridgov.patrols.models import TrackBatch, TrackPoint

    connections.close_all()
    expected = sum(b.points for b in batches)
    patrols = {b.phone.patrol_id for b in batches}
    stored = TrackPoint.objects.filter(patrol_id__in=patrols).count()
    per_batch = TrackBatch.objects.values("patrol_id", "seq").annotate(n=Count("pk")).filter(n__gt=1).count()
    sent = {(b.phone.patrol_id, b.seq) for b in batches}
    kept = set(TrackBatch.objects.values_list("patrol_id", "seq"))
    return {
        "positions_sent_unique": expected,
        "positions_stored": stored,
        "batches_missing": len(sent - kept),
        "batches_stored_twice": per_batch,
        "lost": expected - stored if stored < expected else 0,
        "duplicated": stored - expected if stored > expected else 0,
    }


# ---------------------------------------------------------------------------------- reads


def time_calls(fn: Any, repeat: int) -> dict[str, float]:
    fn()  # warm the caches the real server would have warm
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "max_ms": round(max(samples), 2),
    }


def measure_reads(repeat: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db.models import Count
    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.hierarchy.models import Level, Node
    from gridgov.patrols import selectors, services
    from gridgov.patrols.models import CheckIn

    county = (
        Node.objects.filter(level=Level.COUNTY)
        .annotate(n=Count("children__children__children"))
        .order_by("-n")
        .first()
    )
    assert county is not None
    leader = User.objects.filter(is_superuser=True).first() or User.objects.get(username="city_admin")
    end = timezone.now()
    start = end - timedelta(days=30)
    worker_grid = (
        CheckIn.objects.filter(county_code=county.code)
        .values_list("grid_id", "worker_id")
        .order_by("-at")
        .first()
    )
    assert worker_grid is not None, "the database has no check-ins: seed it first"
    grid = Node.objects.get(pk=worker_grid[0])
    worker = User.objects.get(pk=worker_grid[1])

    def coverage() -> Any:
        return selectors.coverage(leader, county, start, end)

    def coverage_naive() -> Any:
        """Per grid, per building: was it checked in during the month? (what a first version does)"""
        rows = []
        for g in Node.objects.filter(path__startswith=county.path, level=Level.GRID):
            buildings = list(Node.objects.filter(parent=g, level=Level.BUILDING))
            checked = sum(
                1 for b in buildings if CheckIn.objects.filter(building=b, at__gte=start, at__lt=end).exists()
            )
            rows.append((g.pk, len(buildings), checked))
        return rows

    def due() -> Any:
        return selectors.buildings_due(worker, grid)

    def due_naive() -> Any:
        rule = services.rule_for(grid)
        since = timezone.now() - timedelta(days=rule.period_days)
        out = []
        for b in Node.objects.filter(parent=grid, level=Level.BUILDING):
            last = CheckIn.objects.filter(building=b).order_by("-at").values_list("at", flat=True).first()
            out.append((b.pk, last is None or last < since))
        return out

    today = timezone.localdate()
    first_day = today - timedelta(days=55)  # the weekly page's default: the last eight weeks

    def weekly() -> Any:
        return selectors.weekly_coverage(leader, county, first_day, today)

    def weekly_naive() -> list[tuple[int, list[int]]]:
        """Per grid and per week, one query each: the buildings checked in that week."""
        tz = timezone.get_current_timezone()
        mondays = selectors.week_starts(first_day, today)
        rows = []
        for g in Node.objects.filter(path__startswith=county.path, level=Level.GRID):
            counts = []
            for monday in mondays:
                since = timezone.make_aware(datetime.combine(monday, datetime.min.time()), tz)
                counts.append(
                    CheckIn.objects.filter(grid=g, at__gte=since, at__lt=since + timedelta(weeks=1))
                    .values("building")
                    .distinct()
                    .count()
                )
            rows.append((g.pk, counts))
        return rows

    result = coverage()
    fast = sorted((g.grid_id, g.buildings, g.buildings_checked) for g in result.grids)
    naive = sorted(coverage_naive())
    if fast != naive:
        differ = [(a, b) for a, b in zip(fast, naive, strict=False) if a != b][:5]
        raise SystemExit(
            f"the coverage and the naive count disagree: {len(fast)} vs {len(naive)} grids, {differ}"
        )
    assert sorted((b.id, b.due) for b in due()) == sorted(due_naive()), "the due lists disagree"
    by_week = weekly()
    by_week_naive = weekly_naive()
    totals = [sum(row[1][i] for row in by_week_naive) for i in range(len(by_week.weeks))]
    assert [t.buildings_checked for t in by_week.totals()] == totals, "the weekly coverage disagrees"
    return {
        "county": county.name,
        "county_grids": len(result.grids),
        "county_buildings": result.buildings,
        "county_checkins_month": CheckIn.objects.filter(county_code=county.code, at__gte=start).count(),
        "coverage": time_calls(coverage, repeat),
        "coverage_naive": time_calls(coverage_naive, max(3, repeat // 10)),
        "weekly_weeks": len(by_week.weeks),
        "weekly": time_calls(weekly, repeat),
        "weekly_naive": time_calls(weekly_naive, max(3, repeat // 10)),
        "due_list": time_calls(due, repeat * 5),
        "due_list_naive": time_calls(due_naive, repeat * 5),
    }


# ----------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--phones", type=int, default=100)
    parser.add_argument("--batches", type=int, default=12, help="batches per phone")
    parser.add_argument("--batch-size", type=int, default=30, help="positions per batch")
    parser.add_argument("--retry-share", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=16, help="concurrent phones (connections)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8191)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument(
        "--reads-only", action="store_true", help="measure the reads on an already seeded database"
    )
    parser.add_argument("--ingest-only", action="store_true", help="leave out the reads on the demo city")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-patrols-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    report: dict[str, Any] = {
        "database": url.split(":", 1)[0],
        "cpus": os.cpu_count(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        if args.reads_only:
            report["reads"] = measure_reads(args.repeat)
        else:
            intake.prepare_database(url)
            phones = seed_and_start_patrols(args.phones)
            rng = random.Random(7)
            batches = make_batches(phones, args.batches, args.batch_size, rng)
            groups = schedule(batches, args.retry_share, rng)
            env = {**os.environ, "DATABASE_URL": url}
            server = intake.start_server(
                args.port, args.workers, args.server_threads, env, tmp / "server.log"
            )
            try:
                cpu_before = intake.server_cpu_seconds(server)
                client_before = time.process_time()
                results, wall = run_load(args.port, groups, args.threads)
                cpu = intake.server_cpu_seconds(server) - cpu_before
                client_cpu = time.process_time() - client_before
            finally:
                intake.stop_server(server)
            sent_points = sum(b.points for group in groups for b in group)
            unique_points = sum(b.points for b in batches)
            report["ingest"] = {
                "phones": len(phones),
                "batches": len(batches),
                "requests": sum(len(g) for g in groups),
                "batch_size": args.batch_size,
                "wall_s": round(wall, 2),
                "positions_per_s": round(unique_points / wall),
                "positions_sent_per_s_with_retries": round(sent_points / wall),
                "latency_p50_ms": round(statistics.median(results.latencies_ms), 1),
                "latency_p95_ms": round(percentile(results.latencies_ms, 0.95), 1),
                "latency_p99_ms": round(percentile(results.latencies_ms, 0.99), 1),
                "statuses": results.statuses,
                "duplicates_answered": results.duplicates_answered,
                "errors": results.errors[:5],
                "server_cpu_s": round(cpu, 1),
                "server_cpu_ms_per_position": round(cpu * 1000 / unique_points, 3),
                # What the phones' side (this process's threads) took of the same two cores.
                "client_cpu_s": round(client_cpu, 1),
                **check_database(batches),
            }
            print(json.dumps(report, ensure_ascii=False), file=sys.stderr)
            if not args.ingest_only:
                report["reads"] = measure_reads(args.repeat)
        report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if not args.reads_only and url.startswith("postgres"):
            intake.drop_database(url)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else report)


if __name__ == "__main__":
    main()
