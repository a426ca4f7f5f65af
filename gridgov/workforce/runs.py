"""The annual promotion run of a county: a preview with every worker's outcome and reason, which
may be refreshed (after an appeal changed a result) or cancelled, then approved, which applies all
its lines at once. The run reads whole columns in a few queries (gridgov.workforce.history) and
writes with bulk statements, so a county of a thousand workers or the whole city takes a second.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record, record_rows
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.hierarchy.models import Level, Node
from gridgov.workforce.history import CountyHistory, county_history
from gridgov.workforce.models import (
    GradeChange,
    GradeChangeKind,
    PromotionLine,
    PromotionRun,
    RunStatus,
    WorkerFile,
)
from gridgov.workforce.rules import Decision, decide
from gridgov.workforce.services import check_year

PENDING_REASON = "{year}年度考核尚未审定（{status}），暂不计算"


@dataclass(frozen=True)
class Outcome:
    worker_id: int
    path: str
    county_code: str
    grade_before: int
    decision: Decision
    basis: dict[str, str]

    def key(self) -> tuple[Any, ...]:
        d = self.decision
        return (self.worker_id, self.grade_before, d.grade_after, d.rule, tuple(sorted(self.basis.items())))


def outcomes(history: CountyHistory, year: int) -> list[Outcome]:
    """Every active worker's outcome of the run on `year`'s results."""
    found = []
    for worker in history.workers:
        results = history.results.get(worker.pk, {})
        basis = {str(y): r for y, r in sorted(results.items())}
        pending = history.pending.get(worker.pk)
        if pending is not None:
            decision = Decision(worker.grade, 0, "", PENDING_REASON.format(year=year, status=pending))
        else:
            decision = decide(worker.grade, results, year, history.last_promotion.get(worker.pk))
        found.append(Outcome(worker.pk, worker.path, worker.county_code, worker.grade, decision, basis))
    return found


def _county(node: Node) -> Node:
    if node.level != Level.COUNTY:
        raise ValidationError({"county": "晋档按区县进行，请选择区县"})
    return node


def _write_lines(run: PromotionRun, found: list[Outcome]) -> None:
    lines = [
        PromotionLine(
            run=run,
            worker_id=o.worker_id,
            path=o.path,
            county_code=o.county_code,
            grade_before=o.grade_before,
            grade_after=o.decision.grade_after,
            step=o.decision.step,
            rule=o.decision.rule,
            reason=o.decision.reason,
            basis=o.basis,
        )
        for o in found
    ]
    PromotionLine.objects.bulk_create(lines, batch_size=2000)
    run.workers = len(found)
    run.promoted_one = sum(1 for o in found if o.decision.step == 1)
    run.promoted_two = sum(1 for o in found if o.decision.step == 2)
    run.capped = sum(1 for o in found if o.decision.capped)
    # The lines are the record of the preview (kept with the run, each with its reason); the log
    # gets one row with the counts. Approval logs one row per worker whose grade it changes.
    record(
        Action.CREATE,
        run,
        changes={"workers": run.workers, "promoted_one": run.promoted_one, "promoted_two": run.promoted_two},
        message=f"promotion run preview: {run.workers} lines",
    )


@logs_failures(Action.CREATE)
@transaction.atomic
def preview_run(*, user: User, county: Node, assessment_year: Any) -> PromotionRun:
    """Compute a county's run on one year's approved results; nothing changes until approval."""
    county = _county(county)
    require(user, Cap.MANAGE_STAFF, county.path, county)
    year = check_year(assessment_year, "assessment_year")
    if PromotionRun.objects.filter(
        county_code=county.county_code, assessment_year__gte=year, status=RunStatus.APPLIED
    ).exists():
        raise ConflictError(f"{county.name}{year}年度或之后的晋档已批准执行")
    try:
        with transaction.atomic():
            run = PromotionRun.objects.create(
                county=county,
                path=county.path,
                county_code=county.county_code,
                assessment_year=year,
                created_by=user,
            )
    except IntegrityError:
        raise ConflictError(f"{county.name}{year}年度已有晋档批次，请在原批次上重新计算或撤销") from None
    _write_lines(run, outcomes(county_history(county.county_code, year), year))
    run.save(update_fields=["workers", "promoted_one", "promoted_two", "capped"])
    return run


def _locked(run: PromotionRun, version: Any) -> PromotionRun:
    run = PromotionRun.objects.select_for_update().get(pk=run.pk)
    if version is not None and str(version) != str(run.version):
        raise PreconditionFailed("该晋档批次已被他人更新，请刷新后重试", current_version=run.version)
    if run.status != RunStatus.PREVIEW:
        raise ConflictError(f"该批次{run.get_status_display()}，不能再操作")
    return run


@logs_failures(Action.UPDATE)
@transaction.atomic
def refresh_run(*, user: User, run: PromotionRun, version: Any = None) -> PromotionRun:
    """Compute the preview again from the current results and grades (after an appeal, a move)."""
    require(user, Cap.MANAGE_STAFF, run.path, run)
    run = _locked(run, version)
    deleted, _ = run.lines.all().delete()
    record(Action.DELETE, run, message=f"preview recomputed: {deleted} lines replaced")
    _write_lines(run, outcomes(county_history(run.county_code, run.assessment_year), run.assessment_year))
    run.refreshed_at = timezone.now()
    run.version = F("version") + 1
    run.save()
    run.refresh_from_db()
    return run


@logs_failures(Action.TRANSITION)
@transaction.atomic
def cancel_run(*, user: User, run: PromotionRun, version: Any = None) -> PromotionRun:
    require(user, Cap.MANAGE_STAFF, run.path, run)
    run = _locked(run, version)
    run.status = RunStatus.CANCELLED
    run.decided_by, run.decided_at = user, timezone.now()
    run.version = F("version") + 1
    run.save()
    run.refresh_from_db()
    record(
        Action.TRANSITION,
        run,
        changes={"status": ["preview", "cancelled"]},
        message="promotion run cancelled",
    )
    return run


def _stale(run: PromotionRun, current: list[Outcome]) -> list[str]:
    """Names of workers whose outcome would differ from the preview (or who came or went)."""
    stored = {
        line.worker_id: (
            line.worker_id,
            line.grade_before,
            line.grade_after,
            line.rule,
            tuple(sorted(line.basis.items())),
        )
        for line in run.lines.all()
    }
    now = {o.worker_id: o.key() for o in current}
    changed = [pk for pk in set(stored) | set(now) if stored.get(pk) != now.get(pk)]
    names = dict(WorkerFile.objects.filter(pk__in=changed[:20]).values_list("pk", "name"))
    return [names.get(pk, str(pk)) for pk in sorted(changed)[:20]] + (["…"] if len(changed) > 20 else [])


@logs_failures(Action.TRANSITION)
@transaction.atomic
def approve_run(*, user: User, run: PromotionRun, version: Any = None) -> PromotionRun:
    """Approve a preview and apply it: only if nothing it was computed from has changed since (an
    appeal decided, a grade adjusted, a worker gone), so what was approved is what is applied."""
    require(user, Cap.MANAGE_STAFF, run.path, run)
    run = _locked(run, version)
    year = run.assessment_year
    history = county_history(run.county_code, year)
    if history.pending:
        raise ConflictError(
            f"还有{len(history.pending)}名网格员的{year}年度考核未审定或在申诉中，审定后再批准",
            pending=len(history.pending),
        )
    current = outcomes(history, year)
    stale = _stale(run, current)
    if stale:
        raise ConflictError(
            "预览生成后以下网格员的考核结果或档次已变化，请重新计算预览后再批准：" + "、".join(stale),
            stale=stale,
        )
    moved = [o for o in current if o.decision.step > 0]
    by_grade: dict[int, list[int]] = {}
    for o in moved:
        by_grade.setdefault(o.decision.grade_after, []).append(o.worker_id)
    for grade, ids in by_grade.items():
        WorkerFile.objects.filter(pk__in=ids).update(grade=grade, version=F("version") + 1)
    GradeChange.objects.bulk_create(
        [
            GradeChange(
                worker_id=o.worker_id,
                path=o.path,
                county_code=o.county_code,
                year=run.effective_year,
                from_grade=o.grade_before,
                to_grade=o.decision.grade_after,
                kind=GradeChangeKind.PROMOTION,
                run=run,
                reason=o.decision.reason,
                created_by=user,
            )
            for o in moved
        ],
        batch_size=2000,
    )
    record_rows(
        Action.UPDATE,
        "workforce.workerfile",
        (
            (
                o.worker_id,
                f"worker {o.worker_id}",
                o.path,
                {"grade": [o.grade_before, o.decision.grade_after]},
            )
            for o in moved
        ),
        message=f"promotion run {run.pk} applied",
    )
    run.status = RunStatus.APPLIED
    run.decided_by, run.decided_at = user, timezone.now()
    run.version = F("version") + 1
    run.save()
    run.refresh_from_db()
    record(
        Action.TRANSITION,
        run,
        changes={"status": ["preview", "applied"]},
        message=f"promotion run approved: {len(moved)} workers promoted",
    )
    return run
