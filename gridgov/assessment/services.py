"""The assessment's steps: indicators computed for a place and year, the community's proposal,
the township's review, the county's approval (with its cap on the share of 优秀), and the worker's
one appeal with the county's answer. Each step is atomic, recorded as an AssessmentStep and in
the audit log, and tells the next people in the chain."""

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import deny, require
from gridgov.assessment import indicators
from gridgov.assessment.models import Assessment, AssessmentScheme, AssessmentStep, Result, Status, StepKind
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record, record_rows
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.workforce.models import WorkerFile, WorkerStatus

LEVEL_ROLE: dict[str, str] = {
    Level.COMMUNITY: Role.COMMUNITY_ADMIN,
    Level.TOWNSHIP: Role.TOWNSHIP_ADMIN,
    Level.COUNTY: Role.COUNTY_ADMIN,
}


def scheme_for(county_code: str, year: int) -> AssessmentScheme:
    scheme = AssessmentScheme.objects.filter(county_code=county_code, year=year).first()
    if scheme is None:
        raise ValidationError({"year": f"{year}年度尚无本区县的考核方案（指标权重与优秀比例）"})
    return scheme


def _officials(path: str, level: str) -> list[int]:
    """The officials of the node at `level` above `path` (who act on the next step)."""
    node_path = paths.at_level(path, level)
    return list(
        RoleAssignment.objects.filter(node__path=node_path, role=LEVEL_ROLE[level]).values_list(
            "user_id", flat=True
        )
    )


def _require_level(user: User, assessment: Assessment, level: str) -> None:
    """The step belongs to the office at `level` over the worker (or one above it)."""
    require(user, Cap.MANAGE_STAFF, paths.at_level(assessment.path, level), assessment)


def _locked(assessment: Assessment, version: Any, *expected: str) -> Assessment:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if version not in (None, "") and str(version) != str(assessment.version):
        raise PreconditionFailed("该考核已被他人更新，请刷新后重试", current_version=assessment.version)
    if assessment.status not in expected:
        raise ConflictError(f"该考核当前{assessment.get_status_display()}，不能执行此操作")
    return assessment


def _step(assessment: Assessment, kind: str, user: User | None, note: str = "") -> None:
    AssessmentStep.objects.create(
        assessment=assessment,
        path=assessment.path,
        county_code=assessment.county_code,
        kind=kind,
        result=assessment.result,
        note=note[:500],
        actor=user,
    )


def _save(assessment: Assessment, old_status: str, kind: str, user: User, note: str = "") -> Assessment:
    assessment.version = F("version") + 1
    assessment.save()
    assessment.refresh_from_db()
    _step(assessment, kind, user, note)
    record(
        Action.TRANSITION,
        assessment,
        changes={"status": [old_status, assessment.status], "result": assessment.result},
        message=f"assessment {kind}",
    )
    return assessment


def _score(value: Any, field: str) -> Decimal:
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "评分须为 0–100 的数字"}) from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise ValidationError({field: "评分须为 0–100 的数字"})
    return score.quantize(Decimal("0.01"))


def _result(value: Any, field: str = "result") -> str:
    if value not in Result.values:
        raise ValidationError({field: "请选择考核等次：优秀、合格、基本合格或不合格"})
    return str(value)


@logs_failures(Action.CREATE)
@transaction.atomic
def compute_assessments(*, user: User, node: Node, year: Any) -> int:
    """Open (or bring up to date) the year's assessments of the active workers under `node`:
    indicators from the data, their weighted score; only those not yet proposed change."""
    require(user, Cap.MANAGE_STAFF, node.path, node)
    if node.level not in {Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY}:
        raise ValidationError({"node": "请选择区县、街道乡镇或社区"})
    from gridgov.workforce.services import check_year

    year_value = check_year(year)
    scheme = scheme_for(node.county_code, year_value)
    values = indicators.county_indicators(node.county_code, year_value)
    workers = WorkerFile.objects.filter(path__under=node.path, status=WorkerStatus.ACTIVE)
    existing = {a.worker_id: a for a in Assessment.objects.filter(worker__in=workers, year=year_value)}
    created, updated = [], []
    for worker_id, path, county_code in workers.values_list("pk", "path", "county_code"):
        scores = values.get(worker_id, {})
        score = indicators.weighted(scores, scheme.weights)
        current = existing.get(worker_id)
        if current is None:
            created.append(
                Assessment(
                    worker_id=worker_id,
                    path=path,
                    county_code=county_code,
                    year=year_value,
                    indicators=scores,
                    indicator_score=score,
                )
            )
        elif current.status == Status.DRAFT:
            current.indicators, current.indicator_score = scores, score
            current.version += 1
            updated.append(current)
    Assessment.objects.bulk_create(created, batch_size=2000)
    Assessment.objects.bulk_update(updated, ["indicators", "indicator_score", "version"], batch_size=2000)
    touched = list(Assessment.objects.filter(worker__in=workers, year=year_value, status=Status.DRAFT))
    AssessmentStep.objects.bulk_create(
        [
            AssessmentStep(
                assessment=a, path=a.path, county_code=a.county_code, kind=StepKind.COMPUTED, actor=user
            )
            for a in touched
        ]
    )
    record_rows(
        Action.UPDATE,
        "assessment.assessment",
        ((a.pk, str(a), a.path, {"indicator_score": str(a.indicator_score)}) for a in touched),
        message=f"indicators computed for {year_value}",
        user=user,
    )
    return len(touched)


