"""Excel import of households and residents into one grid: a township clerk's real sheet.

A dry run lists every problem of every row (row, the clerk's own column header and letter, what
is wrong, how to fix it) and every column or sheet that will not be imported; a commit stores
every row or, if anything is wrong, none. What clerks really write is accepted and normalised
(gridgov.registry.validation): birth as year and month, 女性/男性, ethnic short forms, 4#楼 and
4幢, the household register's relation terms, name separators. Files: .xlsx, .xls, .ods, .csv
(gridgov.registry.sheets); headers: gridgov.registry.columns; writing: import_store.
"""

import contextlib
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, get_visible_or_404
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.choices import HouseholdStatus, Relation, ResidenceStatus
from gridgov.registry.columns import (
    COLUMN_BY_KEY,
    HEADER_SCAN_ROWS,
    Layout,
    Notice,
    find_layout,
    is_column_numbers,
)
from gridgov.registry.import_store import HouseholdKey, Person, store
from gridgov.registry.models import Household, Resident
from gridgov.registry.rules import ACTIVE_STATUSES, may_see_special
from gridgov.registry.sheets import MAX_UPLOAD_BYTES, ExcelFileError, check_upload, read_sheets, too_big
from gridgov.registry.validation import (
    TEXT_FORMAT_FIX,
    check_birth_and_sex,
    parse_birth,
    parse_care_tags,
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
from gridgov.search import addresses

# The template's own help sheet: never reported as a sheet without a header.
HELP_SHEET = "填写说明"


@dataclass
class RowError:
    row: int
    column: str
    problem: str
    fix: str
    sheet: str = ""


@dataclass
class ImportReport:
    committed: bool = False
    rows: int = 0
    households: int = 0
    residents: int = 0
    errors: list[RowError] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # the sheets whose rows were read
    layouts: dict[str, Layout] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "committed": self.committed,
            "rows": self.rows,
            "households": self.households,
            "residents": self.residents,
            "sheets": self.sheets,
            "errors": [asdict(e) for e in self.errors],
            "notices": [asdict(n) for n in self.notices],
        }

    @property
    def several_sheets(self) -> bool:
        return len(self.sheets) > 1

    def where(self, sheet: str, row: int) -> str:
        return f"工作表“{sheet}”第 {row} 行" if self.several_sheets else f"第 {row} 行"


# --- cells --------------------------------------------------------------------------------------


