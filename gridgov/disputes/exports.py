"""The dispute list as an Excel file: the same filters and scope as the page, masked as the viewer
must see it (no parties' phones; ID and mobile numbers typed into a description are masked for
viewers who may not see them), audited (gridgov.audit.exports writes it)."""

from dataclasses import asdict
from typing import Any

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of
from gridgov.accounts.selectors import area_path
from gridgov.audit.exports import Column, export_list
from gridgov.disputes import selectors
from gridgov.disputes.models import DisputeType, Outcome, RiskLevel
from gridgov.events.models import State

COLUMNS = [
    Column("event__number", "事件编号"),
    Column("dispute_type", "纠纷类型", choices=dict(DisputeType.choices)),
    Column("risk_level", "风险等级", choices=dict(RiskLevel.choices)),
    Column("event__state", "状态", choices=dict(State.choices)),
    Column("event__grid__name", "网格"),
    Column("event__description", "描述", free_text=True),
    Column("created_at", "登记时间"),
    Column("outcome", "化解结果", choices=dict(Outcome.choices)),
    Column("outcome_at", "结果时间"),
    Column("event__overdue", "超期", yes_no=True),
]


def export_disputes(user: Any, filters: selectors.DisputeFilter) -> tuple[bytes, int]:
    """(the .xlsx, the number of disputes) of the user's list with these filters."""
    return export_list(
        user,
        selectors.ordered(selectors.filter_disputes(selectors.disputes_for(user), filters, user)),
        title="矛盾纠纷",
        columns=COLUMNS,
        may_see_personal=scope_of(user, Cap.SEE_PII).covers,
        object_type="disputes.dispute",
        noun="disputes",
        path=area_path(user, filters.node_id),
        filters=asdict(filters),
    )
