"""Reading the spreadsheet a clerk uploads, whatever it was saved as.

.xlsx/.xlsm/.xlsb, old .xls and .ods are read by python-calamine (its public API: every visible
worksheet, cached formula results, dates as dates, numbers as numbers); .csv and .txt are
decoded as Excel and WPS save them: UTF-8 with or without BOM ("CSV UTF-8"), UTF-16 with BOM
(Excel's "Unicode 文本", tab-separated) and GB18030/GBK (plain "CSV" on a Chinese Windows).
The format is told from the content, not from the file name, so a renamed file still reads.

Every sheet comes out as rows of cell values in which row i is the spreadsheet's row i + 1 and
column j its column letter `column_letter(j)`, so every message can point at the very cell.
"""

import codecs
import csv
import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# What the parts of an .xlsx/.ods may unpack to: a 10 MB sheet of 100,000 residents unpacks to
# about 56 MB; a "zip bomb" of a few kilobytes could claim gigabytes of memory.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
# What the upload form and the API say they take.
ACCEPTED = ".xlsx,.xlsm,.xlsb,.xls,.ods,.csv,.txt"
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_FORMULA_TEXT = re.compile(r'^="(.*)"$')  # ="150105…": how some systems keep digits as text in CSV


class ExcelFileError(Exception):
    """The upload as a whole is unusable (too big, not a spreadsheet, no header row)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class RawSheet:
    name: str
    rows: Iterator[list[Any]]  # from the sheet's first row: row i is spreadsheet row i + 1


def column_letter(index: int) -> str:
    """The spreadsheet's letter of a 0-based column index (0 → A, 26 → AA)."""
    return get_column_letter(index + 1)


def too_big(size: int) -> ExcelFileError:
    megabytes = math.ceil(size / 1024 / 1024 * 10) / 10
    return ExcelFileError(f"文件太大（{megabytes:.1f} MB），上限 10 MB；请按网格或楼栋拆分成多个文件", 413)


def check_upload(size: int) -> None:
    """Refuse what is too big or empty before reading it."""
    if size > MAX_UPLOAD_BYTES:
        raise too_big(size)
    if size == 0:
        raise ExcelFileError("文件是空的")


def read_sheets(source: IO[bytes], name: str = "") -> list[RawSheet]:
    """The visible worksheets of a spreadsheet file, or the one table of a CSV file."""
    source.seek(0)
    content = source.read(MAX_UPLOAD_BYTES + 1)
    check_upload(len(content))
    if content.startswith((_ZIP, _OLE)):
        return _workbook_sheets(content)
    return [RawSheet(Path(name).stem or "CSV", _csv_rows(_decode(content, name)))]


def _workbook_sheets(content: bytes) -> list[RawSheet]:
    if content.startswith(_ZIP):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError):
            raise ExcelFileError(
                "无法读取该表格文件（文件已损坏）；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
            ) from None
        if unpacked > MAX_UNPACKED_BYTES:
            raise ExcelFileError("文件解压后过大，无法读取；请按网格或楼栋拆分成多个文件", 413)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = []
        for meta in workbook.sheets_metadata:
            if meta.visible != SheetVisibleEnum.Visible or meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheets.append(RawSheet(meta.name, _calamine_rows(workbook.get_sheet_by_name(meta.name))))
    except PasswordError:
        raise ExcelFileError("文件设置了打开密码；请在 Excel 中取消密码后另存，再上传") from None
    except CalamineError as exc:
        encrypted = content.startswith(_OLE) and b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00" in content[:65536]
        if encrypted:
            raise ExcelFileError("文件设置了打开密码；请在 Excel 中取消密码后另存，再上传") from None
        raise ExcelFileError(
            f"无法读取该表格文件（{type(exc).__name__}）；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
        ) from None
    if not sheets:
        raise ExcelFileError("文件中没有可见的工作表")
    return sheets


def _calamine_rows(sheet: Any) -> Iterator[list[Any]]:
    """calamine yields rows from the sheet's first row, but columns from the first used column."""
    start = sheet.start
    pad = [""] * start[1] if start else []
    try:
        for row in sheet.iter_rows():
            yield pad + row if pad else row
    except CalamineError as exc:
        raise ExcelFileError(f"无法读取该表格文件（{type(exc).__name__}）；请另存为 .xlsx 再上传") from None


def _decode(content: bytes, name: str) -> str:
    """Text as Excel, WPS and other systems save CSV in China; anything else is refused."""
    if content.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        head = text.lstrip()[:200].lower()
        if head.startswith(("<html", "<!doctype", "<table", "<?xml", "<meta")):
            raise ExcelFileError(
                f"“{name}”是网页或 XML 格式的表格（常见于从其他系统导出的 .xls）；"
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
            )
        return text
    raise ExcelFileError(
        f"“{name}”不是 Excel、WPS、ODS 或 CSV 表格文件；请上传 .xlsx、.xls、.ods 或 .csv 文件"
    )


def _csv_rows(text: str) -> Iterator[list[Any]]:
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        yield [_csv_cell(value) for value in row]


def _csv_cell(value: str) -> str:
    match = _FORMULA_TEXT.match(value)
    return match[1] if match else value