def total_score(assessment: Assessment, committee: Decimal, scheme: AssessmentScheme) -> Decimal:
    """Indicators and the committee's score weighted as the county set them; without any
    indicator value, the committee's score alone."""
    if assessment.indicator_score is None:
        return committee
    weight = scheme.committee_weight
    return (assessment.indicator_score * (1 - weight) + committee * weight).quantize(Decimal("0.01"))


@logs_failures(Action.TRANSITION)
@transaction.atomic
def propose(
    *,
    user: User,
    assessment: Assessment,
    result: Any,
    committee_score: Any,
    note: str = "",
    version: Any = None,
) -> Assessment:
    """The community proposes the result, with the assessment committee's score."""
    _require_level(user, assessment, Level.COMMUNITY)
    assessment = _locked(assessment, version, Status.DRAFT)
    scheme = scheme_for(assessment.county_code, assessment.year)
    committee = _score(committee_score, "committee_score")
    assessment.committee_score = committee
    assessment.total_score = total_score(assessment, committee, scheme)
    assessment.result = _result(result)
    if assessment.result == Result.EXCELLENT and assessment.total_score < scheme.excellent_min:
        raise ValidationError({"result": f"总分{assessment.total_score}低于优秀最低分{scheme.excellent_min}"})
    assessment.note = (note or "").strip()[:300]
    assessment.status = Status.PROPOSED
    assessment = _save(assessment, Status.DRAFT, StepKind.PROPOSED, user, note)
    notify(
        _officials(assessment.path, Level.TOWNSHIP),
        f"{assessment.worker.name}{assessment.year}年度考核待街道审核",
        subject=assessment,
        awaiting=Status.PROPOSED,
    )
    return assessment


@logs_failures(Action.TRANSITION)
@transaction.atomic
def review(
    *, user: User, assessment: Assessment, agree: bool, note: str = "", version: Any = None
) -> Assessment:
    """The township passes the proposal to the county, or returns it to the community with a reason."""
    _require_level(user, assessment, Level.TOWNSHIP)
    assessment = _locked(assessment, version, Status.PROPOSED)
    note = (note or "").strip()
    if not agree and not note:
        raise ValidationError({"note": "退回请写明理由"})
    assessment.status = Status.REVIEWED if agree else Status.DRAFT
    assessment = _save(
        assessment, Status.PROPOSED, StepKind.REVIEWED if agree else StepKind.RETURNED, user, note
    )
    level = Level.COUNTY if agree else Level.COMMUNITY
    message = "待区县审定" if agree else f"被街道退回：{note}"
    notify(
        _officials(assessment.path, level),
        f"{assessment.worker.name}{assessment.year}年度考核{message}",
        subject=assessment,
        awaiting=assessment.status,
    )
    return assessment


def excellent_room(county_code: str, year: int, scheme: AssessmentScheme) -> tuple[int, int]:
    """(优秀 already approved or under appeal, the most the cap allows) for a county's year: the
    cap is a share of everyone assessed that year, rounded down."""
    assessed = Assessment.objects.filter(county_code=county_code, year=year)
    taken = assessed.filter(result=Result.EXCELLENT, status__in=[Status.APPROVED, Status.APPEALED]).count()
    return taken, math.floor(scheme.excellent_cap * assessed.count())


