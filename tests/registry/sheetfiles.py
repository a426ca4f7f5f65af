"""Real spreadsheet files for the import tests, written by the programs' own libraries.

xlsx by openpyxl, old .xls (BIFF8) by xlwt, .ods by odfpy, CSV as Excel and WPS save it: UTF-8
with a BOM, plain GBK, UTF-16 with tabs. Cells keep their types (a number stays a number cell).
"""

import codecs
import csv
import datetime
import io

import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P
from openpyxl import Workbook


def xlsx(rows, header=None, before=(), sheets=None):
    """An .xlsx: `rows` under `header` (with rows above it), or several named sheets."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, content in (sheets or {"住户居民": (header, rows, before)}).items():
        sheet = workbook.create_sheet(name)
        sheet_header, sheet_rows, sheet_before = content
        for row in sheet_before:
            sheet.append(list(row))
        if sheet_header is not None:
            sheet.append(list(sheet_header))
        for row in sheet_rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls(rows, header):
    """An Excel 97-2003 .xls (BIFF8): numbers as number cells, dates as dates."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("住户居民")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods(rows, header):
    """An OpenDocument spreadsheet (.ods), as LibreOffice and WPS save it."""
    document = OpenDocumentSpreadsheet()
    table = Table(name="住户居民")
    for row in [header, *rows]:
        table_row = TableRow()
        for value in row:
            if value is None or value == "":
                cell = TableCell()
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cell = TableCell(valuetype="float", value=value)
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def csv_bytes(rows, header, encoding="utf-8-sig", delimiter=","):
    """CSV as Excel saves it: "CSV UTF-8" (utf-8-sig), "CSV" on Chinese Windows (gbk), or
    "Unicode 文本" (utf-16 with tabs)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    for row in [header, *rows]:
        writer.writerow(["" if v is None else v for v in row])
    if encoding == "utf-16":
        return codecs.BOM_UTF16_LE + text.getvalue().encode("utf-16-le")
    return text.getvalue().encode(encoding)
