"""Excel import and export of households and residents.

Import: one grid at a time. A dry run lists every bad row (row number, column, problem, how to
fix); a commit stores every row or, if any row is bad, none. It copes with what real sheets
contain: ID numbers stored as numbers (an 18-digit number kept as 1.50102E+17 has lost its last
digits: that row is reported), full-width digits and spaces, 15-digit legacy numbers, duplicates
inside the file and against the database, a title row or two-row headers made of merged cells,
blank rows, and family rows whose address cells were merged (blank below the first member).
Files are read with openpyxl's read-only mode; rows are validated in Python and written with
bulk_create in batches, then the search index is rebuilt once for the new households.

Export: the residents of a subtree, masked by role (full ID numbers and phones only for users
with SEE_PII who ask for them), special tags only for users granted them; audited.
"""

import contextlib
import datetime
import io
import itertools
import math
import os
import re
import secrets
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.functions import iterparse

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, get_visible_or_404, scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.crypto import encrypt
from gridgov.hierarchy.models import Level, Node
from gridgov.mobile.changes import log_rows
from gridgov.registry import bulk, pii
from gridgov.registry.choices import (
    CareTag,
    HouseholdStatus,
    LifeEventKind,
    Relation,
    ResidenceStatus,
    SpecialTag,
)
from gridgov.registry.masking import mask_id_number, mask_phone
from gridgov.registry.models import Household, LifeEvent, Resident
from gridgov.registry.rules import ACTIVE_STATUSES, household_address, may_see_special
from gridgov.registry.validation import (
    Phone,
    check_against_id,
    parse_care_tags,
    parse_date,
    parse_ethnicity,
    parse_household_kind,
    parse_id_number,
    parse_name,
    parse_optional_phone,
    parse_relation,
    parse_residence_status,
    parse_sex,
    parse_special_tags,
    parse_unit_room,
    to_halfwidth,
)
from gridgov.search.index import NewHousehold, NewResident, index_new_records

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_SCAN_ROWS = 20


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    fix: str
    aliases: tuple[str, ...] = ()
    width: int = 12


COLUMNS: list[Column] = [
    Column(
        "building",
        "楼栋编码",
        True,
        "填写本网格楼栋的 18 位编码，或楼号如“3号楼”“3”",
        ("楼栋", "楼栋号", "楼号", "楼栋编号", "楼宇", "栋"),
        20,
    ),
    Column("unit", "单元", False, "填写单元号，如“2”或“2单元”", ("单元号",), 8),
    Column("room", "室", False, "填写房号，如“301”", ("房号", "门牌号", "室号", "房间号"), 8),
    Column("kind", "户类型", False, "填写“户籍户”“流动户”或“出租户”", ("户别", "类型"), 10),
    Column("name", "姓名", True, "填写居民姓名", ("居民姓名", "成员姓名"), 10),
    Column(
        "id_number",
        "身份证号",
        True,
        "填写 18 位身份证号（15 位旧号码会自动转换）；若 Excel 显示为 1.50102E+17，请把该列设为“文本”格式后重新输入",
        ("身份证号码", "公民身份号码", "身份证", "证件号码"),
        22,
    ),
    Column("relation", "与户主关系", False, "填写“户主”“配偶”“子女”“父母”等", ("关系", "与户主的关系"), 10),
    Column(
        "phone",
        "电话",
        False,
        "手机填 11 位，座机填“区号-号码”如 0471-6123456",
        ("联系电话", "手机", "手机号", "电话号码"),
        16,
    ),
    Column("ethnicity", "民族", False, "填写 56 个民族之一，如“汉族”“蒙古族”", (), 8),
    Column(
        "care_tags",
        "关爱标签",
        False,
        "可填多个，用顿号分隔：" + "、".join(str(c.label) for c in CareTag),
        ("关爱对象", "标签"),
        16,
    ),
    Column(
        "special_tags",
        "特殊人群标签",
        False,
        "可填：" + "、".join(str(c.label) for c in SpecialTag),
        ("特殊人群",),
        14,
    ),
    Column(
        "birth_date",
        "出生日期",
        False,
        "可不填（按身份证号自动计算）；若填写须与身份证号一致，格式 1990-01-02",
        ("出生年月", "生日"),
        12,
    ),
    Column("sex", "性别", False, "可不填（按身份证号自动计算）；若填写须与身份证号一致", (), 6),
    Column("status", "居住状态", False, "填写“在住”或“外出”", ("状态",), 10),
    Column("note", "备注", False, "", ("说明",), 20),
]
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
_HEADER_CLEAN = re.compile(r"[\s*＊:：()（）\[\]【】]|必填|选填")
_HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        _HEADER_LOOKUP[_HEADER_CLEAN.sub("", _name)] = _column.key


