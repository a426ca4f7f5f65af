"""Writes of screening rounds: open a round for an area's grids, answer it from a grid."""

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record_created
from gridgov.core.errors import ConflictError
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.screening.models import FindingKind, ReturnState, ScreeningReturn, ScreeningRound

OPENING_LEVELS = (Level.TOWNSHIP, Level.COUNTY)
MAX_FINDINGS = 50


@logs_failures(Action.CREATE)
@transaction.atomic
def open_round(
    *, user: Any, node: Node, title: str, deadline: date | None, note: str = "", today: date | None = None
) -> ScreeningRound:
    """A township or county opens a round for every grid under it; their workers are told."""
    require(user, Cap.HANDLE_EVENT, node.path, node)
    if node.level not in OPENING_LEVELS:
        raise ValidationError({"node": "排查由街道/乡镇或区县发起"})
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise ValidationError({"title": "请填写排查名称（最多 100 字）"})
    today = today or timezone.localdate()
    if deadline is None or deadline < today or deadline > today + timedelta(days=92):
        raise ValidationError({"deadline": "截止日期须在今天至三个月内"})
    if len(note or "") > 500:
        raise ValidationError({"note": "要求最多 500 字"})
    grids = list(Node.objects.filter(path__under=node.path, level=Level.GRID).order_by("path"))
    if not grids:
        raise ValidationError({"node": "该范围内没有网格"})
    round_ = ScreeningRound.objects.create(
        title=title,
        node=node,
        path=node.path,
        county_code=node.county_code,
        note=(note or "").strip(),
        deadline=deadline,
        opened_by=user,
    )
    rows = ScreeningReturn.objects.bulk_create(
        [ScreeningReturn(round=round_, grid=g, path=g.path, county_code=g.county_code) for g in grids]
    )
    record_created(rows, message=f"screening round {round_.pk}")
    from gridgov.mobile.changes import log_rows

    log_rows("screening", [(r.pk, r.path) for r in rows])
    workers = RoleAssignment.objects.filter(node__in=grids, role=Role.GRID_WORKER).values_list(
        "user_id", flat=True
    )
    notify(
        list(workers),
        f"矛盾纠纷排查：{title}，请于 {deadline:%m月%d日} 前报送（无发现请报零报告）",
        subject=round_,
    )
    return round_


def _findings(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise ValidationError({"findings": "发现须为列表"})
    if len(raw) > MAX_FINDINGS:
        raise ValidationError({"findings": f"一次最多报送 {MAX_FINDINGS} 条"})
    clean = []
    for index, item in enumerate(raw, start=1):
        kind = str((item or {}).get("kind", "")) if isinstance(item, dict) else ""
        text = str((item or {}).get("description", "")).strip() if isinstance(item, dict) else ""
        if kind not in FindingKind.values:
            raise ValidationError({"findings": f"第 {index} 条：类型须为 dispute 或 hazard"})
        if not text or len(text) > 500:
            raise ValidationError({"findings": f"第 {index} 条：请填写情况（最多 500 字）"})
        clean.append({"kind": kind, "description": text})
    return clean


@logs_failures(Action.UPDATE)
@transaction.atomic
def answer_round(
    *, user: Any, answer: ScreeningReturn, nil: bool, findings: Any = (), now: datetime | None = None
) -> ScreeningReturn:
    """A grid answers a round: its findings, or a nil return (no dispute, no hazard found)."""
    answer = ScreeningReturn.objects.select_for_update().get(pk=answer.pk)
    require(user, Cap.REPORT_EVENT, answer.path, answer)
    if answer.state != ReturnState.PENDING:
        raise ConflictError("本网格已报送，不能重复报送")
    clean = _findings(list(findings or []))
    if nil and clean:
        raise ValidationError({"nil": "零报告不能同时有发现"})
    if not nil and not clean:
        raise ValidationError({"findings": "请填写发现，或报零报告"})
    answer.state = ReturnState.NIL if nil else ReturnState.FINDINGS
    answer.findings = clean
    answer.disputes = sum(1 for f in clean if f["kind"] == FindingKind.DISPUTE)
    answer.hazards = sum(1 for f in clean if f["kind"] == FindingKind.HAZARD)
    answer.answered_by, answer.answered_at = user, now or timezone.now()
    answer.save()
    return answer
