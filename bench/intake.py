"""Intake benchmark: event submission through the real HTTP server (see docs/performance.md, "Intake").

It builds a fresh database with the demo city, issues bearer tokens to the full-time grid
workers of the demo grids, starts the production server (`gridgov serve --no-worker`: gunicorn,
gthread workers) on loopback, and drives `POST /api/v1/events` from a load generator in this
process (threads on persistent HTTP/1.1 connections, closed loop). Every submission carries an
`Idempotency-Key`; a share of them is sent again (a phone retrying: some right after the answer,
some at the same moment from another connection), and a few keys are sent many times at once
(a retry storm). Afterwards the database is checked: each key made exactly one event, and there
are no other events.

    .venv/bin/python bench/intake.py --json                                   # SQLite in a temp dir
    .venv/bin/python bench/intake.py --database-url postgres://postgres@127.0.0.1:5432/gridgov_bench --json

The PostgreSQL database named in the URL is dropped and created again. Target: ≥ 300 events/s
on 2 cores, p99 ≤ 200 ms, zero errors, zero duplicates.
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

CATEGORIES = [
    "heating.pipe_burst",
    "heating.cold_room",
    "water.outage",
    "water.leak",
    "power.outage",
    "city.garbage",
    "city.street_stall",
    "fire.exit_blocked",
    "market.elevator",
    "housing.property",
]
WORDS = [
    "3号楼",
    "5号楼",
    "小区东门",
    "地下车库",
    "2单元",
    "楼道",
    "北侧空地",
    "幼儿园门口",
    "菜市场旁",
    "锅炉房",
]
PROBLEMS = [
    "供热管道漏水",
    "室温只有15度",
    "停水半天了",
    "路灯不亮",
    "垃圾堆了三天",
    "占道摆摊",
    "消防通道被车堵住",
    "电梯困人",
    "物业不处理漏水",
    "井盖松动",
]


# ------------------------------------------------------------------------------------- set-up


def prepare_database(url: str) -> None:
    """An empty database at `url`: a new SQLite file, or a dropped and re-created PostgreSQL db."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        path = Path(parsed.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    name = parsed.path.lstrip("/")
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        return
    import psycopg

    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


@dataclass
class Reporter:
    token: str
    grid_box: tuple[float, float, float, float]


def seed_and_issue_tokens(max_reporters: int) -> list[Reporter]:
    """Migrate, seed the demo city, and give each demo grid's full-time worker a bearer token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from gridgov.accounts.models import ApiToken, RoleAssignment
    from gridgov.accounts.roles import Role
    from gridgov.core.context import acting_as
    from gridgov.core.seeding import run_seed

    call_command("migrate", verbosity=0, interactive=False)
    with acting_as(None, channel="command", username="system:bench"):
        run_seed("demo", quiet=True)
    reporters = []
    assignments = (
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, node__boundary__isnull=False)
        .select_related("user", "node")
        .order_by("node__path")
    )
    for assignment in assignments[:max_reporters]:
        ring = assignment.node.boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        _token, raw = ApiToken.issue(assignment.user, "bench")
        reporters.append(Reporter(raw, (min(xs), min(ys), max(xs), max(ys))))
    connections.close_all()
    return reporters


def start_server(
    port: int, workers: int, threads: int, env: dict[str, str], log: Path, worker: bool = False
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gridgov",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        *([] if worker else ["--no-worker"]),
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit(f"the server did not answer within 60 s; see {log}")


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """User + system CPU of every process in the server's process group (master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == server.pid:  # fields[2] is the process group id
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# -------------------------------------------------------------------------------------- load


