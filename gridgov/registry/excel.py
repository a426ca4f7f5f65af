"""Excel template and export of households and residents.

Template: the import's columns (gridgov.registry.columns) with a help sheet; the special-
population column only for users granted it. The import itself: gridgov.registry.importing.

Export: the residents of a subtree, masked by role (full ID numbers and phones only for users
with SEE_PII who ask for them), special tags only for users granted them; audited.
"""

import io
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy.models import Node
from gridgov.registry import pii
from gridgov.registry.choices import CareTag, SpecialTag
from gridgov.registry.columns import COLUMNS, Column
from gridgov.registry.masking import mask_id_number, mask_phone
from gridgov.registry.models import Resident
from gridgov.registry.rules import ACTIVE_STATUSES, may_see_special

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- template and export ------------------------------------------------------------------------


def columns_for(user: Any, path: str | None = None) -> list[Column]:
    """The special-population column exists only for users granted it (others cannot tell it exists)."""
    columns = [c for c in COLUMNS if c.in_template]
    if user is None:
        return columns
    allowed = may_see_special(user, path) if path else not scope_of(user, Cap.SEE_SPECIAL_GROUPS).empty
    return [c for c in columns if c.key != "special_tags" or allowed]


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
