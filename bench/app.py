"""The grid worker's app: size and speed, through the real server and a real browser (see
docs/performance.md, "The grid worker's app").

It builds a fresh SQLite database with the demo city plus one grid of 1,500 residents (500
households in 20 buildings) and its full-time worker, starts the production server
(`gridgov serve`: gunicorn and the background worker) on loopback, and drives Debian's Chromium
through Playwright with a phone viewport:

1. the shell's size: every file the service worker precaches or imports, gzip-compressed;
2. each later answer a screen or the sync reads, compressed as sent (≤ 50 KB each);
3. the first load on an emulated Fast 3G network (Chromium DevTools protocol,
   Network.emulateNetworkConditions: 1.6 Mbps down, 750 kbps up, 150 ms RTT), from a fresh
   profile to the sign-in screen ready;
4. the initial sync of the 1,500-resident grid (sign-in to everything sealed in IndexedDB and
   indexed), beside the naive way: paging /api/v1/residents and /households (200 a page);
5. a later start with no network: reload to the first screen drawn, records opened;
6. offline search: 300 queries of the kinds people type (names, surnames, full pinyin, initials,
   surname + initials, pinyin with two letters swapped, phone and ID tails, addresses with Chinese
   numerals, unit + room, room numbers), p50/p95 in the browser, beside the naive way (scanning
   every record's name and address);
7. 200 queued writes (100 resident edits, 100 event reports of which 20 with a photo) sent after
   reconnecting, the connection dropped for 2 s part-way; then the database is checked: every
   edit applied once, every report made one event, nothing else.

    .venv/bin/python bench/app.py --json
"""

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")

from bench.intake import start_server, stop_server  # noqa: E402

PASSWORD = "Bench#App2026"
FAST_3G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}
OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# --------------------------------------------------------------------------------- the database