class ExcelFileError(Exception):
    """The upload as a whole is unusable (too big, not .xlsx, no header row)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class RowError:
    row: int
    column: str
    problem: str
    fix: str


@dataclass
class ImportReport:
    committed: bool = False
    rows: int = 0
    households: int = 0
    residents: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "committed": self.committed,
            "rows": self.rows,
            "households": self.households,
            "residents": self.residents,
            "errors": [asdict(e) for e in self.errors],
        }

    def add(self, row: int, key: str, problem: str, fix: str | None = None) -> None:
        column = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else key
        self.errors.append(
            RowError(
                row,
                column,
                problem,
                COLUMN_BY_KEY[key].fix if fix is None and key in COLUMN_BY_KEY else (fix or ""),
            )
        )


# --- reading ------------------------------------------------------------------------------------


def _too_big(size: int) -> ExcelFileError:
    megabytes = math.ceil(size / 1024 / 1024 * 10) / 10
    return ExcelFileError(f"文件太大（{megabytes:.1f} MB），上限 10 MB；请按网格或楼栋拆分成多个文件", 413)


def check_upload(name: str, size: int, head: bytes) -> None:
    """Refuse what is not a usable .xlsx before parsing it."""
    if size > MAX_UPLOAD_BYTES:
        raise _too_big(size)
    if size == 0:
        raise ExcelFileError("文件是空的")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ExcelFileError("这是旧版 Excel（.xls）文件；请在 Excel 中“另存为”.xlsx 格式后再上传")
    if not head.startswith(b"PK\x03\x04"):
        raise ExcelFileError(f"“{name}”不是 Excel（.xlsx）文件；请上传用模板填写的 .xlsx 文件")


def _open_workbook(source: IO[bytes]) -> Any:
    try:
        return load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ExcelFileError(
            f"无法读取该 Excel 文件（{type(exc).__name__}）；请确认是 .xlsx 格式且未加密"
        ) from None


def _header_key(value: Any) -> str | None:
    if value is None:
        return None
    return _HEADER_LOOKUP.get(_HEADER_CLEAN.sub("", str(value)))


def _find_header(rows: list[tuple[int, tuple[Any, ...]]]) -> tuple[int, dict[int, str]]:
    """(position of the header row in `rows`, {column index: key}). A title row above, or a
    two-row header whose upper cells are merged (e.g. "户信息" over 楼栋编码/单元/室, or "姓名"
    merged down), is handled by taking unrecognised columns from the row above."""
    best, best_index = -1, -1
    for index, (_number, row) in enumerate(rows):
        found = sum(1 for value in row if _header_key(value))
        if found > best:
            best, best_index = found, index
    if best < 2:
        raise ExcelFileError("找不到表头：前 20 行中没有“姓名”“身份证号”等列名；请使用下载的模板")
    mapping: dict[int, str] = {}
    header = rows[best_index][1]
    above = rows[best_index - 1][1] if best_index > 0 else ()
    for col, value in enumerate(header):
        key = _header_key(value) or (_header_key(above[col]) if col < len(above) else None)
        if key and key not in mapping.values():
            mapping[col] = key
    missing = [
        COLUMN_BY_KEY[k].header for k in ("building", "name", "id_number") if k not in mapping.values()
    ]
    if missing:
        raise ExcelFileError(f"表头缺少必需的列：{'、'.join(missing)}；请使用下载的模板")
    return best_index, mapping


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _VALUE, _TEXT = f"{_NS}row", f"{_NS}v", f"{_NS}t"


@lru_cache(maxsize=1024)
def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _cell_value(cell: Any, shared: Any, epoch: Any, date_formats: Any) -> Any:
    """A <c> element's value, converted as openpyxl's read-only reader does (data_only)."""
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(_TEXT)) or None
    text = cell.findtext(_VALUE)
    if not text:
        return None
    if kind == "s":
        return shared[int(text)]
    if kind == "n":
        number: Any = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
        style = cell.get("s")
        if style and int(style) in date_formats:
            try:
                return from_excel(number, epoch)
            except (OverflowError, ValueError):
                return number
        return number
    if kind == "b":
        return text == "1"
    if kind == "d":
        return from_ISO8601(text)
    return text  # "str" (formula result) and "e" (error)


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(Excel row number, cell values) of a read-only worksheet's non-empty rows.

    openpyxl opens the workbook (shared strings, date styles, which file is the first sheet);
    the rows are then read from the sheet's XML with a lean per-cell path, because openpyxl's
    generic one (a dict and a coordinate parse per cell) doubled the time of a 100,000-row import.
    """
    get_source = getattr(sheet, "_get_source", None)
    shared = getattr(sheet, "_shared_strings", None)
    if get_source is None or shared is None:  # not openpyxl's read-only worksheet: the public API
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        return
    epoch, date_formats = sheet.parent.epoch, sheet.parent._date_formats
    with get_source() as source:
        number = 0
        for _event, element in iterparse(source):
            if element.tag != _ROW:
                continue
            ref = element.get("r")
            number = int(ref) if ref else number + 1
            values: list[Any] = []
            for cell in element:
                coordinate = cell.get("r")
                if coordinate:
                    index = _column_index(coordinate.rstrip("0123456789"))
                    if index > len(values):
                        values.extend([None] * (index - len(values)))
                values.append(_cell_value(cell, shared, epoch, date_formats))
            element.clear()
            yield number, tuple(values)


