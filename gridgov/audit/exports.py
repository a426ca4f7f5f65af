"""A list page as an Excel file: one writer for every list export (events, disputes, …).

The caller gives the rows (already through the scope door and the page's filters), the columns,
and who may see personal data where; this writes the workbook in one pass (write-only, rows
streamed from the database), masks free text for rows outside the viewer's personal-data scope,
refuses lists too long for one request with a message naming the area filter, and records the
export in the audit log with its filters.
"""

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.registry.masking import mask_text

EXPORT_LIMIT = 20_000


@dataclass(frozen=True)
class Column:
    key: str  # a values_list() lookup
    label: str  # the header, as the page names it
    choices: Mapping[Any, Any] | None = None  # stored code → label
    yes_no: bool = False  # a flag shown as 是 / blank
    free_text: bool = False  # may hold ID or phone numbers: masked outside the viewer's scope


def cell(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return ""
    if column.choices is not None:
        return str(column.choices.get(value, value))
    if column.yes_no:
        return "是" if value else ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


def export_list(
    user: Any,
    rows: QuerySet[Any],
    *,
    title: str,
    columns: list[Column],
    may_see_personal: Callable[[str], bool],
    object_type: str,
    noun: str,
    path: str,
    filters: Mapping[str, Any],
) -> tuple[bytes, int]:
    """(the .xlsx, the number of rows). `rows` must have a `path` field (whose personal data)."""
    count = rows.count()
    if count > EXPORT_LIMIT:
        raise ValidationError(
            {"node": f"共 {count} 条，超过一次可导出的 {EXPORT_LIMIT} 条，请缩小区域或时间段"}
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append([column.label for column in columns])
    keys = [column.key for column in columns]
    for row in rows.values_list(*keys, "path").iterator(chunk_size=2000):
        *values, row_path = row
        personal = may_see_personal(row_path)
        sheet.append(
            [
                mask_text(value or "") if column.free_text and not personal else cell(column, value)
                for column, value in zip(columns, values, strict=True)
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(
        Action.EXPORT,
        object_type=object_type,
        path=path,
        changes={
            "rows": count,
            "filters": {k: str(v) for k, v in filters.items() if v not in ("", None, (), False)},
        },
        message=f"Excel export of {count} {noun}",
        user=user,
    )
    return buffer.getvalue(), count
