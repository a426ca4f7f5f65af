"""Writes of the tasks app: issue a task to the grid workers of an area, decide its admission,
complete it. Atomic; saves audited by the model signals (bulk rows by `record_created`), refused
writes by `logs_failures`; notices through notifications.notify."""

import re
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import can, deny, principal_of, require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record_created
from gridgov.core.errors import ConflictError
from gridgov.hierarchy import paths
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications.services import notify
from gridgov.tasks.models import Admission, AssignmentState, Duty, Source, Task, TaskAssignment, TaskPhoto

MAX_RESULT = 500
MAX_DESCRIPTION = 2000
LEVEL_SOURCES: dict[str, str] = {
    Level.CITY: Source.CITY,
    Level.COUNTY: Source.COUNTY,
    Level.TOWNSHIP: Source.TOWNSHIP,
    Level.COMMUNITY: Source.COMMUNITY,
}


def admission_path(task: Task) -> str:
    """Where admission is decided: the task's county (the city for a city-wide task)."""
    return paths.at_level(task.path, "county") or task.path


def county_reviewers(task: Task) -> list[int]:
    """County administrators over the task's area (city administrators for a city-wide one)."""
    where = admission_path(task)
    role = Role.COUNTY_ADMIN if paths.level_of(where) == "county" else Role.CITY_ADMIN
    return list(RoleAssignment.objects.filter(node__path=where, role=role).values_list("user_id", flat=True))


def _source_of(user: Any, node: Node) -> tuple[str, Any]:
    """Who gives the task: the centre of the user's role over the area, or their department."""
    principal = principal_of(user)
    covering = [root for root in principal.scope(Cap.HANDLE_EVENT).roots if node.path.startswith(root)]
    if principal.scope(Cap.HANDLE_EVENT).everything:
        covering = [paths.at_level(node.path, "city") or node.path]
    if covering:
        deepest = max(covering, key=len)
        level = paths.level_of(deepest)
        if level in LEVEL_SOURCES:
            return LEVEL_SOURCES[level], None
    for membership in principal.memberships:
        if node.path.startswith(membership.path) and can(user, Cap.DEPARTMENT_WORK, node.path):
            from gridgov.events.models import Organisation

            return Source.DEPARTMENT, Organisation.objects.get(pk=membership.org_id)
    deny(user, f"may not give tasks on {node.path}", node)
    raise PermissionDenied("只有辖区综治中心或部门可以向网格员下达任务")


def _deadline(deadline: datetime | None, now: datetime) -> datetime:
    if deadline is None:
        raise ValidationError({"deadline": "请填写完成时限"})
    if timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline <= now:
        raise ValidationError({"deadline": "完成时限必须晚于现在"})
    if deadline > now + timedelta(days=366):
        raise ValidationError({"deadline": "完成时限最长一年"})
    return deadline


@logs_failures(Action.CREATE)
@transaction.atomic
def issue_task(
    *,
    user: Any,
    node: Node,
    title: str,
    deadline: datetime | None,
    duty: str = "",
    description: str = "",
    now: datetime | None = None,
) -> Task:
    """Give a task to the full-time workers of every grid under `node`. Named duty: it reaches
    them at once. No duty (outside the ten): it waits for the county's admission review."""
    now = now or timezone.now()
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "请填写任务名称"})
    if len(title) > 100:
        raise ValidationError({"title": "任务名称最多 100 字"})
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError({"description": f"任务要求最多 {MAX_DESCRIPTION} 字"})
    if node.level == Level.BUILDING:
        raise ValidationError({"node": "任务下达到网格或以上层级"})
    source, organisation = _source_of(user, node)
    when = _deadline(deadline, now)
    found_duty = None
    if duty:
        found_duty = Duty.objects.filter(code=duty, active=True).first()
        if found_duty is None:
            raise ValidationError({"duty": f"未知的职责：{duty}（职责外的任务请不选职责，提交准入审批）"})
    grids = list(Node.objects.filter(path__under=node.path, level=Level.GRID).order_by("path"))
    if not grids:
        raise ValidationError({"node": "该范围内没有网格"})
    task = Task.objects.create(
        title=title,
        description=description,
        duty=found_duty,
        node=node,
        path=node.path,
        county_code=node.county_code,
        source=source,
        organisation=organisation,
        issued_by=user,
        deadline=when,
        admission=Admission.NOT_NEEDED if found_duty else Admission.PENDING,
    )
    workers = dict(
        RoleAssignment.objects.filter(node__in=grids, role=Role.GRID_WORKER).values_list("node_id", "user_id")
    )
    state = AssignmentState.OPEN if found_duty else AssignmentState.HELD
    rows = TaskAssignment.objects.bulk_create(
        [
            TaskAssignment(
                task=task,
                grid=g,
                path=g.path,
                county_code=g.county_code,
                worker_id=workers.get(g.pk),
                state=state,
            )
            for g in grids
        ]
    )
    record_created(rows, message=f"task {task.pk} to the grids of {node.name}")
    _log_phone(rows)
    if found_duty:
        notify(
            workers.values(),
            f"新任务：{title}（{found_duty.name}），{timezone.localtime(when):%m-%d %H:%M} 前完成",
            subject=task,
        )
    else:
        notify(
            county_reviewers(task),
            f"职责外任务待准入审批：{title}（{node.name}）",
            subject=task,
            awaiting=Admission.PENDING,
        )
    return task


def _log_phone(rows: list[TaskAssignment]) -> None:
    from gridgov.mobile.changes import log_rows

    log_rows("task", [(r.pk, r.path) for r in rows])