def id_cell_text(value: Any) -> str:
    """An ID-number cell as text. A number cell of 16 or more digits is refused: Excel keeps 15
    significant digits, so its last digits are already gone (and a value that happens to pass
    the checksum would be another person)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError({"id_number": f"身份证号“{value}”不是号码；{TEXT_FORMAT_FIX}"})
    if isinstance(value, float) and not value.is_integer():
        raise ValidationError({"id_number": f"身份证号保存成了带小数的数字（{value}）；{TEXT_FORMAT_FIX}"})
    digits = str(int(abs(value)))
    if len(digits) >= 16:
        shown = f"{float(value):.5E}".replace("E+", "E+")
        raise ValidationError(
            {
                "id_number": f"身份证号保存成了数字（Excel 显示为 {shown}），只保留了 15 位有效数字，"
                f"后几位已经丢失，无法恢复；{TEXT_FORMAT_FIX}"
            }
        )
    return digits  # a 15-digit legacy number survives as a number


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- building lookup ----------------------------------------------------------------------------

# Buildings named by a letter ("A座", "B栋"); numbered ones are read by gridgov.search.addresses,
# the same reader that understands an address typed into search.
_LETTER_BUILDING = re.compile(r".*?([A-Z])(?:#楼|#|号楼|号|栋楼|栋|幢楼|幢|座|楼)")


class BuildingFinder:
    """A building of the grid from what people write: its 18-digit code, its name, or its number
    with the usual words ("3号楼", "3#楼", "3#", "3栋", "3幢", "3座", "三号楼", "惠民小区3号楼", "3")."""

    def __init__(self, grid: Node) -> None:
        self.grid = grid
        self.by_key: dict[str, Node] = {}
        for building in Node.objects.filter(parent=grid, level=Level.BUILDING):
            self.by_key[building.code] = building
            self.by_key[to_halfwidth(building.name).upper()] = building
            self.by_key[str(int(building.code[-3:]))] = building

    def find(self, raw: Any) -> Node | None:
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = to_halfwidth(str(raw or "")).upper()
        if not text:
            return None
        if text in self.by_key:
            return self.by_key[text]
        parsed = addresses.parse_cached(re.sub(r"(栋|幢)楼$", r"\1", text).lower())  # 4栋楼: 4栋
        if parsed is not None and [role for role, _n in parsed[1]] == ["b"]:
            number = parsed[1][0][1]
        elif match := _LETTER_BUILDING.fullmatch(text):
            number = match[1]
        else:
            return None
        return self.by_key.get(number) or self.by_key.get(f"{number}号楼")

    def buildings(self) -> dict[int, Node]:
        return {b.pk: b for b in self.by_key.values()}


def split_address(raw: Any) -> tuple[str, str, str] | None:
    """(building, unit, room) from one cell holding them: "4号楼2单元501室", "4#2-501", "4-2-501",
    "赛罕区惠民小区4栋2单元501", "三号楼二单元五零一", "4号楼501" (no unit). None unless it
    names at least a building and a room."""
    parsed = addresses.parse_cached(to_halfwidth(str(raw or "")).lower())
    if parsed is None:
        return None
    roles = dict(parsed[1])
    if "b" not in roles or "r" not in roles:
        return None
    return roles["b"], roles.get("u", ""), roles["r"]


# --- reading ------------------------------------------------------------------------------------


@dataclass
class SheetRow:
    layout: Layout
    number: int  # the spreadsheet's row number
    values: dict[str, Any]


class Table:
    """The data rows of every sheet with a header; what is not imported goes to `notices`."""

    def __init__(self, source: IO[bytes], name: str = "") -> None:
        self.sheets = read_sheets(source, name)
        self.layouts: list[Layout] = []
        self.notices: list[Notice] = []

    def rows(self) -> Iterator[SheetRow]:
        only = len(self.sheets) == 1
        for sheet in self.sheets:
            head: list[list[Any]] = []
            for row in sheet.rows:
                head.append(row)
                if len(head) >= HEADER_SCAN_ROWS:
                    break
            layout = find_layout(sheet.name, head, only_sheet=only)
            if layout is None:
                if sheet.name != HELP_SHEET and any(not _blank(v) for row in head for v in row):
                    self.notices.append(Notice(sheet.name, "", "此工作表中没有找到表头，未导入"))
                continue
            self.layouts.append(layout)
            first = layout.header_index + 1
            for index, row in enumerate(_chain(head[first:], sheet.rows), start=first):
                if index == first and is_column_numbers(row):
                    continue
                values = layout.values(row)
                if layout.unnamed:
                    layout.note_unnamed_data(row)
                if all(_blank(v) for v in values.values()):
                    continue
                yield SheetRow(layout, index + 1, values)
        if not self.layouts:
            raise ExcelFileError(
                "找不到表头：各工作表的前 20 行中都没有“姓名”“身份证号”等列名；请使用下载的模板"
            )

    def all_notices(self) -> list[Notice]:
        return [notice for layout in self.layouts for notice in layout.notices] + self.notices


def _chain(first: list[list[Any]], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield from first
    yield from rest


# --- checking -----------------------------------------------------------------------------------


class _Row:
    """Collects the problems of one row, each under the column it is about."""

    def __init__(self, report: ImportReport, layout: Layout, number: int) -> None:
        self.report, self.layout, self.number = report, layout, number
        self.bad = False

    def add(self, key: str, problem: str, fix: str | None = None) -> None:
        self.bad = True
        column = COLUMN_BY_KEY.get(key)
        self.report.errors.append(
            RowError(
                self.number,
                self.layout.label(key),
                problem,
                (column.fix if column else "") if fix is None else fix,
                self.layout.sheet,
            )
        )

    def attempt(self, key: str, func: Any, *args: Any) -> Any:
        """func(*args), or None with its errors reported (under the field each error names)."""
        try:
            return func(*args)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                for message in messages:
                    self.add(field_name if field_name in COLUMN_BY_KEY else key, message)
            return None


def _address(
    values: dict[str, Any], previous: tuple[Any, Any, Any, str] | None, row: _Row
) -> tuple[Any, Any, Any, str] | None:
    """(building, unit, room, the key of the column they came from) of a row.

    Merged cells are blank below their first row, so blanks are filled from the row above the
    way a reader of the sheet would: family members below a merged address take all of it; a
    building cell merged over several households gives its building (and a merged unit cell its
    unit) to the rows whose room is their own. A building cell or an address column holding all
    three ("4#2-501") is split.
    """
    building, unit, room = values.get("building"), values.get("unit"), values.get("room")
    address = values.get("address")
    if all(_blank(v) for v in (building, unit, room, address)):
        return previous
    if _blank(building) and not _blank(address):
        parts = split_address(address)
        if parts is None:
            row.add("address", f"无法从“{address}”中识别楼栋、单元、室")
            return None
        return (*parts, "address")
    if not _blank(building) and _blank(unit) and _blank(room) and (parts := split_address(building)):
        return (*parts, "building")
    if _blank(building) and previous is not None and previous[3] == "building":
        building = previous[0]
        if _blank(unit):
            unit = previous[1]
    return (building, unit, room, "building")


def _clean_row(
    item: SheetRow,
    finder: BuildingFinder,
    special_allowed: bool,
    report: ImportReport,
    previous: tuple[Any, Any, Any, str] | None,
) -> tuple[Person | None, tuple[Any, Any, Any, str] | None]:
    """Check every cell of one row; every problem goes to the report (not just the first).
    Returns the person (None if anything is wrong) and the row's address for the rows below."""
    values = item.values
    row = _Row(report, item.layout, item.number)
    address = _address(values, previous, row)
    building = None
    unit = room = ""
    if address is not None:
        building = finder.find(address[0])
        if building is None:
            if _blank(address[0]):
                row.add(address[3], "楼栋为空")
            else:
                row.add(address[3], f"楼栋“{address[0]}”不在网格 {finder.grid.name} 中")
        unit = row.attempt("unit", lambda: parse_unit_room(address[1], field="unit", what="单元")) or ""
        room = row.attempt("room", lambda: parse_unit_room(address[2], field="room", what="室")) or ""
    elif not row.bad:
        row.add("building", "楼栋为空")
    kind = row.attempt("kind", parse_household_kind, values.get("kind"))
    name = row.attempt("name", parse_name, values.get("name"))
    identity = row.attempt("id_number", lambda: parse_id_number(id_cell_text(values.get("id_number"))))
    birth = row.attempt("birth_date", parse_birth, values.get("birth_date"))
    sex = row.attempt("sex", parse_sex, values.get("sex"))
    if identity is not None:
        row.attempt("birth_date", lambda: check_birth_and_sex(identity, birth=birth, sex=sex or ""))
    phone = row.attempt("phone", parse_optional_phone, values.get("phone"))
    ethnicity = row.attempt("ethnicity", parse_ethnicity, values.get("ethnicity"))
    relation = row.attempt("relation", parse_relation, values.get("relation"))
    status = row.attempt(
        "status", lambda: parse_residence_status(values.get("status"), allowed=ACTIVE_STATUSES)
    )
    care = row.attempt("care_tags", parse_care_tags, values.get("care_tags"))
    special = (
        row.attempt("special_tags", parse_special_tags, values.get("special_tags")) if special_allowed else []
    )
    note = str(values.get("note") or "").strip()
    if "示例行" in note:
        row.add("note", "这是模板中的示例行", "导入前请删除示例行")
    if row.bad or building is None or identity is None:
        return None, address
    return (
        Person(
            row=item.number,
            sheet=item.layout.sheet,
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
            note=note[:2000],
        ),
        address,
    )


