"""The event list as an Excel file: the same filters and scope as the page, masked as the viewer
must see it, audited (gridgov.audit.exports writes it). Built within the request (up to
EXPORT_LIMIT rows; a larger list asks for a narrower area or period)."""

from dataclasses import asdict
from typing import Any

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of
from gridgov.accounts.selectors import area_path
from gridgov.audit.exports import Column, export_list
from gridgov.events import selectors
from gridgov.events.models import Event, Severity, State, Supervision

COLUMNS = [
    Column("number", "事件编号"),
    Column("category__name", "分类"),
    Column("state", "状态", choices=dict(State.choices)),
    Column("severity", "等级", choices=dict(Severity.choices)),
    Column("grid__name", "网格"),
    Column("handling_node__name", "当前受理层级"),
    Column("lead_org__name", "主办单位"),
    Column("address", "地点", free_text=True),
    Column("description", "描述", free_text=True),
    Column("created_at", "上报时间"),
    Column("resolve_due_at", "办结时限"),
    Column("overdue", "超期", yes_no=True),
    Column("supervision", "督办", choices=dict(Supervision.choices)),
    Column("closed_at", "办结时间"),
    Column("satisfaction", "满意度"),
]


def export_events(user: Any, filters: selectors.EventFilter) -> tuple[bytes, int]:
    """(the .xlsx, the number of events) of the user's list with these filters."""
    return export_list(
        user,
        selectors.ordered(selectors.filter_events(Event.objects.restrict(user), filters, user)),
        title="事件",
        columns=COLUMNS,
        may_see_personal=scope_of(user, Cap.SEE_PII).covers,
        object_type="events.event",
        noun="events",
        path=area_path(user, filters.node_id),
        filters=asdict(filters),
    )
