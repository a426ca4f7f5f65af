"""The event list as an Excel file: the same filters and scope as the page, masked as the viewer
must see it, audited. Built within the request (up to EXPORT_LIMIT rows; a larger list asks for a
narrower area or period)."""

import io
from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import Workbook

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.events import selectors
from gridgov.events.models import Event, Severity, State, Supervision
from gridgov.registry.masking import mask_text

EXPORT_LIMIT = 20_000
COLUMNS = [
    ("number", "事件编号"),
    ("category__name", "分类"),
    ("state", "状态"),
    ("severity", "等级"),
    ("grid__name", "网格"),
    ("handling_node__name", "当前受理层级"),
    ("lead_org__name", "主办单位"),
    ("address", "地点"),
    ("description", "描述"),
    ("created_at", "上报时间"),
    ("resolve_due_at", "办结时限"),
    ("overdue", "超期"),
    ("supervision", "督办"),
    ("closed_at", "办结时间"),
    ("satisfaction", "满意度"),
]


def _cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key == "state":
        return str(State(value).label) if value in State.values else value
    if key == "severity":
        return str(Severity(value).label) if value in Severity.values else value
    if key == "supervision":
        return str(Supervision(value).label) if value else ""
    if key == "overdue":
        return "是" if value else ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


def export_events(user: Any, filters: selectors.EventFilter) -> tuple[bytes, int]:
    """(the .xlsx, the number of events) of the user's list with these filters."""
    queryset = selectors.ordered(selectors.filter_events(Event.objects.restrict(user), filters, user))
    count = queryset.count()
    if count > EXPORT_LIMIT:
        raise ValidationError(
            {"node": f"共 {count} 条，超过一次可导出的 {EXPORT_LIMIT} 条，请缩小区域或时间段"}
        )
    pii = scope_of(user, Cap.SEE_PII)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("事件")
    sheet.append([label for _key, label in COLUMNS])
    keys = [key for key, _label in COLUMNS]
    for row in queryset.values_list(*keys, "path").iterator(chunk_size=2000):
        values = dict(zip([*keys, "path"], row, strict=True))
        if not pii.covers(values["path"]):
            values["description"] = mask_text(values["description"])
            values["address"] = mask_text(values["address"])
        sheet.append([_cell(key, values[key]) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(
        Action.EXPORT,
        object_type="events.event",
        path=_filter_path(filters, user),
        changes={
            "rows": count,
            "filters": {k: str(v) for k, v in asdict(filters).items() if v not in ("", None)},
        },
        message=f"Excel export of {count} events",
        user=user,
    )
    return buffer.getvalue(), count


def _filter_path(filters: selectors.EventFilter, user: Any) -> str:
    """Where the export belongs in the audit log: the area filtered on, else the user's own."""
    from gridgov.hierarchy.models import Node

    if filters.node_id is not None:
        node = Node.objects.filter(pk=filters.node_id).values_list("path", flat=True).first()
        if node:
            return node
    roots = scope_of(user).roots
    return roots[0] if len(roots) == 1 else ""
