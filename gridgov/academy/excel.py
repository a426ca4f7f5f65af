"""The training-hours report as an Excel workbook: one row per worker, who is below first."""

import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.academy.selectors import HoursRow
from gridgov.hierarchy.models import Node

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def hours_bytes(node: Node, year: int, rows: list[HoursRow]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "培训学时"
    sheet.append([f"{node.name}{year}年度专职网格员培训学时"])
    sheet["A1"].font = Font(bold=True)
    sheet.append(["姓名", "网格", "学时", "最低要求", "差额", "是否达标"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                row.worker.name,
                row.worker.grid.name,
                float(row.hours),
                float(row.required),
                float(row.required - row.hours) if row.below else 0.0,
                "未达标" if row.below else "达标",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def hours_response(node: Node, year: int, rows: list[HoursRow]) -> HttpResponse:
    response = HttpResponse(hours_bytes(node, year, rows), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="training-hours-{node.code}-{year}.xlsx"'
    return response
