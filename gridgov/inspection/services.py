"""Writes of supervision and inspection: make a plan (grids picked, or drawn at random with a
recorded seed), score a grid's inspection, record findings with photos, issue a rectification to
the grid's worker, the worker's report, the re-inspection. Atomic; saves audited by the model
signals (bulk rows by `record_created`), refused writes by `logs_failures`; notices through
notifications.notify."""

import random
import secrets
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import can, deny, require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record, record_created
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.hierarchy.models import Level, Node
from gridgov.inspection.models import (
    ChecklistItem,
    InspectionFinding,
    InspectionPhoto,
    InspectionPlan,
    InspectionVisit,
    ItemScore,
    PlanState,
    Rectification,
    RectificationState,
    RectificationStep,
    StepKind,
    VisitState,
)
from gridgov.notifications.services import notify

PLAN_LEVELS = (Level.TOWNSHIP, Level.COUNTY)
MAX_WINDOW_DAYS = 366
MAX_GRIDS = 500
MAX_TEXT = 1000
MAX_REASON = 500
MAX_SEED = 2**62
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


# --- plans ---------------------------------------------------------------------------------------


def area_grids(node: Node) -> list[Node]:
    """The grids under `node`, in path order (the order a draw is made from)."""
    return list(Node.objects.filter(path__under=node.path, level=Level.GRID).order_by("path"))


def draw_grids(node: Node, count: int, seed: int) -> list[Node]:
    """`count` grids of the area drawn by a generator seeded with `seed`: the same area, count and
    seed draw the same grids, so anyone may check a draw from its recorded seed."""
    grids = area_grids(node)
    if count < 1:
        raise ValidationError({"draw_count": "抽取网格数至少为 1"})
    if count > len(grids):
        raise ValidationError({"draw_count": f"{node.name}只有 {len(grids)} 个网格，不能抽取 {count} 个"})
    drawn = random.Random(seed).sample(grids, count)
    return sorted(drawn, key=lambda g: g.path)


def _title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "请填写计划名称"})
    if len(title) > 100:
        raise ValidationError({"title": "计划名称最多 100 字"})
    return title


def _window(starts_on: date | None, ends_on: date | None) -> tuple[date, date]:
    if starts_on is None:
        raise ValidationError({"starts_on": "请填写开始日期"})
    if ends_on is None:
        raise ValidationError({"ends_on": "请填写结束日期"})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "结束日期不能早于开始日期"})
    if (ends_on - starts_on).days > MAX_WINDOW_DAYS:
        raise ValidationError({"ends_on": "检查时间最长一年"})
    return starts_on, ends_on


def _inspectors(user: Any, ids: Iterable[int]) -> list[User]:
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        raise ValidationError({"inspectors": "请至少指定一名检查人员"})
    found = list(User.objects.restrict(user).filter(pk__in=wanted, is_active=True))
    missing = sorted(set(wanted) - {u.pk for u in found})
    if missing:
        raise ValidationError({"inspectors": f"检查人员不存在或不在您的辖区：{missing}"})
    return found


def _picked(node: Node, grid_ids: Iterable[int]) -> list[Node]:
    wanted = sorted({int(i) for i in grid_ids})
    grids = list(Node.objects.filter(pk__in=wanted, level=Level.GRID, path__under=node.path).order_by("path"))
    missing = sorted(set(wanted) - {g.pk for g in grids})
    if missing:
        raise ValidationError({"grid_ids": f"不是{node.name}的网格：{missing}"})
    return grids


def grid_workers(grids: Iterable[Node]) -> dict[int, int]:
    """grid id → its full-time worker's user id (grids without one are left out)."""
    return dict(
        RoleAssignment.objects.filter(node__in=list(grids), role=Role.GRID_WORKER).values_list(
            "node_id", "user_id"
        )
    )