@dataclass
class Submission:
    key: str
    token: str
    body: bytes


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # key → event number (201)
    replayed: dict[str, set[str]] = field(default_factory=dict)  # key → numbers seen on 200
    accepted: dict[str, int] = field(default_factory=dict)  # key → receipts (202) seen, when queued
    unanswered: int = 0  # requests that got no HTTP answer (also in `errors`, not in the latencies)
    reconnects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_submissions(reporters: list[Reporter], count: int, rng: random.Random) -> list[Submission]:
    subs = []
    for _ in range(count):
        reporter = rng.choice(reporters)
        minx, miny, maxx, maxy = reporter.grid_box
        body = {
            "category": rng.choice(CATEGORIES),
            "description": f"{rng.choice(WORDS)}{rng.choice(PROBLEMS)}（{uuid.uuid4().hex[:6]}）",
            "lng": round(rng.uniform(minx + (maxx - minx) * 0.1, maxx - (maxx - minx) * 0.1), 6),
            "lat": round(rng.uniform(miny + (maxy - miny) * 0.1, maxy - (maxy - miny) * 0.1), 6),
        }
        subs.append(
            Submission(str(uuid.uuid4()), reporter.token, json.dumps(body, ensure_ascii=False).encode())
        )
    return subs


def schedule(
    subs: list[Submission], retry_share: float, storm_keys: int, storm_size: int, rng: random.Random
) -> list[list[Submission]]:
    """The order of sends as a list of batches: a batch of one is one request; a batch of many is
    sent at the same moment from different connections (concurrent retries, storms)."""
    batches: list[list[Submission]] = []
    retried = set(rng.sample(range(len(subs)), int(len(subs) * retry_share)))
    storms = set(
        rng.sample(sorted(set(range(len(subs))) - retried), min(storm_keys, len(subs) - len(retried)))
    )
    later: list[tuple[int, Submission]] = []
    for i, sub in enumerate(subs):
        if i in storms:
            batches.append([sub] * storm_size)
        elif i in retried and i % 2:
            batches.append([sub, sub])  # the same key twice at the same moment
        else:
            batches.append([sub])
            if i in retried:
                later.append((i, sub))  # sent again a little later
    for i, sub in later:
        position = min(len(batches), i + rng.randint(1, 40))
        batches.insert(position, [sub])
    return batches


def send(
    conn: http.client.HTTPConnection, port: int, sub: Submission, results: Results, queued: bool
) -> None:
    """One POST. A keep-alive connection the server has closed is reopened and the request sent
    again (what a phone does; the idempotency key makes it safe), counted as a reconnect."""
    headers = {
        "Authorization": f"Bearer {sub.token}",
        "Idempotency-Key": sub.key,
        "Content-Type": "application/json",
        "Connection": "keep-alive",
    }
    if queued:
        headers["Prefer"] = "respond-async"
    started = time.perf_counter()
    for attempt in range(2):
        try:
            conn.request("POST", "/api/v1/events", body=sub.body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
            break
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            if attempt == 0 and isinstance(
                exc, (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)
            ):
                with results.lock:
                    results.reconnects += 1
                continue
            with results.lock:
                results.errors.append(f"{type(exc).__name__}: {exc}")
                results.unanswered += 1
            return
    elapsed = (time.perf_counter() - started) * 1000
    number = ""
    if status in (200, 201, 202):
        try:
            answer = json.loads(payload)
            number = answer["number"] if status != 202 else answer["key"]
        except (ValueError, KeyError):
            status = -1
        if status == 202 and number != sub.key:
            status = -1
    with results.lock:
        results.latencies_ms.append(elapsed)
        results.statuses[status] = results.statuses.get(status, 0) + 1
        if status == 201:
            if sub.key in results.created:
                results.errors.append(f"key {sub.key} created twice")
            results.created[sub.key] = number
        elif status == 202:
            results.accepted[sub.key] = results.accepted.get(sub.key, 0) + 1
        elif status == 200:
            results.replayed.setdefault(sub.key, set()).add(number)
        else:
            results.errors.append(f"HTTP {status}: {payload[:200]!r}")


def run_load(
    port: int, batches: list[list[Submission]], concurrency: int, queued: bool
) -> tuple[Results, float]:
    """Closed loop: `concurrency` connections take the next batch; a batch of k is sent by k
    connections at the same moment (they meet at a barrier)."""
    results = Results()
    cursor = iter(batches)
    pending: list[tuple[threading.Barrier, Submission]] = []
    pending_lock = threading.Lock()
    go = threading.Event()

    def next_job() -> tuple[threading.Barrier | None, Submission] | None:
        # Under one lock, and a new batch only when no batch is still being handed out: at most
        # one barrier is ever short of parties, so the connections cannot deadlock on barriers.
        with pending_lock:
            if pending:
                return pending.pop()
            batch = next(cursor, None)
            if batch is None:
                return None
            if len(batch) == 1:
                return None, batch[0]
            size = min(len(batch), concurrency)
            barrier = threading.Barrier(size, timeout=30)
            pending.extend((barrier, sub) for sub in batch[1:size])
            return barrier, batch[0]

    def loop() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        go.wait()
        while True:
            job = next_job()
            if job is None:
                break
            barrier, sub = job
            if barrier is not None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
            send(conn, port, sub, results, queued)
        conn.close()

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    go.set()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


# ------------------------------------------------------------------------------------ checks


def wait_for_queue(timeout: float = 300) -> float:
    """Seconds until the worker has written every queued report (polled every 20 ms)."""
    from django.db import connections

    from gridgov.events.models import IdempotencyKey

    started = time.perf_counter()
    while IdempotencyKey.objects.filter(payload__isnull=False).exists():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"the worker left reports queued after {timeout:.0f} s")
        time.sleep(0.02)
    waited = time.perf_counter() - started
    connections.close_all()
    return waited


