"""The budget as an Excel workbook: the figures by grade, the totals, and the parameters used."""

import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from gridgov.workforce.budget import ITEM_NAMES, ITEMS, Budget

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def budget_bytes(result: Budget, county_name: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "预算"
    sheet.append([f"{county_name}{result.year}年度专职网格员薪酬预算（元）"])
    sheet["A1"].font = Font(bold=True)
    header = ["档次", "人数", "月薪酬", "缴费基数", *(f"{ITEM_NAMES[i]}（人·月）" for i in ITEMS), "全年薪酬"]
    header += [f"{ITEM_NAMES[i]}（全年）" for i in ITEMS] + ["单位缴费合计", "全年合计"]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line in result.lines:
        sheet.append(
            [
                line.grade,
                line.headcount,
                line.monthly_pay,
                line.base,
                *(line.monthly[i] for i in ITEMS),
                line.annual_pay,
            ]
            + [line.annual[i] for i in ITEMS]
            + [line.annual_employer, line.annual_total]
        )
    sheet.append(
        ["合计", result.headcount, None, None, *([None] * len(ITEMS)), result.annual_pay]
        + [result.annual(i) for i in ITEMS]
        + [result.annual_employer, result.annual_total]
    )
    for row in sheet.iter_rows(min_row=3, min_col=3):
        for cell in row:
            cell.number_format = "#,##0.00"
    params = workbook.create_sheet("参数")
    params.append(["缴费基数下限（元/月）", result.params.base_floor])
    params.append(["缴费基数上限（元/月）", result.params.base_ceiling])
    for item in ITEMS:
        params.append([f"{ITEM_NAMES[item]}单位费率", result.params.rate(item)])
    params.append(
        [
            "说明",
            "缴费基数为月薪酬，低于下限按下限、高于上限按上限；各项按人·月四舍五入到分，乘以12个月和人数。",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def budget_response(result: Budget, county_name: str) -> HttpResponse:
    response = HttpResponse(budget_bytes(result, county_name), content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="budget-{result.county_code}-{result.year}.xlsx"'
    return response