@logs_failures(Action.CREATE)
@transaction.atomic
def create_plan(
    *,
    user: Any,
    node: Node,
    title: str,
    starts_on: date | None,
    ends_on: date | None,
    inspector_ids: Iterable[int],
    grid_ids: Iterable[int] = (),
    draw_count: int | None = None,
    draw_seed: int | None = None,
) -> InspectionPlan:
    """A township's or county's plan: the grids picked (`grid_ids`) or `draw_count` grids drawn at
    random from the area (seeded by `draw_seed`, or a fresh seed, recorded on the plan)."""
    if node.level not in PLAN_LEVELS:
        raise ValidationError({"node": "督导检查计划由街道（乡镇）或区县制定"})
    require(user, Cap.HANDLE_EVENT, node.path, node)
    title = _title(title)
    starts_on, ends_on = _window(starts_on, ends_on)
    inspectors = _inspectors(user, inspector_ids)
    grid_ids = list(grid_ids or ())
    if grid_ids and draw_count:
        raise ValidationError({"grid_ids": "指定网格和随机抽取只能选一种"})
    if draw_count:
        if draw_seed is None:
            draw_seed = secrets.randbelow(MAX_SEED)
        elif not 0 <= draw_seed < MAX_SEED:
            raise ValidationError({"draw_seed": "抽签种子须为非负整数"})
        grids = draw_grids(node, draw_count, draw_seed)
    elif grid_ids:
        grids = _picked(node, grid_ids)
        draw_seed = None
    else:
        raise ValidationError({"grid_ids": "请指定检查的网格，或随机抽取"})
    if len(grids) > MAX_GRIDS:
        raise ValidationError({"grid_ids": f"一个计划最多 {MAX_GRIDS} 个网格"})
    plan = InspectionPlan.objects.create(
        title=title,
        node=node,
        path=node.path,
        county_code=node.county_code,
        starts_on=starts_on,
        ends_on=ends_on,
        draw_seed=draw_seed,
        draw_count=draw_count or None,
        drawn_at=timezone.now() if draw_count else None,
        created_by=user,
    )
    plan.inspectors.set(inspectors)
    workers = grid_workers(grids)
    visits = InspectionVisit.objects.bulk_create(
        [
            InspectionVisit(
                plan=plan, grid=g, path=g.path, county_code=g.county_code, worker_id=workers.get(g.pk)
            )
            for g in grids
        ]
    )
    record_created(visits, message=f"inspection plan {plan.pk}")
    if draw_count:
        record(
            Action.UPDATE,
            plan,
            changes={
                "draw": [None, {"seed": draw_seed, "count": draw_count, "grids": [g.code for g in grids]}]
            },
            message=f"random draw of {draw_count} grids of {node.name}, seed {draw_seed}",
        )
    notify(
        [u.pk for u in inspectors],
        f"督导检查任务：{title}（{starts_on:%m-%d} 至 {ends_on:%m-%d}，{len(grids)} 个网格）",
        subject=plan,
        exclude=user,
    )
    return plan