def read_rows(source: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, {key: cell value}) for every non-blank data row of the first sheet."""
    workbook = _open_workbook(source)
    try:
        rows = _sheet_rows(workbook.worksheets[0])
        head: list[tuple[int, tuple[Any, ...]]] = []
        for item in rows:
            head.append(item)
            if len(head) >= HEADER_SCAN_ROWS:
                break
        header_index, mapping = _find_header(head)
        for number, row in itertools.chain(head[header_index + 1 :], rows):
            values = {key: row[col] if col < len(row) else None for col, key in mapping.items()}
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
                continue
            yield number, values
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as exc:
        raise ExcelFileError(
            f"无法读取该 Excel 文件（{type(exc).__name__}）；请确认是 .xlsx 格式且未加密"
        ) from None
    finally:
        workbook.close()


def id_cell_text(value: Any) -> str:
    """An ID-number cell as text; a number that has lost digits raises ValidationError."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))  # a 15-digit legacy number survives as a number
        raise ValidationError(
            {
                "id_number": f"身份证号以数字格式保存（Excel 显示为 {value:.5E}），只保留了 15 位有效数字，"
                "后几位已经丢失，无法恢复"
            }
        )
    return str(value)


# --- building lookup ----------------------------------------------------------------------------


class BuildingFinder:
    """A building of the grid from what people write: the 18-digit code, "3号楼", "3栋", "3"."""

    def __init__(self, grid: Node) -> None:
        self.grid = grid
        self.by_key: dict[str, Node] = {}
        for building in Node.objects.filter(parent=grid, level=Level.BUILDING):
            self.by_key[building.code] = building
            self.by_key[building.name] = building
            self.by_key[str(int(building.code[-3:]))] = building

    def find(self, raw: Any) -> Node | None:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = to_halfwidth(str(raw or ""))
        if not text:
            return None
        if text in self.by_key:
            return self.by_key[text]
        short = re.sub(r"(号楼|号|栋|幢|楼)$", "", text)
        return self.by_key.get(short) or self.by_key.get(f"{short}号楼")


# --- import -------------------------------------------------------------------------------------


@dataclass
class _Person:
    row: int
    household_key: tuple[int, str, str]
    kind: str
    name: str
    id_number: str
    id_hash: str
    birth_date: datetime.date
    sex: str
    phone: Phone | None
    ethnicity: str
    relation: str
    status: str
    care_tags: list[str]
    special_tags: list[str]
    note: str


