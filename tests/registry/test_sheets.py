import codecs
import datetime
import io

import pytest

from gridgov.registry.sheets import ExcelFileError, column_letter, read_sheets
from tests.registry import sheetfiles

HEADER = ["姓名", "身份证号", "电话", "出生日期"]
ROWS = [
    ["王建国", "150105195501011234", 13811112222, datetime.date(1955, 1, 1)],
    ["其其格", "150105199009091240", "", ""],
]


def rows_of(content, name="x"):
    (sheet,) = read_sheets(io.BytesIO(content), name)
    return sheet.name, list(sheet.rows)


@pytest.mark.parametrize("make", [sheetfiles.xlsx, sheetfiles.xls, sheetfiles.ods])
def test_spreadsheet_formats_keep_cell_types(make):
    name, rows = rows_of(make(ROWS, HEADER))
    assert name == "住户居民"
    assert rows[0] == HEADER
    assert rows[1][0] == "王建国"
    assert rows[1][1] == "150105195501011234"  # a text cell stays text, all 18 digits
    assert rows[1][2] == 13811112222  # a number cell stays a number
    assert rows[2][0] == "其其格"


def test_xls_and_xlsx_dates_are_dates():
    for make in (sheetfiles.xlsx, sheetfiles.xls):
        _name, rows = rows_of(make(ROWS, HEADER))
        assert rows[1][3] in (datetime.date(1955, 1, 1), datetime.datetime(1955, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("utf-8", ","), ("gbk", ","), ("gb18030", ";"), ("utf-16", "\t")],
)
def test_csv_as_excel_and_wps_save_it(encoding, delimiter):
    content = sheetfiles.csv_bytes(ROWS, HEADER, encoding=encoding, delimiter=delimiter)
    name, rows = rows_of(content, "惠民社区.csv")
    assert name == "惠民社区"
    assert rows[0] == HEADER  # no BOM left on the first header
    assert rows[1][:3] == ["王建国", "150105195501011234", "13811112222"]
    assert rows[2][0] == "其其格"


def test_gbk_csv_with_rare_characters_and_formula_text():
    text = '姓名,身份证号\r\n"喆䶮",="150105199009091240"\r\n'
    _name, rows = rows_of(text.encode("gb18030"))
    assert rows[1] == ["喆䶮", "150105199009091240"]


def test_sheet_starting_right_of_column_a_keeps_its_letters():
    content = sheetfiles.xlsx([], None, before=[[None, None, "姓名", "身份证号"], [None, None, "张三", "x"]])
    _name, rows = rows_of(content)
    assert rows[0][2:] == ["姓名", "身份证号"]
    assert column_letter(2) == "C"
    assert column_letter(26) == "AA"


def test_hidden_sheets_are_not_read():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "可见"
    workbook.active.append(["姓名"])
    hidden = workbook.create_sheet("隐藏")
    hidden.append(["姓名"])
    hidden.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert [s.name for s in read_sheets(io.BytesIO(buffer.getvalue()))] == ["可见"]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"", "空的"),
        (b"PK\x03\x04" + b"\x00" * (10 * 1024 * 1024), "上限 10 MB"),
        (b"PK\x03\x04not a zip", "无法读取"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "无法读取"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是 Excel"),
        (bytes(range(256)), "不是 Excel"),
        ("<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode(), "网页"),
        (codecs.BOM_UTF8 + b'<?xml version="1.0"?><Workbook/>', "XML"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(content, text):
    with pytest.raises(ExcelFileError) as exc:
        read_sheets(io.BytesIO(content), "upload.xls")
    assert text in exc.value.message
    assert exc.value.status in (400, 413)


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    import zipfile

    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(450):
            part.write(chunk)
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(ExcelFileError) as exc:
        read_sheets(io.BytesIO(buffer.getvalue()), "bomb.xlsx")
    assert exc.value.status == 413
    assert "解压后过大" in exc.value.message