def may_inspect(user: Any, plan: InspectionPlan) -> bool:
    """Inspectors named on the plan, its maker, and the centres over its area."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if plan.created_by_id == user.pk or can(user, Cap.HANDLE_EVENT, plan.path):
        return True
    return plan.inspectors.filter(pk=user.pk).exists()


def _require_inspector(user: Any, visit: InspectionVisit) -> None:
    if not may_inspect(user, visit.plan):
        deny(user, "not an inspector of this plan", visit)
        raise PermissionDenied("只有本计划的检查人员可以检查")
    if visit.worker_id is not None and visit.worker_id == user.pk:
        deny(user, "inspecting one's own grid", visit)
        raise PermissionDenied("不能检查自己所在的网格")


def _require_open(plan: InspectionPlan, today: date) -> None:
    if plan.state != PlanState.OPEN:
        raise ConflictError("该计划已结束")
    if not plan.starts_on <= today <= plan.ends_on:
        raise ConflictError(f"检查时间为 {plan.starts_on} 至 {plan.ends_on}")


@logs_failures(Action.UPDATE)
@transaction.atomic
def close_plan(*, user: Any, plan: InspectionPlan) -> InspectionPlan:
    plan = InspectionPlan.objects.select_for_update().get(pk=plan.pk)
    require(user, Cap.HANDLE_EVENT, plan.path, plan)
    if plan.state == PlanState.CLOSED:
        raise ConflictError("该计划已结束")
    plan.state = PlanState.CLOSED
    plan.save(update_fields=["state"])
    return plan


# --- scoring -------------------------------------------------------------------------------------


def checklist() -> list[ChecklistItem]:
    return list(ChecklistItem.objects.filter(active=True, duty__active=True).select_related("duty"))


def _points(raw: Any, item: ChecklistItem) -> Decimal:
    field = f"points_{item.pk}"
    if raw is None or raw == "":
        raise ValidationError({field: f"请为“{item.text}”打分"})
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"“{item.text}”的得分须为数字"}) from None
    if not value.is_finite() or value < 0 or value > item.max_points:
        raise ValidationError({field: f"“{item.text}”的得分须在 0 到 {item.max_points} 之间"})
    if value * 2 != (value * 2).to_integral_value():
        raise ValidationError({field: f"“{item.text}”的得分以 0.5 分为单位"})
    return value


def score_of(points: Iterable[tuple[Decimal, int]]) -> Decimal:
    """The inspection's score 0–100: the points over the items' maximum, to one decimal."""
    rows = list(points)
    total = sum((m for _p, m in rows), 0)
    if not total:
        return Decimal("0.0")
    got = sum((p for p, _m in rows), Decimal(0))
    return (got * 100 / total).quantize(Decimal("0.1"))


@logs_failures(Action.UPDATE)
@transaction.atomic
def score_visit(
    *,
    user: Any,
    visit: InspectionVisit,
    points: dict[Any, Any],
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> InspectionVisit:
    """Score a grid's inspection: points for every active checklist item (0 to its maximum, in
    half points). Scoring again replaces the scores; `version` guards against two inspectors
    overwriting each other (412)."""
    now = now or timezone.now()
    visit = InspectionVisit.objects.select_for_update().select_related("plan").get(pk=visit.pk)
    _require_inspector(user, visit)
    _require_open(visit.plan, timezone.localdate(now))
    if version is not None and version != visit.version:
        raise PreconditionFailed("别人已先保存了这次检查的评分", current_version=visit.version)
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": f"检查意见最多 {MAX_TEXT} 字"})
    items = checklist()
    if not items:
        raise ValidationError({"points": "检查项目表为空，请先维护检查项目"})
    given = {str(k): v for k, v in (points or {}).items()}
    unknown = sorted(set(given) - {str(i.pk) for i in items})
    if unknown:
        raise ValidationError({"points": f"未知的检查项目：{', '.join(unknown)}"})
    scored = [(item, _points(given.get(str(item.pk)), item)) for item in items]
    ItemScore.objects.filter(visit=visit).delete()
    ItemScore.objects.bulk_create(
        [
            ItemScore(visit=visit, item=item, points=value, max_points=item.max_points)
            for item, value in scored
        ]
    )
    visit.score = score_of((value, item.max_points) for item, value in scored)
    visit.state, visit.note = VisitState.DONE, note
    visit.inspected_by, visit.inspected_at = user, now
    visit.version += 1
    visit.save()
    record(
        Action.UPDATE,
        visit,
        changes={"item_scores": [None, {str(item.pk): str(value) for item, value in scored}]},
        message=f"inspection of {visit.grid_id} scored {visit.score}",
    )
    return visit


# --- findings and photos -------------------------------------------------------------------------


def _check_photos(photos: Any) -> list[Any]:
    """Check uploads by content before anything is written (JPEG, PNG, WebP; 5 MB; 9 at most)."""
    from gridgov.events.photos import check_photos

    return check_photos(photos, "photos")


def _store_photos(checked: list[Any], path: str, county_code: str, **owner: Any) -> list[InspectionPhoto]:
    """Store checked photos under fresh names (removed again if storing one fails)."""
    from gridgov.events.photos import remove_files

    written: list[str] = []
    stored = []
    try:
        for photo in checked:
            name = f"inspection/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{_EXTENSIONS[photo.content_type]}"
            written.append(default_storage.save(name, ContentFile(photo.content)))
            stored.append(
                InspectionPhoto.objects.create(
                    image=written[-1],
                    content_type=photo.content_type,
                    size=len(photo.content),
                    path=path,
                    county_code=county_code,
                    **owner,
                )
            )
    except BaseException:
        remove_files(written)
        raise
    return stored


def _text(value: str, field: str, label: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: f"请填写{label}"})
    if len(value) > limit:
        raise ValidationError({field: f"{label}最多 {limit} 字"})
    return value


@logs_failures(Action.CREATE)
@transaction.atomic
def add_finding(
    *,
    user: Any,
    visit: InspectionVisit,
    description: str,
    item_id: int | None = None,
    photos: Any = (),
    now: datetime | None = None,
) -> InspectionFinding:
    """A problem found in a grid's inspection, with optional photos."""
    visit = InspectionVisit.objects.select_for_update().select_related("plan").get(pk=visit.pk)
    _require_inspector(user, visit)
    _require_open(visit.plan, timezone.localdate(now or timezone.now()))
    description = _text(description, "description", "问题描述")
    checked = _check_photos(photos)
    item = None
    if item_id:
        item = ChecklistItem.objects.filter(pk=item_id).first()
        if item is None:
            raise ValidationError({"item_id": f"未知的检查项目：{item_id}"})
    finding = InspectionFinding.objects.create(
        visit=visit,
        item=item,
        description=description,
        created_by=user,
        path=visit.path,
        county_code=visit.county_code,
    )
    _store_photos(checked, visit.path, visit.county_code, finding=finding)
    return finding