def _clean_row(
    number: int,
    values: dict[str, Any],
    finder: BuildingFinder,
    special_allowed: bool,
    report: ImportReport,
    previous_address: tuple[Any, Any, Any] | None,
) -> _Person | None:
    """Validate every cell of one row; every problem goes to the report (not just the first)."""
    bad = len(report.errors)

    def attempt(key: str, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                for message in messages:
                    report.add(number, key, message)
            return None

    address = (values.get("building"), values.get("unit"), values.get("room"))
    if all(v is None or str(v).strip() == "" for v in address) and previous_address is not None:
        address = previous_address  # family members below a merged address cell
    building = finder.find(address[0])
    if building is None:
        if address[0] is None or str(address[0]).strip() == "":
            report.add(number, "building", "楼栋为空")
        else:
            report.add(number, "building", f"楼栋“{address[0]}”不在网格 {finder.grid.name} 中")
    unit = attempt("unit", lambda: parse_unit_room(address[1], field="unit", what="单元")) or ""
    room = attempt("room", lambda: parse_unit_room(address[2], field="room", what="室")) or ""
    kind = attempt("kind", parse_household_kind, values.get("kind"))
    name = attempt("name", parse_name, values.get("name"))
    identity = attempt("id_number", lambda: parse_id_number(id_cell_text(values.get("id_number"))))
    birth = attempt("birth_date", parse_date, values.get("birth_date"))
    sex = attempt("sex", parse_sex, values.get("sex"))
    if identity is not None:
        attempt(
            "birth_date" if birth else "sex",
            lambda: check_against_id(identity, birth_date=birth, sex=sex or ""),
        )
    phone = attempt("phone", parse_optional_phone, values.get("phone"))
    ethnicity = attempt("ethnicity", parse_ethnicity, values.get("ethnicity"))
    relation = attempt("relation", parse_relation, values.get("relation"))
    status = attempt("status", lambda: parse_residence_status(values.get("status"), allowed=ACTIVE_STATUSES))
    care = attempt("care_tags", parse_care_tags, values.get("care_tags"))
    special = (
        attempt("special_tags", parse_special_tags, values.get("special_tags")) if special_allowed else []
    )
    if len(report.errors) > bad or building is None or identity is None:
        return None
    return _Person(
        row=number,
        household_key=(building.pk, unit, room),
        kind=kind,
        name=name,
        id_number=identity.value,
        id_hash=pii.id_number_hash(identity.value),
        birth_date=identity.birth_date,
        sex=identity.sex,
        phone=phone,
        ethnicity=ethnicity or "",
        relation=relation,
        status=status,
        care_tags=care or [],
        special_tags=special or [],
        note=str(values.get("note") or "").strip()[:2000],
    )


def _existing_ids(hashes: list[str]) -> dict[str, Resident]:
    found: dict[str, Resident] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        for resident in Resident.objects.filter(id_number_hash__in=chunk).select_related("household"):
            found[resident.id_number_hash or ""] = resident
    return found


def import_rows(
    rows: Iterable[tuple[int, dict[str, Any]]], *, grid: Node, user: Any, commit: bool, source_name: str = ""
) -> ImportReport:
    """Validate all rows; with `commit` and no errors, store them all in one transaction.

    `user` None means a trusted system caller (the `gridgov import` command).
    """
    report = ImportReport()
    finder = BuildingFinder(grid)
    special_allowed = user is None or may_see_special(user, grid.path)
    people: list[_Person] = []
    previous_address: tuple[Any, Any, Any] | None = None
    for number, values in rows:
        report.rows += 1
        person = _clean_row(number, values, finder, special_allowed, report, previous_address)
        if values.get("building") not in (None, ""):
            previous_address = (values.get("building"), values.get("unit"), values.get("room"))
        if person is not None:
            people.append(person)
    if report.rows == 0:
        report.errors.append(RowError(0, "", "文件中没有数据行", "在表头下方逐行填写住户和居民"))

    # Duplicates inside the file, then against the database.
    first_row: dict[str, int] = {}
    unique: list[_Person] = []
    for person in people:
        if person.id_hash in first_row:
            report.add(
                person.row,
                "id_number",
                f"与第 {first_row[person.id_hash]} 行的身份证号重复",
                "同一人只能登记一次；删除重复的行",
            )
            continue
        first_row[person.id_hash] = person.row
        unique.append(person)
    existing = _existing_ids(list(first_row))
    people = []
    for person in unique:
        clash = existing.get(person.id_hash)
        if clash is None:
            people.append(person)
            continue
        where = ""
        if clash.household is not None and (
            user is None or can(user, Cap.VIEW_REGISTRY, clash.household.path)
        ):
            where = f"（{clash.household.address}，户编号 {clash.household.number}）"
        if clash.status == ResidenceStatus.MOVED_OUT and clash.household_id is None:
            report.add(
                person.row, "id_number", "此人曾在本市登记并已迁出", "请在系统中对该户办理“迁入”，或删除此行"
            )
        else:
            report.add(
                person.row,
                "id_number",
                f"此身份证号已登记在其他户{where}，一人不能同时在两户",
                "如确已搬家，请先在原户办理迁出或市内迁移；否则删除此行",
            )

    # Households: rows at the same building/unit/room form one household (joining an existing one).
    buildings = {b.pk: b for b in finder.by_key.values()}
    existing_households: dict[tuple[int, str, str], Household] = {}
    for household in Household.objects.filter(grid=grid, status=HouseholdStatus.ACTIVE).order_by("pk"):
        existing_households.setdefault((household.building_id, household.unit, household.room), household)
    heads: dict[tuple[int, str, str], int] = {}
    for key, household in existing_households.items():
        if household.head_id is not None:
            heads[key] = 0
    for person in people:
        if person.relation == Relation.HEAD:
            if person.household_key in heads:
                where = (
                    f"第 {heads[person.household_key]} 行" if heads[person.household_key] else "系统中该户"
                )
                report.add(
                    person.row, "relation", f"该户已有户主（{where}）", "每户只能有一位户主；请改为其他关系"
                )
            else:
                heads[person.household_key] = person.row
    report.residents = len(people)
    new_keys = {p.household_key for p in people} - set(existing_households)
    report.households = len(new_keys)
    if not commit or report.errors:
        return report

    _store(
        people,
        grid=grid,
        buildings=buildings,
        existing_households=existing_households,
        new_keys=new_keys,
        user=user,
        source_name=source_name,
        report=report,
    )
    report.committed = True
    return report


def _store(
    people: list[_Person],
    *,
    grid: Node,
    buildings: dict[int, Node],
    existing_households: dict[tuple[int, str, str], Household],
    new_keys: set[tuple[int, str, str]],
    user: Any,
    source_name: str,
    report: ImportReport,
) -> None:
    """Write households, residents and their move-in events in one transaction.

    Plain multi-row INSERTs (gridgov.registry.bulk) with reserved ids: households point at their
    heads and residents at their households without a second pass. Encryption and blind
    indexes are computed here in Python; one audit row summarises the import.
    """
    now = timezone.now()
    today = timezone.localdate(now)
    actor = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        taken = set(Household.objects.filter(grid=grid).values_list("number", flat=True))
        kinds: dict[tuple[int, str, str], str] = {}
        for person in people:
            kinds.setdefault(person.household_key, person.kind)
        new_list = sorted(new_keys)
        household_ids = dict(zip(new_list, bulk.reserve_ids(Household, len(new_list)), strict=True))
        resident_ids = bulk.reserve_ids(Resident, len(people))
        places: dict[tuple[int, str, str], tuple[int, str, str]] = {
            key: (h.pk, h.path, h.county_code) for key, h in existing_households.items()
        }
        heads: dict[tuple[int, str, str], int] = {}
        for person, resident_id in zip(people, resident_ids, strict=True):
            if person.relation == Relation.HEAD:
                heads[person.household_key] = resident_id

        household_rows = []
        for key in new_list:
            building = buildings[key[0]]
            base = f"{building.code}-{key[1] or '0'}-{key[2] or '0'}"
            if len(base) > 29:
                base = f"{building.code}-H{len(taken) + 1}"
            number, n = base, 2
            while number in taken:
                number, n = f"{base}-{n}", n + 1
            taken.add(number)
            pk = household_ids[key]
            places[key] = (pk, building.path, building.county_code)
            household_rows.append(
                (
                    pk,
                    building.path,
                    building.county_code,
                    number,
                    building.pk,
                    grid.pk,
                    key[1],
                    key[2],
                    household_address(building, key[1], key[2]),
                    kinds[key],
                    HouseholdStatus.ACTIVE,
                    heads.get(key),
                    None,
                    "",
                    "",
                    1,
                    now,
                    now,
                )
            )
        bulk.insert_rows(
            Household,
            [
                "id",
                "path",
                "county_code",
                "number",
                "building_id",
                "grid_id",
                "unit",
                "room",
                "address",
                "kind",
                "status",
                "head_id",
                "phone_enc",
                "phone_hash",
                "note",
                "version",
                "created_at",
                "updated_at",
            ],
            household_rows,
        )

        def resident_rows() -> Iterator[tuple[Any, ...]]:
            for person, pk in zip(people, resident_ids, strict=True):
                household_id, path, county = places[person.household_key]
                phone_enc, phone_hash = pii.seal_phone(person.phone)
                id_enc = encrypt(person.id_number, pii.ID_NUMBER_CONTEXT)  # its blind index is person.id_hash
                yield (
                    pk,
                    path,
                    county,
                    household_id,
                    person.name,
                    id_enc,
                    person.id_hash,
                    person.birth_date,
                    person.sex,
                    phone_enc,
                    phone_hash,
                    person.ethnicity,
                    person.relation,
                    person.status,
                    person.care_tags,
                    person.special_tags,
                    person.note,
                    1,
                    now,
                    now,
                )

        bulk.insert_rows(
            Resident,
            [
                "id",
                "path",
                "county_code",
                "household_id",
                "name",
                "id_number_enc",
                "id_number_hash",
                "birth_date",
                "sex",
                "phone_enc",
                "phone_hash",
                "ethnicity",
                "relation",
                "status",
                "care_tags",
                "special_tags",
                "note",
                "version",
                "created_at",
                "updated_at",
            ],
            resident_rows(),
        )
        bulk.insert_rows(
            LifeEvent,
            [
                "path",
                "county_code",
                "resident_id",
                "kind",
                "date",
                "to_household_id",
                "note",
                "recorded_by_id",
                "recorded_at",
            ],
            (
                (
                    places[p.household_key][1],
                    places[p.household_key][2],
                    pk,
                    LifeEventKind.MOVE_IN,
                    today,
                    places[p.household_key][0],
                    "Excel 导入",
                    actor.pk if actor else None,
                    now,
                )
                for p, pk in zip(people, resident_ids, strict=True)
            ),
        )

        # Existing households that got their head from this file.
        existing_heads = [(heads[key], h.pk) for key, h in existing_households.items() if key in heads]
        if existing_heads:
            table = connection.ops.quote_name(Household._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET head_id = %s, version = version + 1 WHERE id = %s",  # noqa: S608
                    existing_heads,
                )

        record(
            Action.IMPORT,
            grid,
            changes={
                "file": source_name,
                "rows": report.rows,
                "households_created": len(household_rows),
                "residents_created": len(people),
            },
            message=f"Excel import into {grid.name}: {len(household_rows)} households, {len(people)} residents",
            user=actor,
        )
        # The phones of the grid's workers get the new records at their next sync.
        log_rows("household", [(household_ids[key], buildings[key[0]].path) for key in new_list])
        log_rows(
            "resident",
            [(pk, places[p.household_key][1]) for p, pk in zip(people, resident_ids, strict=True)],
        )
        # New households, and new residents (in new or existing households): indexed from the
        # values in hand. An existing household's own document does not depend on its members.
        index_new_records(
            [
                NewHousehold(
                    household_ids[key],
                    buildings[key[0]].path,
                    buildings[key[0]].county_code,
                    household_address(buildings[key[0]], key[1], key[2]),
                    buildings[key[0]].name,
                    key[1],
                    key[2],
                )
                for key in new_list
            ],
            [
                NewResident(
                    pk,
                    places[p.household_key][1],
                    places[p.household_key][2],
                    p.name,
                    p.phone.display if p.phone else "",
                    p.id_number or "",
                )
                for p, pk in zip(people, resident_ids, strict=True)
            ],
        )


def grid_for_import(user: Any, grid: str) -> Node:
    """The grid an upload goes into, by its code or id; the user needs import/export and edit rights there."""
    text = to_halfwidth(str(grid or ""))
    grids = Node.objects.filter(level=Level.GRID)
    lookup = {"code": text} if len(text) == 15 else {"pk": int(text)} if text.isdigit() else None
    if lookup is None:
        raise Http404("no such grid")
    node = get_visible_or_404(grids, user, Cap.IMPORT_EXPORT, **lookup)
    if not can(user, Cap.EDIT_REGISTRY, node.path):
        raise PermissionDenied("no permission: edit_registry")
    return node


def import_upload(upload: Any, *, grid: Node, user: Any, commit: bool) -> ImportReport:
    """An uploaded file (Django UploadedFile) through the checks and the import."""
    name = getattr(upload, "name", "") or "upload"
    size = getattr(upload, "size", 0) or 0
    if size > MAX_UPLOAD_BYTES:
        raise _too_big(size)
    upload.seek(0)
    head = upload.read(8)
    check_upload(name, size, head)
    upload.seek(0)
    return import_rows(read_rows(upload), grid=grid, user=user, commit=commit, source_name=name)


def import_path(
    path: str | Path, *, grid: Node, commit: bool, user: Any = None, source_name: str = ""
) -> ImportReport:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
        check_upload(str(path), size, handle.read(8))
        handle.seek(0)
        return import_rows(
            read_rows(handle), grid=grid, user=user, commit=commit, source_name=source_name or str(path)
        )


# A file that passed its dry run waits here for the user's "导入" (so it is not uploaded twice).
# Private to the server: never under MEDIA_ROOT; removed after the commit or after an hour.
PENDING_DIR = Path(tempfile.gettempdir()) / "gridgov-imports"
PENDING_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def keep_pending(upload: Any) -> str:
    PENDING_DIR.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - PENDING_SECONDS
    for old in PENDING_DIR.glob("*.xlsx"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_urlsafe(24)
    upload.seek(0)
    descriptor = os.open(PENDING_DIR / f"{token}.xlsx", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            handle.write(chunk)
    return token


def pending_file(token: str) -> Path | None:
    if not _TOKEN.match(token or ""):
        return None
    path = PENDING_DIR / f"{token}.xlsx"
    return path if path.exists() and path.stat().st_mtime >= time.time() - PENDING_SECONDS else None


def discard_pending(token: str) -> None:
    if _TOKEN.match(token or ""):
        with contextlib.suppress(OSError):
            (PENDING_DIR / f"{token}.xlsx").unlink()


# --- template and export ------------------------------------------------------------------------


def columns_for(user: Any, path: str | None = None) -> list[Column]:
    """The special-population column exists only for users granted it (others cannot tell it exists)."""
    if user is None:
        return COLUMNS
    allowed = may_see_special(user, path) if path else not scope_of(user, Cap.SEE_SPECIAL_GROUPS).empty
    return [c for c in COLUMNS if c.key != "special_tags" or allowed]


def _header(sheet: Any, columns: list[Column]) -> None:
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FDE8E8")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header + ("*" if column.required else ""))
        cell.font = bold
        if column.required:
            cell.fill = fill
        sheet.column_dimensions[get_column_letter(index)].width = column.width + 4


def template_bytes(user: Any) -> bytes:
    columns = columns_for(user)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "住户居民"
    _header(sheet, columns)
    example = {
        "building": "1号楼",
        "unit": "2",
        "room": "301",
        "kind": "户籍户",
        "name": "张伟",
        "id_number": "150105199001011233",
        "relation": "户主",
        "phone": "13812345678",
        "ethnicity": "蒙古族",
        "care_tags": "低保、独居",
        "special_tags": "",
        "birth_date": "",
        "sex": "",
        "status": "在住",
        "note": "示例行，导入前请删除",
    }
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=2, column=index, value=example[column.key])
        cell.number_format = "@"  # text: keeps 18-digit ID numbers and leading zeros intact
        for row in range(3, 503):
            sheet.cell(row=row, column=index).number_format = "@"
    help_sheet = workbook.create_sheet("填写说明")
    help_sheet.append(["列名", "是否必填", "填写说明"])
    for column in columns:
        help_sheet.append([column.header, "必填" if column.required else "选填", column.fix])
    help_sheet.append([])
    help_sheet.append(["同一户的成员：楼栋、单元、室相同即为同一户；家庭成员行的地址可留空（沿用上一行）。"])
    help_sheet.column_dimensions["C"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def template_response(user: Any) -> HttpResponse:
    return _xlsx_response(template_bytes(user), "registry-template.xlsx")


def export_bytes(user: Any, top: Node | None = None, *, reveal: bool = False) -> tuple[bytes, int]:
    """`write_export` into memory: (the .xlsx, the number of residents)."""
    buffer = io.BytesIO()
    count = write_export(user, top, reveal=reveal, out=buffer)
    return buffer.getvalue(), count


def write_export(user: Any, top: Node | None = None, *, reveal: bool, out: IO[bytes]) -> int:
    """Current residents of the subtree (or the whole scope) in the template's columns, written
    to `out` as .xlsx; returns their number. The export is audited.

    ID numbers and phones are masked unless `reveal` and the user has SEE_PII over that row;
    special tags are present only for rows the user may see them on (the column only if any).
    """
    residents = (
        _export_residents(user, top)
        .select_related("household", "household__building")
        .order_by("path", "household_id", "pk")
    )
    columns = columns_for(user, top.path if top else None)
    pii_scope = scope_of(user, Cap.SEE_PII)
    special_scope = scope_of(user, Cap.SEE_SPECIAL_GROUPS)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("住户居民")
    sheet.append([c.header for c in columns])
    care = dict(CareTag.choices)
    special = dict(SpecialTag.choices)
    count = 0
    for resident in residents.iterator(chunk_size=2000):
        household = resident.household
        if household is None:
            continue
        full = reveal and pii_scope.covers(resident.path)
        id_number = pii.id_number_of(resident) if resident.id_number_enc else ""
        phone = pii.resident_phone_of(resident) if resident.phone_enc else ""
        values = {
            "building": household.building.code,
            "unit": household.unit,
            "room": household.room,
            "kind": household.get_kind_display(),
            "name": resident.name,
            "id_number": id_number if full else mask_id_number(id_number),
            "relation": resident.get_relation_display(),
            "phone": phone if full else mask_phone(phone),
            "ethnicity": resident.ethnicity,
            "care_tags": "、".join(str(care.get(t, t)) for t in resident.care_tags),
            "special_tags": "、".join(str(special.get(t, t)) for t in resident.special_tags)
            if special_scope.covers(resident.path)
            else "",
            "birth_date": resident.birth_date.isoformat() if resident.birth_date else "",
            "sex": resident.get_sex_display(),
            "status": resident.get_status_display(),
            "note": resident.note,
        }
        sheet.append([str(values[c.key]) for c in columns])
        count += 1
    workbook.save(out)
    record(
        Action.EXPORT,
        top,
        object_type="registry.resident" if top is None else "",
        changes={
            "rows": count,
            "full_pii": bool(reveal),
            "special_tags": any(c.key == "special_tags" for c in columns),
        },
        message=f"Excel export of {count} residents" + (" with full ID numbers and phones" if reveal else ""),
        user=user if getattr(user, "is_authenticated", False) else None,
    )
    return count


def export_too_large(user: Any, top: Node | None) -> bool:
    """Whether the area has more residents than one request may export.

    A file is built within the request: a county (hundreds of thousands of residents) took two
    minutes, past the server's timeout. Larger areas go to the background worker
    (gridgov.registry.exports). Counting stops just past the limit (a city's 3.5 million took
    1.7 s to count in full).
    """
    limit = settings.REGISTRY_EXPORT_MAX_ROWS
    return _export_residents(user, top)[: limit + 1].count() > limit


def _export_residents(user: Any, top: Node | None) -> QuerySet[Resident]:
    """The current residents an export of `top` (None: the whole scope) holds for `user`."""
    residents = Resident.objects.filter(status__in=ACTIVE_STATUSES).restrict(user, Cap.IMPORT_EXPORT)
    return residents.filter(path__under=top.path) if top is not None else residents


def export_response(user: Any, top: Node | None = None, *, reveal: bool = False) -> HttpResponse:
    if scope_of(user, Cap.IMPORT_EXPORT).empty:
        raise PermissionDenied("no permission: import_export")
    if reveal and scope_of(user, Cap.SEE_PII).empty:
        raise PermissionDenied("no permission: see_pii")
    if export_too_large(user, top):
        where = top.name if top is not None else "您的范围"
        raise ValidationError(
            {
                "node": f"{where}的居民超过单次导出上限 {settings.REGISTRY_EXPORT_MAX_ROWS} 名，"
                "无法直接下载；请申请后台导出（POST /api/v1/registry/exports），"
                "或进入下级街道、社区或网格分别导出"
            }
        )
    content, _count = export_bytes(user, top, reveal=reveal)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_response(content, f"registry-{top.code if top else 'scope'}-{stamp}.xlsx")