def _existing_ids(hashes: list[str]) -> dict[str, Resident]:
    found: dict[str, Resident] = {}
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        for resident in Resident.objects.filter(id_number_hash__in=chunk).select_related("household"):
            found[resident.id_number_hash or ""] = resident
    return found


def import_table(table: Table, *, grid: Node, user: Any, commit: bool, source_name: str = "") -> ImportReport:
    """Check all rows; with `commit` and no errors, store them all in one transaction.

    `user` None means a trusted system caller (the `gridgov import` command).
    """
    report = ImportReport()
    finder = BuildingFinder(grid)
    special_allowed = user is None or may_see_special(user, grid.path)
    people: list[Person] = []
    previous: tuple[Any, Any, Any, str] | None = None
    layout: Layout | None = None
    for item in table.rows():
        if item.layout is not layout:
            layout, previous = item.layout, None
            report.sheets.append(layout.sheet)
        report.rows += 1
        person, previous = _clean_row(item, finder, special_allowed, report, previous)
        if person is not None:
            people.append(person)
    report.notices = table.all_notices()
    report.layouts = {lay.sheet: lay for lay in table.layouts}
    if report.rows == 0:
        report.errors.append(RowError(0, "", "文件中没有数据行", "在表头下方逐行填写住户和居民"))
    people = _unique_people(people, report, user)
    existing_households = _heads(people, grid, report)
    report.residents = len(people)
    new_keys = {p.household_key for p in people} - set(existing_households)
    report.households = len(new_keys)
    if not commit or report.errors:
        return report
    store(
        people,
        grid=grid,
        buildings=finder.buildings(),
        existing_households=existing_households,
        new_keys=new_keys,
        user=user,
        source_name=source_name,
        rows=report.rows,
    )
    report.committed = True
    return report


def _error(report: ImportReport, person: Person, key: str, problem: str, fix: str) -> None:
    layout = report.layouts.get(person.sheet)
    column = layout.label(key) if layout else COLUMN_BY_KEY[key].header
    report.errors.append(RowError(person.row, column, problem, fix, person.sheet))


