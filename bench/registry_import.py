"""Write a large registry import file for measuring `gridgov import` (see docs/performance.md).

    .venv/bin/python bench/registry_import.py /tmp/import-100k.xlsx --rows 100000
    .venv/bin/python bench/registry_import.py /tmp/import-100k.csv --rows 100000   # GBK CSV
    .venv/bin/python bench/registry_import.py /tmp/import-100k.xlsx --read         # time the readers

`--read` writes nothing: it times reading the file's rows the import's way (python-calamine,
gridgov.registry.importing.Table) and the naive way (openpyxl's read-only workbook, public API).

Rows use the grid's buildings ("1号楼" …) from unit 51 up (clear of the demo population's
households), two to four residents per household, valid and unique ID numbers (Hohhot area
codes), phones, ethnicities and care tags.
"""

import argparse
import csv
import datetime
import os
import random
import time

from openpyxl import Workbook, load_workbook
from stdnum.cn import ric

HEADER = ["楼栋编码", "单元", "室", "户类型", "姓名", "身份证号", "与户主关系", "电话", "民族", "关爱标签"]
AREAS = ["150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124", "150125"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然思雨欣怡子轩梓涵"
RELATIONS = ["户主", "配偶", "子女", "父母"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--buildings", type=int, default=4, help="buildings of the grid (1号楼 … N号楼)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--areas",
        default=",".join(AREAS),
        help="area codes of the ID numbers (another set makes a second file that cannot clash)",
    )
    parser.add_argument("--read", action="store_true", help="time reading an existing file instead")
    args = parser.parse_args()
    if args.read:
        compare_readers(args.path)
        return
    rng = random.Random(args.seed)
    areas = args.areas.split(",")
    # A normal workbook writes shared strings, as Excel does (write-only mode writes inline strings).
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "住户居民"
    sheet.append(HEADER)
    rows: list[list[str]] = []
    used: set[str] = set()
    written, household = 0, 0
    start = datetime.date(1930, 1, 1)
    while written < args.rows:
        household += 1
        building = household % args.buildings + 1
        unit, room = household // 2000 + 51, household % 2000 + 1
        for member in range(min(rng.randint(2, 4), args.rows - written)):
            while True:
                birth = start + datetime.timedelta(days=rng.randint(0, 32000))
                body = f"{rng.choice(areas)}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
                number = body + ric.calc_check_digit(body + "0")
                if number not in used:
                    used.add(number)
                    break
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            phone = f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.8 else ""
            tags = "60岁以上" if birth.year < 1964 else ("低保" if rng.random() < 0.03 else "")
            row = [
                f"{building}号楼",
                str(unit),
                str(room),
                "户籍户",
                name,
                number,
                RELATIONS[min(member, 3)],
                phone,
                "蒙古族" if rng.random() < 0.12 else "汉族",
                tags,
            ]
            rows.append(row)
            written += 1
    if args.path.endswith(".csv"):
        # "CSV" as Excel saves it on a Chinese Windows: GBK, CRLF.
        with open(args.path, "w", encoding="gbk", newline="") as handle:
            csv.writer(handle, lineterminator="\r\n").writerows([HEADER, *rows])
    else:
        for row in rows:
            sheet.append(row)
        workbook.save(args.path)
    print(f"{written} rows, {household} households → {args.path}")


def compare_readers(path: str) -> None:
    """Rows of the file by the import's reader and by openpyxl's public read-only API."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from gridgov.registry.importing import Table

    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as handle:
        count = sum(1 for _ in Table(handle, path).rows())
    ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"python-calamine (gridgov.registry.importing.Table): {count} rows in {ours:.1f} s ({ours_cpu:.1f} s CPU)"
    )
    if path.endswith(".csv"):
        return
    started, cpu = time.perf_counter(), time.process_time()
    workbook = load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for row in workbook.worksheets[0].iter_rows(values_only=True) if any(row)) - 1
    workbook.close()
    naive, naive_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"openpyxl read-only workbook (public API): {count} rows in {naive:.1f} s ({naive_cpu:.1f} s CPU)")


if __name__ == "__main__":
    main()
