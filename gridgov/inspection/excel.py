"""Inspection scores as an Excel workbook: one sheet per grid, one per worker, for a period."""

import io
from collections.abc import Iterable
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.inspection.selectors import ScoreRow

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(
    workbook: Workbook, title: str, heading: str, header: list[str], rows: Iterable[list[object]]
) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append([heading])
    sheet["A1"].font = Font(bold=True)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)


def _number(value: object) -> float | None:
    return float(value) if value is not None else None  # type: ignore[arg-type]


def scores_bytes(place: str, start: date, end: date, grids: list[ScoreRow], workers: list[ScoreRow]) -> bytes:
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    period = f"{place} {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    _sheet(
        workbook,
        "网格得分",
        f"{period} 督导检查网格得分",
        ["社区", "网格", "检查次数", "平均分", "最低分", "最高分", "待整改", "逾期未整改"],
        (
            [
                g.place,
                g.name,
                g.inspections,
                _number(g.mean),
                _number(g.lowest),
                _number(g.highest),
                g.open_rectifications,
                g.overdue,
            ]
            for g in grids
        ),
    )
    _sheet(
        workbook,
        "网格员得分",
        f"{period} 督导检查网格员得分",
        ["网格员", "网格", "检查次数", "平均分", "最低分", "最高分"],
        (
            [w.name, w.place, w.inspections, _number(w.mean), _number(w.lowest), _number(w.highest)]
            for w in workers
        ),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