@logs_failures(Action.UPDATE)
@transaction.atomic
def decide_admission(
    *, user: Any, task: Task, approve: bool, reason: str, now: datetime | None = None
) -> Task:
    """The county's admission review of a task outside the ten duties: approved, it reaches the
    workers; refused, it never does. The decision and reason stay on record."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    require(user, Cap.HANDLE_EVENT, admission_path(task), task)
    if task.admission != Admission.PENDING:
        raise ConflictError(f"该任务已{task.get_admission_display()}，不能再审批")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": "不予准入须写明理由"})
    if len(reason) > 500:
        raise ValidationError({"reason": "意见最多 500 字"})
    task.admission = Admission.APPROVED if approve else Admission.REFUSED
    task.decided_by, task.decided_at, task.decision_reason = user, now or timezone.now(), reason
    task.save()
    held = list(TaskAssignment.objects.filter(task=task, state=AssignmentState.HELD))
    for assignment in held:
        assignment.state = AssignmentState.OPEN if approve else AssignmentState.REFUSED
        assignment.save(update_fields=["state"])
    if approve:
        notify(
            [a.worker_id for a in held if a.worker_id],
            f"新任务：{task.title}（经准入审批），{timezone.localtime(task.deadline):%m-%d %H:%M} 前完成",
            subject=task,
        )
    issuer = [task.issued_by_id] if task.issued_by_id is not None else []
    if approve:
        notify(issuer, f"任务“{task.title}”准入通过", subject=task)
    else:
        notify(issuer, f"任务“{task.title}”不予准入：{reason}", subject=task)
    return task


@logs_failures(Action.UPDATE)
@transaction.atomic
def complete_task(
    *, user: Any, assignment: TaskAssignment, result: str, photos: Any = (), now: datetime | None = None
) -> TaskAssignment:
    """The worker completes the task on their grid with a short result and optional photos."""
    from gridgov.events.photos import check_photos, remove_files, save_photo_file

    assignment = TaskAssignment.objects.select_for_update().select_related("task").get(pk=assignment.pk)
    require(user, Cap.REPORT_EVENT, assignment.path, assignment)
    if assignment.state != AssignmentState.OPEN:
        raise ConflictError(f"该任务{assignment.get_state_display()}，不能完成")
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": "请简要填写完成情况"})
    if len(result) > MAX_RESULT:
        raise ValidationError({"result": f"完成情况最多 {MAX_RESULT} 字"})
    checked = check_photos(photos)
    assignment.state, assignment.result = AssignmentState.DONE, result
    assignment.completed_by, assignment.completed_at = user, now or timezone.now()
    assignment.save()
    written: list[str] = []
    try:
        for photo in checked:
            name = save_photo_file(photo, written)
            TaskPhoto.objects.create(
                assignment=assignment, image=name, content_type=photo.content_type, size=len(photo.content)
            )
    except BaseException:
        remove_files(written)
        raise
    return assignment


# --- the ten duties (city-wide settings) ---------------------------------------------------------

DUTY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def _require_city_admin(user: Any, obj: Any) -> None:
    from django.conf import settings

    if not can(user, Cap.MANAGE_HIERARCHY, settings.GRIDGOV_CITY_CODE):
        deny(user, "the duties are edited by city administrators", obj)
        raise PermissionDenied("只有市级管理员可以修改网格员职责")


def _duty_text(name: Any, description: Any, order: Any) -> tuple[str, str, int]:
    name = str(name or "").strip()
    if not name:
        raise ValidationError({"name": "请填写职责名称"})
    if len(name) > 50:
        raise ValidationError({"name": "职责名称最多 50 个字"})
    description = str(description or "").strip()
    if len(description) > 300:
        raise ValidationError({"description": "说明最多 300 个字"})
    try:
        order = int(order)
    except (TypeError, ValueError):
        raise ValidationError({"order": "顺序必须是数字"}) from None
    if not 0 <= order <= 999:
        raise ValidationError({"order": "顺序为 0 至 999"})
    return name, description, order


@logs_failures(Action.UPDATE)
@transaction.atomic
def update_duty(
    duty: Duty, *, user: Any, name: Any, description: Any = "", order: Any = 0, active: bool = True
) -> Duty:
    """Edit one of the duties (city administrators; the save is audited with what changed). A
    duty taken out of use keeps its tasks; new tasks can no longer name it."""
    _require_city_admin(user, duty)
    locked = Duty.objects.select_for_update().get(pk=duty.pk)
    locked.name, locked.description, locked.order = _duty_text(name, description, order)
    if not active and locked.active and not Duty.objects.filter(active=True).exclude(pk=locked.pk).exists():
        raise ValidationError({"active": "至少保留一项启用的职责"})
    locked.active = bool(active)
    if Duty.objects.filter(name=locked.name).exclude(pk=locked.pk).exists():
        raise ValidationError({"name": "已有同名职责"})
    locked.save()
    return locked


@logs_failures(Action.CREATE)
@transaction.atomic
def create_duty(*, user: Any, code: Any, name: Any, description: Any = "", order: Any = 0) -> Duty:
    """Add a duty (city administrators; audited)."""
    _require_city_admin(user, None)
    code = str(code or "").strip().lower()
    if not DUTY_CODE.match(code):
        raise ValidationError({"code": "代码为 2 至 32 位小写字母、数字或下划线，以字母开头"})
    if Duty.objects.filter(code=code).exists():
        raise ValidationError({"code": "已有此代码的职责"})
    name, description, order = _duty_text(name, description, order)
    if Duty.objects.filter(name=name).exists():
        raise ValidationError({"name": "已有同名职责"})
    return Duty.objects.create(code=code, name=name, description=description, order=order)