def build_database(residents: int, seed: int) -> dict[str, Any]:
    """Migrate, seed the demo city, add a grid of `residents` people and its worker."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction
    from stdnum.cn import ric

    from gridgov.accounts.models import User
    from gridgov.accounts.roles import Role
    from gridgov.accounts.services import assign_role
    from gridgov.core.context import acting_as
    from gridgov.core.names import person_name
    from gridgov.core.seeding import run_seed
    from gridgov.hierarchy import services as hierarchy
    from gridgov.hierarchy.models import Level, Node
    from gridgov.registry import pii
    from gridgov.registry.models import Household, Resident
    from gridgov.registry.validation import parse_phone
    from gridgov.search.index import rebuild_all

    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(seed)
    with acting_as(None, channel="command", username="system:bench"):
        run_seed("demo", quiet=True)
        admin = User.objects.get(username="sysadmin")
        community = Node.objects.get(name="惠民社区")
        demo_grid = Node.objects.get(name="惠民社区第一网格")
        with transaction.atomic():
            grid = hierarchy.create_node(
                user=admin,
                parent=community,
                level=Level.GRID,
                name="惠民社区压测网格",
                grid_kind="basic",
                lng=demo_grid.lng,
                lat=demo_grid.lat,
            )
            buildings = [
                hierarchy.create_node(user=admin, parent=grid, level=Level.BUILDING, name=f"{n}号楼")
                for n in range(1, 21)
            ]
            worker = User.objects.create_user("bench_worker", password=PASSWORD, full_name="压测网格员")
            assign_role(user=admin, person=worker, node=grid, role=Role.GRID_WORKER)
            households, people = [], []
            for i in range(residents // 3):
                building = buildings[i % len(buildings)]
                unit, room = str(1 + (i // 20) % 4), str(101 + (i // 80) * 100 + i % 4)
                number = f"B{building.code[-6:]}{i:05d}"
                households.append(
                    Household(
                        number=number,
                        building=building,
                        grid=grid,
                        unit=unit,
                        room=room,
                        address=f"惠民社区{building.name}{unit}单元{room}室",
                        path=building.path,
                        county_code=building.county_code,
                    )
                )
            Household.objects.bulk_create(households)
            for n in range(residents):
                household = households[n // 3]
                area = ("150105", "150102", "150103")[n // 1000]  # the sequence number repeats every 1,000
                first17 = f"{area}{rng.randint(1940, 2015)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{n % 1000:03d}"
                id_number = first17 + ric.calc_check_digit(first17 + "0")
                id_enc, id_hash = pii.seal_id_number(id_number)
                phone_enc, phone_hash = pii.seal_phone(parse_phone(f"13{rng.randint(100000000, 999999999)}"))
                people.append(
                    Resident(
                        household=household,
                        name=person_name(rng),
                        id_number_enc=id_enc,
                        id_number_hash=id_hash,
                        phone_enc=phone_enc,
                        phone_hash=phone_hash,
                        relation="head" if n % 3 == 0 else "other",
                        path=household.path,
                        county_code=household.county_code,
                    )
                )
            Resident.objects.bulk_create(people)
        rebuild_all()
    info = {"grid": grid.pk, "residents": [r.pk for r in people[:100]], "lng": grid.lng, "lat": grid.lat}
    connections.close_all()
    return info


# --------------------------------------------------------------------------------- the measures


def shell_size(base: str) -> dict[str, Any]:
    import urllib.request

    from gridgov.mobile import shell

    files = {"/app/": None, "/app/sw.js": None, "/app/manifest.webmanifest": None}
    files.update({f"/static/{path}": None for path in shell.shell_files()})
    sizes = {}
    for url in files:
        with urllib.request.urlopen(base + url) as response:
            body = response.read()
        sizes[url] = {"raw": len(body), "gzip": len(gzip.compress(body, compresslevel=9))}
    return {
        "files": len(sizes),
        "raw_kb": round(sum(s["raw"] for s in sizes.values()) / 1024, 1),
        "gzip_kb": round(sum(s["gzip"] for s in sizes.values()) / 1024, 1),
        "largest": sorted(((round(s["gzip"] / 1024, 1), url) for url, s in sizes.items()), reverse=True)[:3],
    }


def data_sizes(base: str, token: str) -> dict[str, Any]:
    """Compressed bytes of each answer the app reads after the shell (as sent: gzip)."""
    import urllib.request

    def fetch(path: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            base + path, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        )
        with urllib.request.urlopen(request) as response:
            body = response.read()
            encoded = response.headers.get("Content-Encoding") == "gzip"
        raw = gzip.decompress(body) if encoded else body
        return len(body if encoded else gzip.compress(body)), json.loads(raw)

    pages, cursor, largest = 0, None, 0
    while True:
        size, answer = fetch("/api/v1/sync" + (f"?since={cursor}" if cursor else ""))
        largest, pages, cursor = max(largest, size), pages + 1, answer["cursor"]
        if not answer["more"]:
            break
    categories, _ = fetch("/api/v1/event-categories")
    inbox, _ = fetch("/api/v1/inbox?limit=20")
    return {
        "sync_pages": pages,
        "largest_sync_page_kb": round(largest / 1024, 1),
        "categories_kb": round(categories / 1024, 1),
        "inbox_kb": round(inbox / 1024, 1),
    }


def issue_token(base: str) -> str:
    import urllib.request

    request = urllib.request.Request(
        base + "/api/v1/auth/token",
        data=json.dumps({"username": "bench_worker", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return str(json.loads(response.read())["token"])


def naive_sync(base: str, token: str) -> float:
    """The naive way: page the registry's own list endpoints (200 a page, JSON, no compression)."""
    import urllib.request

    started = time.perf_counter()
    for resource in ("households", "residents"):
        offset = 0
        while True:
            request = urllib.request.Request(
                f"{base}/api/v1/{resource}?limit=200&offset={offset}",
                headers={"Authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(request) as response:
                page = json.loads(response.read())
            offset += 200
            if offset >= page["count"]:
                break
    return time.perf_counter() - started


QUERY_KINDS = ["name", "surname", "pinyin", "initials", "phone_tail", "id_tail", "address", "room"]


def browser_measures(
    base: str, profile: Path, info: dict[str, Any], queued: int, photos: int
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu"],
            viewport={"width": 390, "height": 844},
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            geolocation={"longitude": info["lng"], "latitude": info["lat"]},
            permissions=["geolocation"],
        )
        page = context.pages[0] if context.pages else context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

        # 3. First load on Fast 3G: a fresh profile, nothing cached.
        cdp.send("Network.emulateNetworkConditions", FAST_3G)
        started = time.perf_counter()
        page.goto(f"{base}/app/")
        page.wait_for_selector("html[data-ready] input[autocomplete=username]", timeout=60000)
        out["first_load_fast3g_s"] = round(time.perf_counter() - started, 2)
        cdp.send("Network.emulateNetworkConditions", ONLINE)
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
        page.evaluate("navigator.serviceWorker.ready")

        # 4. Initial sync of the grid.
        page.fill("input[autocomplete=username]", "bench_worker")
        page.fill("input[type=password]", PASSWORD)
        started = time.perf_counter()
        page.click("button[type=submit]")
        page.wait_for_url("**/app/#/today", timeout=120000)
        out["initial_sync_s"] = round(time.perf_counter() - started, 2)
        out["records_on_phone"] = page.evaluate(
            "({residents: GG.data.count('resident'), households: GG.data.count('household')})"
        )

        # 5. A later start with no network.
        page.reload()
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        page.wait_for_selector("html[data-ready]")
        cdp.send("Network.emulateNetworkConditions", OFFLINE)
        starts = []
        for _ in range(5):
            started = time.perf_counter()
            page.reload()
            page.wait_for_selector("html[data-ready] .screen-today")
            starts.append(time.perf_counter() - started)
        out["offline_start_s"] = {"median": round(statistics.median(starts), 2), "max": round(max(starts), 2)}

        # 6. Offline search over the grid, and the naive scan.
        out["search"] = page.evaluate(
            """() => {
                const residents = GG.data.all('resident'), households = GG.data.all('household');
                const rng = (() => { let s = 7; return () => (s = (s * 16807) % 2147483647) / 2147483647; })();
                const pick = (list) => list[Math.floor(rng() * list.length)];
                const queries = [];
                const CN = '零一二三四五六七八九';
                const chinese = (n) => n < 10 ? CN[n] : (n < 20 ? '十' : CN[Math.floor(n / 10)] + '十') + (n % 10 ? CN[n % 10] : '');
                const digits = (text) => (String(text).match(/[0-9]+/) || [''])[0];
                for (let i = 0; i < 300; i++) {
                    const r = pick(residents), h = pick(households), kind = i % 13;
                    const tokens = r.tokens.split(' ');
                    const pinyin = tokens.filter(t => t.startsWith('0p')).map(t => t.slice(2));
                    const initials = (tokens.find(t => t.startsWith('0j')) || '0j').slice(2);
                    const building = GG.data.get('building', h.building_id) || {name: ''};
                    const longest = pinyin.sort((a, b) => b.length - a.length)[0] || '';
                    if (kind === 8 && initials.length > 1) queries.push(r.name[0] + initials.slice(1));  // 王xy
                    else if (kind === 9 && initials) queries.push(initials);  // wxy
                    else if (kind === 10 && longest.length >= 6) {  // a slip: two letters swapped (zhagnwei)
                        const k = 2 + Math.floor(rng() * (longest.length - 3));
                        queries.push(longest.slice(0, k) + longest[k + 1] + longest[k] + longest.slice(k + 2));
                    } else if (kind === 11 && digits(building.name) && h.unit && h.room) {  // 三号楼二单元501
                        queries.push(chinese(Number(digits(building.name))) + '号楼' + chinese(Number(digits(h.unit))) + '单元' + digits(h.room));
                    } else if (kind === 12 && h.unit && h.room) queries.push(digits(h.unit) + '单元' + digits(h.room));  // unit + room
                    else if (kind >= 8) queries.push(r.name);
                    else if (kind === 0) queries.push(r.name);
                    else if (kind === 1) queries.push(r.name[0]);
                    else if (kind === 2) queries.push(pinyin.sort((a, b) => b.length - a.length)[0] || r.name);
                    else if (kind === 3) queries.push(pinyin.sort((a, b) => a.length - b.length)[0] || r.name);
                    else if (kind === 4) queries.push(r.phone.slice(-4));
                    else if (kind === 5) queries.push(r.id_number.slice(-4));
                    else if (kind === 6) queries.push(h.address.replace('惠民社区', ''));
                    else queries.push(h.room);
                }
                const time = (fn) => queries.map(q => { const t = performance.now(); fn(q); return performance.now() - t; });
                const p = (xs, q) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.round(q * s.length) - 1)]; };
                let found = 0;
                const indexed = time(q => { found += GG.searchPeople(q).results.length ? 1 : 0; });
                const naive = time(q => residents.filter(r => r.name.includes(q) || (r.phone || '').endsWith(q)
                    || (GG.data.get('household', r.household_id) || {address: ''}).address.includes(q)).slice(0, 50));
                const round2 = (x) => Math.round(x * 100) / 100;
                return {queries: queries.length, with_results: found,
                        p50_ms: round2(p(indexed, 0.5)), p95_ms: round2(p(indexed, 0.95)), max_ms: round2(Math.max(...indexed)),
                        naive_p50_ms: round2(p(naive, 0.5)), naive_p95_ms: round2(p(naive, 0.95))};
            }"""
        )

        # 7. Queue writes offline, reconnect, drop the connection part-way, reconnect.
        page.evaluate(
            """async ({ids, queued, photos, png}) => {
                const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
                const edits = queued / 2;
                for (let i = 0; i < edits; i++) {
                    const r = GG.data.get('resident', ids[i]);
                    await GG.outbox.add('resident.update', {id: r.id, name: r.name, version: r.version,
                        changes: {note: '压测修改 ' + i}, before: {note: r.note}});
                }
                for (let i = 0; i < queued - edits; i++) {
                    const files = i < photos ? [new Blob([bytes], {type: 'image/png'})] : [];
                    await GG.outbox.add('event.report', {category: 'city.garbage', category_name: '垃圾堆放',
                        description: '压测上报 ' + i, address: '压测网格', lng: null, lat: null,
                        grid_id: GG.data.all('building')[0].grid_id}, files);
                }
            }""",
            {"ids": info["residents"], "queued": queued, "photos": photos, "png": _b64(PNG)},
        )
        waiting = page.evaluate("GG.store.countOutbox()")
        started = time.perf_counter()
        cdp.send("Network.emulateNetworkConditions", ONLINE)
        wait_outbox(page, queued // 2, timeout=120)
        cdp.send("Network.emulateNetworkConditions", OFFLINE)  # the signal goes, mid-way
        dropped_at = page.evaluate("GG.store.countOutbox()")
        page.wait_for_timeout(2000)
        cdp.send("Network.emulateNetworkConditions", ONLINE)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_outbox(page, 0, timeout=180)
        out["outbox"] = {
            "queued": waiting,
            "left_when_dropped": dropped_at,
            "sent_s": round(time.perf_counter() - started, 2),
            "sent_s_without_the_2s_drop": round(time.perf_counter() - started - 2, 2),
        }
        context.close()
    return out


def wait_outbox(page: Any, at_most: int, timeout: float) -> None:
    """Until the outbox holds at most `at_most` items (polled: the count is read from IndexedDB)."""
    deadline = time.monotonic() + timeout
    while page.evaluate("GG.store.countOutbox()") > at_most:
        if time.monotonic() > deadline:
            raise SystemExit(f"the outbox still holds more than {at_most} items after {timeout} s")
        time.sleep(0.02)


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def check_outbox(info: dict[str, Any], queued: int, photos: int) -> dict[str, Any]:
    import django

    django.setup()
    from gridgov.audit.models import AuditEntry
    from gridgov.events.models import Event, EventPhoto
    from gridgov.registry.models import Resident

    edits = queued // 2
    ids = info["residents"][:edits]
    events = Event.objects.filter(description__startswith="压测上报 ")
    notes = dict(Resident.objects.filter(pk__in=ids).values_list("pk", "note"))
    updates = AuditEntry.objects.filter(
        object_type="registry.resident", object_id__in=[str(i) for i in ids], action="update"
    ).count()
    return {
        "events": events.count(),
        "distinct_descriptions": events.values("description").distinct().count(),
        "photos": EventPhoto.objects.filter(event__in=events).count(),
        "edits_applied": sum(1 for i, pk in enumerate(ids) if notes.get(pk) == f"压测修改 {i}"),
        "edit_audit_rows": updates,
        "ok": events.count() == queued - edits
        and events.values("description").distinct().count() == queued - edits
        and EventPhoto.objects.filter(event__in=events).count() == photos
        and updates == edits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=1500)
    parser.add_argument("--queued", type=int, default=200)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--port", type=int, default=8161)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gridgov-bench-app-"))
    url = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    os.environ["MEDIA_ROOT"] = str(work / "media")
    t0 = time.perf_counter()
    info = build_database(args.residents, args.seed)
    say(
        f"built the database ({args.residents} residents in the bench grid) in {time.perf_counter() - t0:.0f} s"
    )
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "MEDIA_ROOT": str(work / "media")}
    server = start_server(args.port, workers=2, threads=4, env=env, log=work / "server.log", worker=True)
    base = f"http://127.0.0.1:{args.port}"
    try:
        results: dict[str, Any] = {"shell": shell_size(base)}
        token = issue_token(base)
        results["data"] = data_sizes(base, token)
        results["naive_sync_s"] = round(naive_sync(base, token), 2)
        results.update(browser_measures(base, work / "profile", info, args.queued, args.photos))
    finally:
        stop_server(server)
    results["outbox_check"] = check_outbox(info, args.queued, args.photos)
    print(json.dumps(results, ensure_ascii=False, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