# --- rectifications ------------------------------------------------------------------------------


def _deadline(deadline: datetime | date | None, now: datetime) -> datetime:
    if deadline is None:
        raise ValidationError({"deadline": "请填写整改时限"})
    if not isinstance(deadline, datetime):
        deadline = datetime.combine(deadline, datetime.max.time().replace(microsecond=0))
    if timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline <= now:
        raise ValidationError({"deadline": "整改时限必须晚于现在"})
    if deadline > now + timedelta(days=MAX_WINDOW_DAYS):
        raise ValidationError({"deadline": "整改时限最长一年"})
    return deadline


def _current_worker(grid_id: int) -> int | None:
    return (
        RoleAssignment.objects.filter(node_id=grid_id, role=Role.GRID_WORKER)
        .values_list("user_id", flat=True)
        .first()
    )


@logs_failures(Action.CREATE)
@transaction.atomic
def issue_rectification(
    *,
    user: Any,
    finding: InspectionFinding,
    requirement: str,
    deadline: datetime | date | None,
    now: datetime | None = None,
) -> Rectification:
    """Send a finding to the grid for rectification with a deadline: its full-time worker is told."""
    now = now or timezone.now()
    finding = (
        InspectionFinding.objects.select_for_update()
        .select_related("visit", "visit__plan")
        .get(pk=finding.pk)
    )
    _require_inspector(user, finding.visit)
    if Rectification.objects.filter(finding=finding).exists():
        raise ConflictError("该问题已下达整改")
    requirement = _text(requirement, "requirement", "整改要求")
    when = _deadline(deadline, now)
    worker_id = _current_worker(finding.visit.grid_id) or finding.visit.worker_id
    rectification = Rectification.objects.create(
        finding=finding,
        grid_id=finding.visit.grid_id,
        worker_id=worker_id,
        requirement=requirement,
        deadline=when,
        issued_by=user,
        path=finding.path,
        county_code=finding.county_code,
    )
    RectificationStep.objects.create(
        rectification=rectification, kind=StepKind.ISSUED, text=requirement, by=user
    )
    notify(
        [worker_id] if worker_id else [],
        f"督导检查整改：{requirement[:60]}，{timezone.localtime(when):%m-%d %H:%M} 前完成整改并报告",
        subject=rectification,
        awaiting=RectificationState.OPEN,
    )
    return rectification


def _locked(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update()
        .select_related("finding__visit__plan")
        .get(pk=rectification.pk)
    )