def _check_cap(county_code: str, year: int, adding: int) -> None:
    if not adding:
        return
    scheme = scheme_for(county_code, year)
    taken, most = excellent_room(county_code, year, scheme)
    if taken + adding > most:
        raise ConflictError(
            f"优秀比例超过上限：{year}年度本区县最多{most}名优秀（{scheme.excellent_cap:.0%}），"
            f"已审定{taken}名，本次{adding}名",
            taken=taken,
            most=most,
        )


@logs_failures(Action.TRANSITION)
@transaction.atomic
def approve(*, user: User, assessment: Assessment, version: Any = None) -> Assessment:
    """The county approves one reviewed assessment (within its cap on 优秀)."""
    _require_level(user, assessment, Level.COUNTY)
    assessment = _locked(assessment, version, Status.REVIEWED)
    _check_cap(assessment.county_code, assessment.year, 1 if assessment.result == Result.EXCELLENT else 0)
    assessment.status = Status.APPROVED
    assessment = _save(assessment, Status.REVIEWED, StepKind.APPROVED, user)
    notify(
        [assessment.worker.user_id],
        f"您的{assessment.year}年度考核结果：{assessment.get_result_display()}",
        subject=assessment,
    )
    return assessment


@logs_failures(Action.TRANSITION)
@transaction.atomic
def approve_reviewed(*, user: User, county: Node, year: Any) -> int:
    """The county approves every reviewed assessment of its year at once, if the 优秀 among them
    fit under the cap (else none is approved and the message says how many are too many)."""
    require(user, Cap.MANAGE_STAFF, county.path, county)
    if county.level != Level.COUNTY:
        raise ValidationError({"county": "请选择区县"})
    reviewed: QuerySet[Assessment] = Assessment.objects.select_for_update().filter(
        county_code=county.county_code, year=int(year), status=Status.REVIEWED
    )
    rows = list(reviewed.select_related("worker"))
    _check_cap(county.county_code, int(year), sum(1 for a in rows if a.result == Result.EXCELLENT))
    for assessment in rows:
        assessment.status = Status.APPROVED
        _save(assessment, Status.REVIEWED, StepKind.APPROVED, user)
        notify(
            [assessment.worker.user_id],
            f"您的{assessment.year}年度考核结果：{assessment.get_result_display()}",
            subject=assessment,
        )
    return len(rows)


@logs_failures(Action.TRANSITION)
@transaction.atomic
def return_to_township(*, user: User, assessment: Assessment, note: str, version: Any = None) -> Assessment:
    _require_level(user, assessment, Level.COUNTY)
    assessment = _locked(assessment, version, Status.REVIEWED)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "退回请写明理由"})
    assessment.status = Status.PROPOSED
    assessment = _save(assessment, Status.REVIEWED, StepKind.RETURNED, user, note)
    notify(
        _officials(assessment.path, Level.TOWNSHIP),
        f"{assessment.worker.name}{assessment.year}年度考核被区县退回：{note}",
        subject=assessment,
        awaiting=Status.PROPOSED,
    )
    return assessment


@logs_failures(Action.TRANSITION)
@transaction.atomic
def appeal(*, user: User, assessment: Assessment, reason: str) -> Assessment:
    """The worker appeals their approved result, once."""
    if assessment.worker.user_id != user.pk:
        deny(user, "appeal of another worker's assessment", assessment)
        raise PermissionDenied("只能对本人的考核结果申诉")
    assessment = _locked(assessment, None, Status.APPROVED, Status.APPEALED)
    if assessment.appealed_at is not None:
        raise ConflictError("每个考核年度只能申诉一次")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明申诉理由"})
    assessment.appeal_reason = reason[:500]
    assessment.appealed_at = timezone.now()
    assessment.status = Status.APPEALED
    assessment = _save(assessment, Status.APPROVED, StepKind.APPEALED, user, reason)
    notify(
        _officials(assessment.path, Level.COUNTY),
        f"{assessment.worker.name}对{assessment.year}年度考核结果提出申诉",
        subject=assessment,
        awaiting=Status.APPEALED,
    )
    return assessment