def _unique_people(people: list[Person], report: ImportReport, user: Any) -> list[Person]:
    """Drop (and report) duplicates inside the file, then people already registered."""
    first: dict[str, Person] = {}
    unique: list[Person] = []
    for person in people:
        if person.id_hash in first:
            earlier = first[person.id_hash]
            _error(
                report,
                person,
                "id_number",
                f"与{report.where(earlier.sheet, earlier.row)}的身份证号重复",
                "同一人只能登记一次；删除重复的行",
            )
            continue
        first[person.id_hash] = person
        unique.append(person)
    existing = _existing_ids(list(first))
    kept = []
    for person in unique:
        clash = existing.get(person.id_hash)
        if clash is None:
            kept.append(person)
            continue
        where = ""
        if clash.household is not None and (
            user is None or can(user, Cap.VIEW_REGISTRY, clash.household.path)
        ):
            where = f"（{clash.household.address}，户编号 {clash.household.number}）"
        if clash.status == ResidenceStatus.MOVED_OUT and clash.household_id is None:
            _error(
                report,
                person,
                "id_number",
                "此人曾在本市登记并已迁出",
                "请在系统中对该户办理“迁入”，或删除此行",
            )
        else:
            _error(
                report,
                person,
                "id_number",
                f"此身份证号已登记在其他户{where}，一人不能同时在两户",
                "如确已搬家，请先在原户办理迁出或市内迁移；否则删除此行",
            )
    return kept


def _heads(people: list[Person], grid: Node, report: ImportReport) -> dict[HouseholdKey, Household]:
    """The grid's active households by address; a second head of a household is reported."""
    existing: dict[HouseholdKey, Household] = {}
    for household in Household.objects.filter(grid=grid, status=HouseholdStatus.ACTIVE).order_by("pk"):
        existing.setdefault((household.building_id, household.unit, household.room), household)
    heads: dict[HouseholdKey, Person | None] = {
        key: None for key, household in existing.items() if household.head_id is not None
    }
    for person in people:
        if person.relation != Relation.HEAD:
            continue
        if person.household_key in heads:
            earlier = heads[person.household_key]
            where = report.where(earlier.sheet, earlier.row) if earlier else "系统中该户"
            _error(
                report,
                person,
                "relation",
                f"该户已有户主（{where}）",
                "每户只能有一位户主；请改为其他关系",
            )
        else:
            heads[person.household_key] = person
    return existing


# --- entry points -------------------------------------------------------------------------------


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


def import_file(
    source: IO[bytes], *, grid: Node, user: Any, commit: bool, name: str = "", source_name: str = ""
) -> ImportReport:
    """A spreadsheet or CSV file (any format `read_sheets` takes) through the checks and the import."""
    return import_table(
        Table(source, name), grid=grid, user=user, commit=commit, source_name=source_name or name
    )


def import_upload(upload: Any, *, grid: Node, user: Any, commit: bool) -> ImportReport:
    """An uploaded file (Django UploadedFile) through the checks and the import."""
    name = getattr(upload, "name", "") or "upload"
    size = getattr(upload, "size", 0) or 0
    check_upload(size)
    upload.seek(0)
    return import_file(upload, grid=grid, user=user, commit=commit, name=name)


def import_path(
    path: str | Path, *, grid: Node, commit: bool, user: Any = None, source_name: str = ""
) -> ImportReport:
    size = os.path.getsize(path)
    if size > MAX_UPLOAD_BYTES:
        raise too_big(size)
    with open(path, "rb") as handle:
        return import_file(
            handle,
            grid=grid,
            user=user,
            commit=commit,
            name=source_name or str(path),
            source_name=source_name or str(path),
        )


# A file that passed its dry run waits here for the user's "导入" (so it is not uploaded twice).
# Private to the server: never under MEDIA_ROOT; removed after the commit or after an hour.
PENDING_DIR = Path(tempfile.gettempdir()) / "gridgov-imports"
PENDING_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def keep_pending(upload: Any) -> str:
    PENDING_DIR.mkdir(mode=0o700, exist_ok=True)
    cutoff = time.time() - PENDING_SECONDS
    for old in PENDING_DIR.glob("*.upload"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_urlsafe(24)
    upload.seek(0)
    descriptor = os.open(PENDING_DIR / f"{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            handle.write(chunk)
    return token


def pending_file(token: str) -> Path | None:
    if not _TOKEN.match(token or ""):
        return None
    path = PENDING_DIR / f"{token}.upload"
    return path if path.exists() and path.stat().st_mtime >= time.time() - PENDING_SECONDS else None


def discard_pending(token: str) -> None:
    if _TOKEN.match(token or ""):
        with contextlib.suppress(OSError):
            (PENDING_DIR / f"{token}.upload").unlink()