@logs_failures(Action.UPDATE)
@transaction.atomic
def report_rectification(
    *,
    user: Any,
    rectification: Rectification,
    text: str,
    photos: Any = (),
    now: datetime | None = None,
) -> Rectification:
    """The grid's worker reports what was done (text, optional photos); it waits for re-inspection.
    A second report while the first waits is refused (409): the phone's retry of the same report
    is answered from its idempotency key instead."""
    rectification = _locked(rectification)
    require(user, Cap.REPORT_EVENT, rectification.path, rectification)
    if rectification.state != RectificationState.OPEN:
        raise ConflictError(f"该整改{rectification.get_state_display()}，不能再报告")
    text = _text(text, "text", "整改情况")
    checked = _check_photos(photos)
    step = RectificationStep.objects.create(
        rectification=rectification, kind=StepKind.REPORTED, text=text, by=user
    )
    _store_photos(checked, rectification.path, rectification.county_code, step=step)
    rectification.state, rectification.report = RectificationState.REPORTED, text
    rectification.reported_at = now or timezone.now()
    rectification.version += 1
    rectification.save()
    plan = rectification.finding.visit.plan
    reviewers = [rectification.issued_by_id, *plan.inspectors.values_list("pk", flat=True)]
    notify(
        [r for r in reviewers if r],
        f"整改已报告，待复查：{rectification.requirement[:60]}",
        subject=rectification,
        awaiting=RectificationState.REPORTED,
        exclude=user,
    )
    return rectification


@logs_failures(Action.UPDATE)
@transaction.atomic
def review_rectification(
    *,
    user: Any,
    rectification: Rectification,
    accept: bool,
    reason: str = "",
    deadline: datetime | date | None = None,
    now: datetime | None = None,
) -> Rectification:
    """Re-inspection: accepted, the rectification is closed (销号); rejected, it goes back to the
    worker with the reason (and a new deadline if given)."""
    now = now or timezone.now()
    rectification = _locked(rectification)
    plan = rectification.finding.visit.plan
    if not may_inspect(user, plan):
        deny(user, "not an inspector of this plan", rectification)
        raise PermissionDenied("只有本计划的检查人员可以复查")
    if rectification.state != RectificationState.REPORTED:
        raise ConflictError(f"该整改{rectification.get_state_display()}，不能复查")
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"复查意见最多 {MAX_REASON} 字"})
    if accept:
        rectification.state, rectification.closed_at = RectificationState.CLOSED, now
        kind, message = StepKind.ACCEPTED, f"整改复查通过，已销号：{rectification.requirement[:60]}"
    else:
        if not reason:
            raise ValidationError({"reason": "退回须写明理由"})
        if deadline is not None:
            rectification.deadline = _deadline(deadline, now)
        rectification.state, rectification.last_reason = RectificationState.OPEN, reason
        rectification.rejections += 1
        kind = StepKind.REJECTED
        message = f"整改复查未通过，请继续整改：{reason[:80]}"
    rectification.version += 1
    rectification.save()
    RectificationStep.objects.create(rectification=rectification, kind=kind, text=reason, by=user)
    notify(
        [rectification.worker_id] if rectification.worker_id else [],
        message,
        subject=rectification,
        awaiting="" if accept else RectificationState.OPEN,
        exclude=user,
    )
    return rectification


def remind_overdue(now: datetime | None = None, batch: int = 500) -> list[str]:
    """Tell the worker and the inspector who issued it, once per deadline, that a rectification
    is past its deadline without a report (the background worker's pass calls this)."""
    from gridgov.notifications.models import Notice

    now = now or timezone.now()
    late = (
        Rectification.objects.filter(state=RectificationState.OPEN, deadline__lt=now)
        .select_related("grid")
        .order_by("deadline", "pk")[:batch]
    )
    told = []
    for rect in late:
        due = f"{timezone.localtime(rect.deadline):%Y-%m-%d %H:%M}"
        message = f"整改已逾期（时限 {due}）：{rect.grid.name} {rect.requirement[:50]}"
        if Notice.objects.about(rect).filter(message=message).exists():
            continue
        notify([p for p in (rect.worker_id, rect.issued_by_id) if p], message, subject=rect)
        told.append(f"{rect.pk} {due}")
    return told