@logs_failures(Action.TRANSITION)
@transaction.atomic
def decide_appeal(
    *, user: User, assessment: Assessment, result: Any, decision: str, version: Any = None
) -> Assessment:
    """The county answers the appeal: the result stands or is changed (within the cap)."""
    _require_level(user, assessment, Level.COUNTY)
    assessment = _locked(assessment, version, Status.APPEALED)
    new_result = _result(result)
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError({"decision": "请写明申诉答复"})
    if new_result == Result.EXCELLENT and assessment.result != Result.EXCELLENT:
        _check_cap(assessment.county_code, assessment.year, 1)
    old = assessment.result
    assessment.result = new_result
    assessment.appeal_decision = decision[:500]
    assessment.appeal_decided_at = timezone.now()
    assessment.status = Status.APPROVED
    assessment = _save(assessment, Status.APPEALED, StepKind.APPEAL_DECIDED, user, decision)
    changed = "维持原结果" if old == new_result else f"改为{assessment.get_result_display()}"
    notify(
        [assessment.worker.user_id], f"您的{assessment.year}年度考核申诉已答复：{changed}", subject=assessment
    )
    return assessment


def _percent(value: Any, field: str, label: str, *, below: int = 101) -> Decimal:
    """A percentage 0–100 (below `below`) as typed on the form; the error names the field."""
    try:
        share = Decimal(str(value if value is not None else "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label}须为 0–100 的数字（百分比）"}) from None
    if not share.is_finite() or share < 0 or share >= below:
        raise ValidationError({field: f"{label}须在 0–{below - 1}% 之间"})
    if share != share.quantize(Decimal("0.1")):
        raise ValidationError({field: f"{label}最多保留一位小数"})
    return share


@logs_failures(Action.UPDATE)
@transaction.atomic
def set_scheme(
    *,
    user: User,
    county: Node,
    year: Any,
    weights: dict[str, Any],
    committee_weight: Any,
    excellent_cap: Any,
    version: Any = None,
) -> AssessmentScheme:
    """Set a county's assessment scheme for a year, every share in percent as the form has it:
    each indicator's weight and the committee's (together 100%, the indicators' more than 0), and
    the cap on the share of 优秀 (0–100%). Stored as fractions, as the scheme keeps them."""
    if county.level != Level.COUNTY:
        raise ValidationError({"county": "请选择区县"})
    require(user, Cap.MANAGE_STAFF, county.path, county)
    try:
        year_value = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": "年度须为四位数字"}) from None
    if not 2000 <= year_value <= 2100:
        raise ValidationError({"year": "年度须在 2000–2100 之间"})
    unknown = sorted(set(weights) - set(indicators.NAMES))
    if unknown:
        raise ValidationError({f"weight_{unknown[0]}": "没有这项考核指标"})
    shares = {
        key: _percent(weights.get(key), f"weight_{key}", f"{label}权重")
        for key, label in indicators.NAMES.items()
    }
    committee = _percent(committee_weight, "committee_weight", "考核委员会评分权重", below=100)
    cap = _percent(excellent_cap, "excellent_cap", "优秀比例上限")
    if not sum(shares.values()):
        raise ValidationError({"weights": "指标权重不能全为 0"})
    total = sum(shares.values()) + committee
    if total != 100:
        raise ValidationError({"weights": f"指标权重与委员会评分权重合计须为 100%（现为 {total}%）"})
    hundred = Decimal(100)
    values = {
        "weights": {key: float(share / hundred) for key, share in shares.items()},
        "committee_weight": (committee / hundred).quantize(Decimal("0.001")),
        "excellent_cap": (cap / hundred).quantize(Decimal("0.001")),
    }
    scheme = (
        AssessmentScheme.objects.select_for_update()
        .filter(county_code=county.county_code, year=year_value)
        .first()
    )
    if scheme is None:
        scheme = AssessmentScheme.objects.create(
            county=county, path=county.path, county_code=county.county_code, year=year_value, **values
        )
        record(Action.CREATE, scheme, message=f"assessment scheme {year_value} set")
        return scheme
    if version not in (None, "") and str(version) != str(scheme.version):
        raise PreconditionFailed("该考核方案已被他人修改，请刷新后重试", current_version=scheme.version)
    before = {
        "weights": scheme.weights,
        "committee_weight": str(scheme.committee_weight),
        "excellent_cap": str(scheme.excellent_cap),
    }
    for name, value in values.items():
        setattr(scheme, name, value)
    scheme.version = F("version") + 1
    scheme.save()
    scheme.refresh_from_db()
    after = {
        "weights": scheme.weights,
        "committee_weight": str(scheme.committee_weight),
        "excellent_cap": str(scheme.excellent_cap),
    }
    changes = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    record(Action.UPDATE, scheme, changes=changes, message=f"assessment scheme {year_value} set")
    return scheme
