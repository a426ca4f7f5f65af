"""The dispute list as an Excel file: the same filters and scope as the page, masked as the viewer
must see it (no parties' phones; ID and mobile numbers typed into a description are masked for
viewers who may not see them), audited."""

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
from gridgov.disputes import selectors
from gridgov.disputes.models import DisputeType, Outcome, RiskLevel
from gridgov.events.models import State
from gridgov.registry.masking import mask_text

EXPORT_LIMIT = 20_000
COLUMNS = [
    ("event__number", "事件编号"),
    ("dispute_type", "纠纷类型"),
    ("risk_level", "风险等级"),
    ("event__state", "状态"),
    ("event__grid__name", "网格"),
    ("event__description", "描述"),
    ("created_at", "登记时间"),
    ("outcome", "化解结果"),
    ("outcome_at", "结果时间"),
    ("event__overdue", "超期"),
]
LABELS = {
    "dispute_type": dict(DisputeType.choices),
    "risk_level": dict(RiskLevel.choices),
    "event__state": dict(State.choices),
    "outcome": dict(Outcome.choices),
}


def _cell(key: str, value: Any) -> Any:
    if value is None or value == "":
        return ""
    if key in LABELS:
        return str(LABELS[key].get(value, value))
    if key == "event__overdue":
        return "是" if value else ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


def export_disputes(user: Any, filters: selectors.DisputeFilter) -> tuple[bytes, int]:
    """(the .xlsx, the number of disputes) of the user's list with these filters."""
    queryset = selectors.ordered(selectors.filter_disputes(selectors.disputes_for(user), filters, user))
    count = queryset.count()
    if count > EXPORT_LIMIT:
        raise ValidationError(
            {"node": f"共 {count} 条，超过一次可导出的 {EXPORT_LIMIT} 条，请缩小区域或时间段"}
        )
    pii = scope_of(user, Cap.SEE_PII)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("矛盾纠纷")
    sheet.append([label for _key, label in COLUMNS])
    keys = [key for key, _label in COLUMNS]
    for row in queryset.values_list(*keys, "path").iterator(chunk_size=2000):
        values = dict(zip([*keys, "path"], row, strict=True))
        if not pii.covers(values["path"]):
            values["event__description"] = mask_text(values["event__description"])
        sheet.append([_cell(key, values[key]) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(
        Action.EXPORT,
        object_type="disputes.dispute",
        path=_filter_path(filters, user),
        changes={
            "rows": count,
            "filters": {k: str(v) for k, v in asdict(filters).items() if v not in ("", None, (), False)},
        },
        message=f"Excel export of {count} disputes",
        user=user,
    )
    return buffer.getvalue(), count


def _filter_path(filters: selectors.DisputeFilter, user: Any) -> str:
    from gridgov.hierarchy.models import Node

    if filters.node_id is not None:
        path = Node.objects.filter(pk=filters.node_id).values_list("path", flat=True).first()
        if path:
            return path
    roots = scope_of(user).roots
    return roots[0] if len(roots) == 1 else ""