def verify(keys: set[str], measured: set[str], results: Results) -> dict[str, Any]:
    """In the database: each key has one idempotency row pointing at one event, every event the
    load made belongs to exactly one key, and every answer named that key's event. For the
    measured keys also: how long after acceptance each event was written (queued reports)."""
    from django.db import connections
    from django.db.models import Count

    from gridgov.events.models import Event, IdempotencyKey

    rows = IdempotencyKey.objects.filter(scope="event", key__in=list(keys))
    per_key = rows.values("key").annotate(n=Count("pk")).filter(n__gt=1).count()
    events = Event.objects.filter(channel="api")
    made = events.count()
    numbers = dict(rows.exclude(event__isnull=True).values_list("key", "event__number"))
    claimed = len(set(numbers.values()))
    replay_mismatch = sum(1 for key, seen in results.replayed.items() if seen != {numbers.get(key)})
    created_mismatch = sum(1 for key, number in results.created.items() if numbers.get(key) != number)
    lags = sorted(
        (updated - created).total_seconds() * 1000
        for created, updated in Event.objects.filter(
            number__in=[numbers[k] for k in measured if k in numbers]
        ).values_list("created_at", "updated_at")
    )
    out = {
        "keys": len(keys),
        "key_rows": rows.count(),
        "keys_with_two_rows": per_key,
        "events_in_db": made,
        "events_claimed_by_keys": claimed,
        "duplicates": max(0, made - len(keys)) + per_key,
        "answered_created": len(results.created),
        "answered_queued": len(results.accepted),
        "replay_mismatches": replay_mismatch + created_mismatch,
        "keys_without_event": len(keys) - len(numbers),
        "failed_in_queue": rows.exclude(error="").count(),
        "measured_events_in_db": sum(1 for k in measured if k in numbers),
        "write_lag_ms": {
            "p50": round(percentile(lags, 50), 1),
            "p99": round(percentile(lags, 99), 1),
            "max": round(lags[-1], 1),
        }
        if lags
        else None,
    }
    connections.close_all()
    return out


