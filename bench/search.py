"""Keyword-search benchmark on city-scale data (see docs/performance.md, "Search").

A fixed mix of queries — 2- and 3-character names, a surname, full pinyin, initials, a phone's
last 4 digits, ID-number fragments (last 4 with X, last 6), addresses, and as grid workers type
them: names with separators, surname + initials, characters and letters mixed or a half-typed
syllable, everyday readings of polyphonic surnames, one-letter typos, addresses in every
notation (3#2-501, Chinese numerals, unit and room alone) — at grid (gaobo),
community (huimin_admin), county (saihan_admin) and city (city_admin) scope, each through the REAL
search selector (`gridgov.search.selectors.search`: parsing, scope, index lookups tier by tier,
loading the page's residents and households, decrypting and masking). For comparison, the same
query as a plain `LIKE '%…%'` scan on the same database and scope (the resident's name, or the
household's address for address queries), limited to one page like the search.

    DATABASE_URL=sqlite:////tmp/city.sqlite3 gridgov migrate
    DATABASE_URL=sqlite:////tmp/city.sqlite3 gridgov seed --scale city
    DATABASE_URL=sqlite:////tmp/city.sqlite3 .venv/bin/python bench/search.py --json

Target: p95 ≤ 20 ms for every kind at every scope, on SQLite and PostgreSQL.
"""

import argparse
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

from django.db import connection  # noqa: E402

from gridgov.accounts.models import User  # noqa: E402
from gridgov.accounts.roles import Cap  # noqa: E402
from gridgov.accounts.scope import scope_of  # noqa: E402
from gridgov.registry.models import Resident  # noqa: E402
from gridgov.search.selectors import PAGE_SIZE, search  # noqa: E402

SCOPES = {"grid": "gaobo", "community": "huimin_admin", "county": "saihan_admin", "city": "city_admin"}
# kind → (queries, what a LIKE scan would search: resident names or household addresses)
MIX: dict[str, tuple[list[str], str]] = {
    "name2": (["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄丽"], "name"),
    "name3": (["王建国", "李秀英", "张志强", "刘海燕", "陈晓东", "杨丽娟", "赵建华", "周玉兰"], "name"),
    "surname": (["张", "王", "李", "单", "曾"], "name"),
    "pinyin": (["zhangwei", "wangfang", "lina", "liuyang", "chenjing", "shanlijuan"], "name"),
    "initials": (["zw", "wf", "ln", "ly", "cj", "wjg"], "name"),
    "phone_tail": (["1234", "5678", "0000", "8888", "2468", "9527"], "name"),
    "id_fragment": (["601X", "1234", "150321", "06601X", "010611"], "name"),
    "address": (["3栋2单元", "5号楼1单元301", "2-1-101", "3号楼", "惠民社区3号楼"], "address"),
    # How grid workers type (issue 10):
    "separator": (["额尔敦·其其格", "斯琴・高娃", "乌云.毕力格", "王．芳", "李 娜", "张•伟"], "name"),
    "surname_initials": (["王xy", "张w", "刘yy", "李j", "欧阳n", "wangxy", "zhangw", "chenj"], "name"),
    "mixed_partial": (["zhang伟", "王xiaoy", "wangxiaoy", "zhangwe", "liuya", "陈jing"], "name"),
    "polyphonic": (["danli", "lujia", "lvjia", "cengguoqiang", "letian", "chouxiaoyan", "quming"], "name"),
    "typo": (["zhagnwei", "wnagfang", "zhngwei", "lnia", "liuyagn", "chenjnig", "wangxiaoyuu"], "name"),
    "address_typed": (
        ["3#2-501", "三号楼二单元五零一", "2单元501", "3号楼501", "3栋2单元501室", "惠民社区3#1-101"],
        "address",
    ),
}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def like_sql(target: str) -> str:
    """The scan a naive search runs; the scope filter uses the path index as the app does (GLOB on SQLite)."""
    table, column = (
        ("registry_household", "address") if target == "address" else ("registry_resident", "name")
    )
    scope = "path GLOB %s" if connection.vendor == "sqlite" else "path LIKE %s"
    return f"SELECT id FROM {table} WHERE {column} LIKE %s ESCAPE '!' AND {scope} LIMIT {PAGE_SIZE + 1}"


def like_once(target: str, query: str, root: str) -> float:
    pattern = "%" + query.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(like_sql(target), [pattern, root + ("*" if connection.vendor == "sqlite" else "%")])
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def search_once(user: Any, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    page = search(user, query)
    return (time.perf_counter() - started) * 1000, len(page.results)


def run(repeat: int, like_repeat: int) -> dict[str, Any]:
    users = {scope: User.objects.get(username=name) for scope, name in SCOPES.items()}
    roots = {scope: (scope_of(u, Cap.VIEW).roots or ("",))[0] for scope, u in users.items()}
    results = []
    for kind, (queries, target) in MIX.items():
        for scope, user in users.items():
            samples: list[float] = []
            likes: list[float] = []
            found = 0
            for query in queries:
                search_once(user, query)  # warm: first use of this query's pages
                for _ in range(repeat):
                    elapsed, count = search_once(user, query)
                    samples.append(elapsed)
                found += count
                for _ in range(like_repeat):
                    likes.append(like_once(target, query, roots[scope]))
            results.append(
                {
                    "kind": kind,
                    "scope": scope,
                    "queries": len(samples),
                    "p50_ms": round(statistics.median(samples), 2),
                    "p95_ms": round(percentile(samples, 95), 2),
                    "p99_ms": round(percentile(samples, 99), 2),
                    "max_ms": round(max(samples), 2),
                    "like_p95_ms": round(percentile(likes, 95), 2),
                    "ratio": round(percentile(likes, 95) / max(percentile(samples, 95), 0.01), 1),
                    "avg_results": round(found / len(queries), 1),
                }
            )
    return {"backend": backend(), "residents": Resident.objects.count(), "repeat": repeat, "results": results}


def backend() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"sqlite {cursor.fetchone()[0]}"
        cursor.execute("SHOW server_version")
        return f"postgresql {cursor.fetchone()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=10, help="timed runs of each query per scope (default 10)"
    )
    parser.add_argument("--like-repeat", type=int, default=2, help="timed LIKE scans of each query per scope")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    report = run(args.repeat, args.like_repeat)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"search — {report['backend']}, {report['residents']:,} residents")
    for column in (
        "kind",
        "scope",
        "n",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "LIKE p95 ms",
        "LIKE/search",
        "results",
    ):
        table.add_column(column, justify="left" if column in ("kind", "scope") else "right")
    for r in report["results"]:
        flag = "" if r["p95_ms"] <= 20 else " ✗"
        table.add_row(
            r["kind"],
            r["scope"],
            str(r["queries"]),
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}{flag}",
            f"{r['p99_ms']:.1f}",
            f"{r['max_ms']:.1f}",
            f"{r['like_p95_ms']:.1f}",
            f"{r['ratio']:.0f}×",
            f"{r['avg_results']:.0f}",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