def percentile(values: list[float], pct: float) -> float:
    """Nearest rank: the smallest value with at least pct % of the values at or below it."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--events", type=int, default=4000, help="distinct submissions (idempotency keys)")
    parser.add_argument("--warmup", type=int, default=300, help="submissions before measuring (not counted)")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--retry-share", type=float, default=0.1, help="share of keys sent twice")
    parser.add_argument("--storms", type=int, default=5, help="keys sent many times at once")
    parser.add_argument("--storm-size", type=int, default=12)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--reporters", type=int, default=100, help="grid workers with tokens")
    parser.add_argument("--seed", type=int, default=311)
    parser.add_argument("--keep", action="store_true", help="keep the database (PostgreSQL) afterwards")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--queued",
        action="store_true",
        help="send `Prefer: respond-async`: 202 and a receipt; the server's worker writes the events, "
        "and the clock runs until the last one is written",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gridgov-intake-"))
    url = args.database_url or f"sqlite:///{tmp / 'intake.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    env = dict(os.environ, DATABASE_URL=url, LOG_LEVEL="WARNING")
    say = (lambda *_: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    rng = random.Random(args.seed)

    say(f"database: {url}")
    prepare_database(url)
    t0 = time.perf_counter()
    reporters = seed_and_issue_tokens(args.reporters)
    say(f"seeded the demo city and issued {len(reporters)} tokens in {time.perf_counter() - t0:.1f} s")
    server = start_server(args.port, args.workers, args.threads, env, tmp / "server.log", worker=args.queued)
    drain_s = 0.0
    try:
        warm = make_submissions(reporters, args.warmup, rng)
        run_load(args.port, [[s] for s in warm], args.concurrency, args.queued)
        if args.queued:
            wait_for_queue()
        subs = make_submissions(reporters, args.events, rng)
        batches = schedule(subs, args.retry_share, args.storms, args.storm_size, rng)
        say(
            f"sending {sum(len(b) for b in batches)} requests for {len(subs)} keys over {args.concurrency} connections"
        )
        cpu0, server0 = time.process_time(), server_cpu_seconds(server)
        load0 = os.getloadavg()[0]
        results, elapsed = run_load(args.port, batches, args.concurrency, args.queued)
        if args.queued:
            # Throughput counts events written, not reports accepted: wait for the worker.
            drain_s = wait_for_queue()
        client_cpu, server_cpu = time.process_time() - cpu0, server_cpu_seconds(server) - server0
        load1 = os.getloadavg()[0]
    finally:
        stop_server(server)
    checks = verify({s.key for s in warm} | {s.key for s in subs}, {s.key for s in subs}, results)
    lat = results.latencies_ms
    requests = len(lat) + results.unanswered
    figures = {
        "backend": "postgresql" if url.startswith("postgres") else "sqlite",
        "command": " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/intake.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "mode": "queued (Prefer: respond-async)" if args.queued else "synchronous",
        "server": {
            "workers": args.workers,
            "threads": args.threads,
            "worker_class": "gthread",
            "background_worker": args.queued,
        },
        "concurrency": args.concurrency,
        "events": len(subs),
        "requests": requests,
        "retries": requests - len(subs),
        # Until the last event was written: the load, then (queued) the worker finishing the queue.
        "duration_s": round(elapsed + drain_s, 2),
        "queue_drain_after_load_s": round(drain_s, 2),
        "events_per_s": round(checks["measured_events_in_db"] / (elapsed + drain_s), 1),
        "requests_per_s": round(requests / elapsed, 1),
        "latency_ms": {
            "p50": round(statistics.median(lat), 1),
            "p95": round(percentile(lat, 95), 1),
            "p99": round(percentile(lat, 99), 1),
            "max": round(max(lat), 1),
        },
        "statuses": {str(k): v for k, v in sorted(results.statuses.items())},
        # Each failure is listed once in `results.errors`; the other mode's success status is not.
        "errors": len(results.errors) + results.statuses.get(201 if args.queued else 202, 0),
        "error_samples": results.errors[:5],
        "duplicates": checks["duplicates"],
        "db_check": checks,
        "reconnects": results.reconnects,
        "client_cpu_s": round(client_cpu, 2),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(server_cpu / max(1, len(lat)) * 1000, 2),
        # What the server could do with every core to itself: cores / CPU time per request.
        "server_capacity_requests_per_s": round(
            (os.cpu_count() or 1) / max(server_cpu / max(1, len(lat)), 1e-6), 1
        ),
        # Other work on the machine competes for the same cores: the 1-minute load average
        # before and after the run says how busy it was.
        "load_average": [round(load0, 2), round(load1, 2)],
    }
    figures["target_met"] = bool(
        figures["events_per_s"] >= 300
        and figures["latency_ms"]["p99"] <= 200
        and figures["errors"] == 0
        and figures["duplicates"] == 0
        and checks["keys_without_event"] == 0
        and checks["replay_mismatches"] == 0
        and checks["failed_in_queue"] == 0
    )
    if not args.keep:
        drop_database(url)
    if figures["errors"] or args.keep:
        figures["server_log"] = str(tmp / "server.log")  # kept to read the errors
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
