"""Every step of an event's workflow: `transition` checks who may take which action in which state
(the table in `workflow`), runs the action's handler and writes the step, atomically.

`transition` is the contract other apps build on (disputes, the worker): keep its signature stable."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.scope import deny
from gridgov.audit.services import appended_together
from gridgov.core.errors import ConflictError
from gridgov.events.deadlines import add_hours, hours_between
from gridgov.events.intake import MAX_DESCRIPTION
from gridgov.events.models import (
    AssignmentRole,
    ClockRequest,
    Event,
    EventAssignment,
    EventStep,
    Organisation,
    Request,
    RequestStatus,
    State,
    Supervision,
)
from gridgov.events.photos import CheckedPhoto, check_photos, remove_files, store_photos
from gridgov.events.selectors import actor_kinds, centre_user_ids, is_user, org_user_ids, user_org_ids
from gridgov.events.workflow import (
    ACTION_NAMES,
    ACTOR_NAMES,
    CLOCK_STATES,
    STATE_NAMES,
    Action,
    Actor,
    actions_from,
    rule_for,
)
from gridgov.hierarchy.models import Level, Node
from gridgov.notifications import services as notifications

MAX_EXTENSION_HOURS = 24 * 30


@dataclass
class _Step:
    """What a handler produces beyond the state change: a note, data for the timeline, and
    notifications to send once the step is saved."""

    event: Event
    user: Any
    now: datetime
    note: str
    data: dict[str, Any]
    step_data: dict[str, Any] = field(default_factory=dict)
    organisation: Organisation | None = None
    notify: list[tuple[list[Any], str]] = field(default_factory=list)
    photos: list[CheckedPhoto] = field(default_factory=list)
    keep_overdue: bool = False
    after_save: list[Callable[[EventStep], None]] = field(default_factory=list)


def _require_note(step: _Step, message: str) -> str:
    note = step.note.strip()
    if not note:
        raise ValidationError({"note": message})
    return note


def _deadline(event: Event, start: datetime, hours: float) -> datetime:
    return add_hours(start, hours, event.category.time_basis)


def _lead_assignment(event: Event) -> EventAssignment | None:
    return event.assignments.filter(active=True, role=AssignmentRole.LEAD).first()


def _parse_org_ids(value: Any, field_name: str) -> list[int]:
    if value in (None, "", []):
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).split(",")
    try:
        return [int(item) for item in items if str(item).strip()]
    except (TypeError, ValueError):
        raise ValidationError({field_name: "单位编号必须是整数"}) from None


def suggest_lead_org(event: Event) -> Organisation | None:
    """The organisation of the category's owning kind whose area is the closest one covering the grid."""
    candidates = Organisation.objects.filter(
        kind=event.category.owner_kind, active=True, path__in=event.grid.ancestor_paths()
    )
    return max(candidates, key=lambda org: len(org.path), default=None)


def _covering_org(event: Event, org_id: int, field_name: str) -> Organisation:
    org = Organisation.objects.filter(pk=org_id, active=True).first()
    if org is None:
        raise ValidationError({field_name: f"单位 {org_id} 不存在或已停用"})
    if not event.path.startswith(org.path):
        raise ValidationError({field_name: f"{org.name} 的服务区域不包括事件所在的 {event.grid.name}"})
    return org


def _on_dispatch(step: _Step) -> None:
    event = step.event
    lead_ids = _parse_org_ids(step.data.get("lead_org_id"), "lead_org_id")
    if len(lead_ids) > 1:
        raise ValidationError({"lead_org_id": "只能指定一个主办单位"})
    if lead_ids:
        lead = _covering_org(event, lead_ids[0], "lead_org_id")
    else:
        suggested = suggest_lead_org(event)
        if suggested is None:
            raise ValidationError({"lead_org_id": "请指定主办单位（没有找到负责该分类的单位）"})
        lead = suggested
    co_orgs = []
    for org_id in dict.fromkeys(_parse_org_ids(step.data.get("co_org_ids"), "co_org_ids")):
        if org_id == lead.pk:
            raise ValidationError({"co_org_ids": f"{lead.name} 已是主办单位，不能同时协办"})
        co_orgs.append(_covering_org(event, org_id, "co_org_ids"))
    event.assignments.filter(active=True).update(active=False)
    category = event.category
    for org, role in [(lead, AssignmentRole.LEAD), *[(org, AssignmentRole.CO) for org in co_orgs]]:
        assignment = EventAssignment.objects.create(
            event=event,
            organisation=org,
            role=role,
            dispatched_at=step.now,
            ack_due_at=_deadline(event, step.now, category.ack_hours),
            resolve_due_at=_deadline(event, step.now, category.resolve_hours),
        )
        if role == AssignmentRole.LEAD:
            event.due_at = assignment.ack_due_at
            event.resolve_due_at = assignment.resolve_due_at
    event.lead_org = lead
    step.step_data.update(
        lead_org=lead.pk,
        lead_org_name=lead.name,
        co_orgs=[o.pk for o in co_orgs],
        co_org_names=[o.name for o in co_orgs],
    )
    step.notify.append(
        (org_user_ids([lead.pk]), f"新派遣（主办）：{event.number} {category.name}，请及时签收")
    )
    if co_orgs:
        step.notify.append(
            (org_user_ids([o.pk for o in co_orgs]), f"新派遣（协办）：{event.number} {category.name}")
        )


def _on_decline(step: _Step) -> None:
    event = step.event
    _require_note(step, "退回派遣必须说明理由")
    step.organisation = event.lead_org
    event.assignments.filter(active=True).update(active=False)
    event.lead_org = None
    event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 被主办单位退回，请重新派遣"))


def _on_acknowledge(step: _Step) -> None:
    event = step.event
    assignment = _lead_assignment(event)
    if assignment is not None:
        assignment.acknowledged_at = step.now
        assignment.save(update_fields=["acknowledged_at"])
        event.due_at = assignment.resolve_due_at
    step.organisation = event.lead_org


def _on_start(step: _Step) -> None:
    step.organisation = step.event.lead_org


def _result(step: _Step) -> str:
    result = str(step.data.get("result") or step.note or "").strip()
    if not result:
        raise ValidationError({"result": "请填写处置结果"})
    return result


def _on_handle(step: _Step) -> None:
    event = step.event
    result = _result(step)
    step.photos = check_photos(step.data.get("photos") or ())
    assignment = _lead_assignment(event)
    if assignment is not None:
        assignment.handled_at = step.now
        assignment.result = result
        assignment.save(update_fields=["handled_at", "result"])
    event.due_at = None
    step.organisation = event.lead_org
    step.step_data["result"] = result
    pending = list(
        event.assignments.filter(active=True, role=AssignmentRole.CO, handled_at__isnull=True).values_list(
            "organisation__name", flat=True
        )
    )
    if pending:
        step.step_data["co_pending"] = pending
    recipients = [event.reporter] if event.reporter else []
    step.notify.append((recipients, f"{event.number} 已处置，请确认办结或重办"))
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 已处置：{result[:60]}"))


def _co_assignment(step: _Step) -> EventAssignment:
    orgs = user_org_ids(step.user)
    wanted = step.data.get("organisation_id")
    assignments = step.event.assignments.filter(active=True, role=AssignmentRole.CO, organisation_id__in=orgs)
    if wanted not in (None, ""):
        assignments = assignments.filter(organisation_id=int(wanted))
    assignment = assignments.select_related("organisation").order_by("pk").first()
    if assignment is None:
        raise PermissionDenied("您所在单位不是该事件的协办单位")
    step.organisation = assignment.organisation
    return assignment


def _on_co_acknowledge(step: _Step) -> None:
    assignment = _co_assignment(step)
    if assignment.acknowledged_at is not None:
        raise ConflictError(
            f"{assignment.organisation.name} 已签收，不能重复签收",
            state=step.event.state,
            action=Action.CO_ACKNOWLEDGE,
        )
    assignment.acknowledged_at = step.now
    assignment.save(update_fields=["acknowledged_at"])
    step.keep_overdue = True


def _on_co_handle(step: _Step) -> None:
    assignment = _co_assignment(step)
    if assignment.handled_at is not None:
        raise ConflictError(
            f"{assignment.organisation.name} 已报告处置结果", state=step.event.state, action=Action.CO_HANDLE
        )
    result = _result(step)
    step.photos = check_photos(step.data.get("photos") or ())
    if assignment.acknowledged_at is None:
        assignment.acknowledged_at = step.now
    assignment.handled_at = step.now
    assignment.result = result
    assignment.save(update_fields=["acknowledged_at", "handled_at", "result"])
    step.step_data["result"] = result
    step.keep_overdue = True
    step.notify.append(
        (
            org_user_ids([step.event.lead_org_id] if step.event.lead_org_id else []),
            f"{step.event.number} 协办单位 {assignment.organisation.name} 已报告处置结果",
        )
    )


def _on_confirm(step: _Step) -> None:
    event = step.event
    raw = step.data.get("satisfaction")
    try:
        satisfaction = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError({"satisfaction": "请给出满意度评价（1–5）"}) from None
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": "满意度必须在 1 到 5 之间"})
    event.satisfaction = satisfaction
    event.closed_at = step.now
    event.due_at = None
    step.step_data["satisfaction"] = satisfaction


def _on_close(step: _Step) -> None:
    step.event.closed_at = step.now
    step.event.due_at = None


def _on_return(step: _Step) -> None:
    event = step.event
    reason = _require_note(step, "退回必须说明理由")
    event.due_at = None
    recipients = [event.reporter] if event.reporter else []
    step.notify.append((recipients, f"{event.number} 被退回：{reason[:100]}"))


def _on_resubmit(step: _Step) -> None:
    event = step.event
    description = str(step.data.get("description") or "").strip()
    if description:
        if len(description) > MAX_DESCRIPTION:
            raise ValidationError({"description": f"事件描述最长 {MAX_DESCRIPTION} 字"})
        event.description = description
    event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 已重新上报，请受理"))


def _on_accept(step: _Step) -> None:
    event = step.event
    event.due_at = _deadline(event, step.now, event.category.ack_hours)


def _on_reopen(step: _Step) -> None:
    event = step.event
    _require_note(step, "重办必须说明理由")
    raw = step.data.get("satisfaction")
    if raw not in (None, ""):
        try:
            event.satisfaction = int(raw)
        except (TypeError, ValueError):
            raise ValidationError({"satisfaction": "满意度必须在 1 到 5 之间"}) from None
        if not 1 <= event.satisfaction <= 5:
            raise ValidationError({"satisfaction": "满意度必须在 1 到 5 之间"})
    event.reopen_count += 1
    event.closed_at = None
    event.assignments.filter(active=True).update(active=False)
    event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.notify.append((centre_user_ids(event.handling_node), f"{event.number} 被要求重办：{step.note[:80]}"))
    if event.lead_org_id:
        step.notify.append(
            (org_user_ids([event.lead_org_id]), f"{event.number} 被要求重办：{step.note[:80]}")
        )


def escalate_node(event: Event) -> Node:
    node = event.handling_node
    if node.parent_id is None or node.level == Level.CITY:
        raise ConflictError("事件已在市级综治中心，无法再上报", state=event.state, action=Action.ESCALATE)
    return Node.objects.get(pk=node.parent_id)


def _on_escalate(step: _Step) -> None:
    event = step.event
    upper = escalate_node(event)
    step.step_data.update(from_node=event.handling_node.name, to_node=upper.name, automatic=step.user is None)
    event.handling_node = upper
    event.escalations += 1
    event.escalated_at = step.now
    if event.due_at is None or event.due_at <= step.now:
        # The centre above gets a fresh window to act; the event stays marked overdue.
        event.due_at = _deadline(event, step.now, event.category.ack_hours)
    step.keep_overdue = True
    why = "超期自动上报" if step.user is None else "上报"
    step.notify.append((centre_user_ids(upper), f"{event.number} {why}至{upper.name}：{event.category.name}"))


def _on_supervise(step: _Step) -> None:
    event = step.event
    grade = str(step.data.get("grade") or "").strip()
    if grade not in (Supervision.YELLOW, Supervision.RED):
        raise ValidationError({"grade": "督办等级必须是 yellow（黄牌）或 red（红牌）"})
    if event.supervision == Supervision.RED or event.supervision == grade:
        current = Supervision(event.supervision).label
        raise ConflictError(
            f"事件已是{current}，督办只能升级（黄牌→红牌）", state=event.state, action=Action.SUPERVISE
        )
    event.supervision = grade
    step.keep_overdue = True
    step.step_data["grade"] = grade
    label = Supervision(grade).label
    recipients = centre_user_ids(event.handling_node)
    if event.lead_org_id:
        recipients += org_user_ids([event.lead_org_id])
    step.notify.append((recipients, f"{event.number} 被{label}：{step.note[:80]}"))


def _pending(event: Event, kind: str) -> ClockRequest | None:
    return event.clock_requests.filter(kind=kind, status=RequestStatus.PENDING).order_by("pk").first()


def _superiors(event: Event) -> list[int]:
    node = event.handling_node
    return centre_user_ids(node) + (centre_user_ids(node.parent) if node.parent else [])


def _on_request(step: _Step, kind: str) -> None:
    event = step.event
    reason = _require_note(step, "请说明申请理由")
    if _pending(event, kind) is not None:
        raise ConflictError(
            f"已有待审批的{Request(kind).label}，请等待审批",
            state=event.state,
            action=Action.REQUEST_SUSPENSION if kind == Request.SUSPEND else Action.REQUEST_EXTENSION,
        )
    hours = None
    if kind == Request.EXTEND:
        try:
            hours = int(step.data.get("hours"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationError({"hours": "请填写延长的小时数"}) from None
        if not 1 <= hours <= MAX_EXTENSION_HOURS:
            raise ValidationError({"hours": f"延长小时数必须在 1 到 {MAX_EXTENSION_HOURS} 之间"})
    request = ClockRequest.objects.create(
        event=event, kind=kind, hours=hours, reason=reason[:500], requested_by=step.user
    )
    step.organisation = event.lead_org
    step.keep_overdue = True
    step.step_data.update(request_id=request.pk, hours=hours)
    step.notify.append((_superiors(event), f"{event.number} {Request(kind).label}待审批：{reason[:80]}"))


def _decide(step: _Step, kind: str, approve: bool) -> ClockRequest:
    event = step.event
    request = _pending(event, kind)
    if request is None:
        action: dict[tuple[str, bool], str] = {
            (Request.SUSPEND, True): Action.APPROVE_SUSPENSION,
            (Request.SUSPEND, False): Action.REFUSE_SUSPENSION,
            (Request.EXTEND, True): Action.APPROVE_EXTENSION,
            (Request.EXTEND, False): Action.REFUSE_EXTENSION,
        }
        raise ConflictError(
            f"没有待审批的{Request(kind).label}", state=event.state, action=action[(kind, approve)]
        )
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.decided_by = step.user
    request.decided_at = step.now
    request.decision_note = step.note[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    step.step_data["request_id"] = request.pk
    verdict = "已批准" if approve else "已驳回"
    step.notify.append(([request.requested_by], f"{event.number} {Request(kind).label}{verdict}"))
    return request


def _on_approve_suspension(step: _Step) -> None:
    _decide(step, Request.SUSPEND, True)
    step.event.paused_at = step.now


def _on_refuse_suspension(step: _Step) -> None:
    _require_note(step, "驳回必须说明理由")
    _decide(step, Request.SUSPEND, False)
    step.keep_overdue = True


def _shift(event: Event, moment: datetime | None, start: datetime, hours: float) -> datetime | None:
    if moment is None:
        return None
    return _deadline(event, start, hours)


def _on_resume(step: _Step) -> None:
    """Restart the clock with the time that was left when it was paused."""
    event = step.event
    basis = event.category.time_basis
    paused = event.paused_at or step.now
    step.step_data["paused_hours"] = round(hours_between(paused, step.now, basis), 2)
    if event.due_at is not None:
        event.due_at = _shift(
            event, event.due_at, step.now, max(hours_between(paused, event.due_at, basis), 0)
        )
    if event.resolve_due_at is not None:
        event.resolve_due_at = _shift(
            event, event.resolve_due_at, step.now, max(hours_between(paused, event.resolve_due_at, basis), 0)
        )
    assignment = _lead_assignment(event)
    if assignment is not None and assignment.resolve_due_at is not None:
        assignment.resolve_due_at = _shift(
            event,
            assignment.resolve_due_at,
            step.now,
            max(hours_between(paused, assignment.resolve_due_at, basis), 0),
        )
        assignment.save(update_fields=["resolve_due_at"])
    event.paused_at = None


def _on_approve_extension(step: _Step) -> None:
    event = step.event
    request = _decide(step, Request.EXTEND, True)
    hours = request.hours or 0
    basis = event.category.time_basis
    if event.due_at is not None:
        event.due_at = add_hours(max(event.due_at, step.now), hours, basis)
    if event.resolve_due_at is not None:
        event.resolve_due_at = add_hours(max(event.resolve_due_at, step.now), hours, basis)
    assignment = _lead_assignment(event)
    if assignment is not None:
        for name in ("ack_due_at", "resolve_due_at"):
            value = getattr(assignment, name)
            if value is not None:
                setattr(assignment, name, add_hours(max(value, step.now), hours, basis))
        assignment.save(update_fields=["ack_due_at", "resolve_due_at"])
    step.step_data["hours"] = hours


def _on_refuse_extension(step: _Step) -> None:
    _require_note(step, "驳回必须说明理由")
    _decide(step, Request.EXTEND, False)
    step.keep_overdue = True


def _on_merge(step: _Step) -> None:

    event = step.event
    into = step.data.get("into")
    if into in (None, ""):
        raise ValidationError({"into": "请指定要合并到的事件"})
    targets = Event.objects.restrict(step.user) if step.user is not None else Event.objects.all()
    target = targets.filter(number=str(into)).first()
    if target is None and str(into).isdigit():
        target = targets.filter(pk=int(into)).first()
    if target is None:
        raise ValidationError({"into": f"事件 {into} 不存在或不在您的范围内"})
    if target.pk == event.pk:
        raise ValidationError({"into": "不能把事件合并到它自己"})
    if target.state in (State.MERGED, State.CLOSED):
        raise ConflictError(
            f"事件 {target.number} 已{STATE_NAMES[target.state]}，不能合并到它",
            state=target.state,
            action=Action.MERGE,
        )
    if step.user is not None and Actor.CENTRE not in actor_kinds(target, step.user):
        raise PermissionDenied(f"您不是事件 {target.number} 的受理综治中心，不能合并到它")
    event.merged_into = target
    event.due_at = None
    event.closed_at = step.now
    step.step_data.update(into=target.number)
    if event.residents.exists():
        target.residents.add(*event.residents.all())
    if event.households.exists():
        target.households.add(*event.households.all())

    def mark_target(_saved: EventStep) -> None:
        EventStep.objects.create(
            event=target,
            at=step.now,
            actor=step.user if is_user(step.user) else None,
            action="merged_in",
            from_state=target.state,
            to_state=target.state,
            note=f"合并了重复事件 {event.number}",
            data={"merged": event.number},
        )

    step.after_save.append(mark_target)
    recipients = [event.reporter] if event.reporter else []
    step.notify.append((recipients, f"{event.number} 与 {target.number} 重复，已合并"))


HANDLERS: dict[str, Callable[[_Step], None]] = {
    Action.ACCEPT: _on_accept,
    Action.RETURN: _on_return,
    Action.RESUBMIT: _on_resubmit,
    Action.DISPATCH: _on_dispatch,
    Action.DECLINE: _on_decline,
    Action.ACKNOWLEDGE: _on_acknowledge,
    Action.START: _on_start,
    Action.HANDLE: _on_handle,
    Action.CO_ACKNOWLEDGE: _on_co_acknowledge,
    Action.CO_HANDLE: _on_co_handle,
    Action.CONFIRM: _on_confirm,
    Action.CLOSE: _on_close,
    Action.REOPEN: _on_reopen,
    Action.ESCALATE: _on_escalate,
    Action.SUPERVISE: _on_supervise,
    Action.REQUEST_SUSPENSION: lambda step: _on_request(step, Request.SUSPEND),
    Action.APPROVE_SUSPENSION: _on_approve_suspension,
    Action.REFUSE_SUSPENSION: _on_refuse_suspension,
    Action.RESUME: _on_resume,
    Action.REQUEST_EXTENSION: lambda step: _on_request(step, Request.EXTEND),
    Action.APPROVE_EXTENSION: _on_approve_extension,
    Action.REFUSE_EXTENSION: _on_refuse_extension,
    Action.MERGE: _on_merge,
}


def _who_text(who: Iterable[str]) -> str:
    return "、".join(ACTOR_NAMES[w] for w in sorted(who))


def _check(event: Event, action: str, user: Any) -> str:
    """Resolve the action (a co-handler's acknowledge/handle) and raise 409/403 if not allowed."""
    if action not in ACTION_NAMES:
        raise ValidationError({"action": f"未知动作：{action}"})
    rule = rule_for(event.state, action)
    needs_co = action in (Action.ACKNOWLEDGE, Action.HANDLE) or (rule is not None and Actor.CO in rule.who)
    kinds = actor_kinds(event, user, co=needs_co)
    if action in (Action.ACKNOWLEDGE, Action.HANDLE) and Actor.LEAD not in kinds and Actor.CO in kinds:
        action = Action.CO_ACKNOWLEDGE if action == Action.ACKNOWLEDGE else Action.CO_HANDLE
    rule = rule_for(event.state, action)
    state_name, action_name = STATE_NAMES[event.state], ACTION_NAMES[action]
    if rule is None:
        allowed = actions_from(event.state)
        hint = "、".join(ACTION_NAMES[a] for a in allowed) or "无"
        raise ConflictError(
            f"事件处于“{state_name}”状态，不能执行“{action_name}”（此状态可执行：{hint}）",
            state=event.state,
            action=action,
            allowed=allowed,
        )
    if not rule.who & kinds:
        raise PermissionDenied(
            f"“{action_name}”只能由{_who_text(rule.who)}执行，您不是该事件的{_who_text(rule.who)}"
        )
    return action


def transition(
    event: Event, action: str, *, user: Any, note: str = "", now: datetime | None = None, **data: Any
) -> Event:
    """Apply one workflow action to `event` on behalf of `user` (None: the system/worker).

    Raises ConflictError (409) when the table has no such transition from the current state,
    PermissionDenied (403, logged) when the user is not an actor the rule allows, and
    ValidationError (400) for missing or bad data. Writes an EventStep; the audit log gets the
    event's change and the step through the model signals. Nothing changes on any error.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    try:
        with transaction.atomic(), appended_together():
            locked = (
                Event.objects.select_for_update(of=("self",))
                .select_related("category", "handling_node", "grid", "lead_org")
                .get(pk=event.pk)
            )
            action = _check(locked, action, user)
            rule = rule_for(locked.state, action)
            assert rule is not None
            step = _Step(event=locked, user=user, now=now, note=note, data=data)
            from_state = locked.state
            HANDLERS[action](step)
            if rule.target is not None:
                locked.state = rule.target
            if not step.keep_overdue:
                locked.overdue = bool(
                    locked.state in CLOCK_STATES and locked.due_at is not None and locked.due_at < now
                )
            locked.version += 1
            locked.save()
            saved = EventStep.objects.create(
                event=locked,
                at=now,
                actor=user if is_user(user) else None,
                organisation=step.organisation,
                action=action,
                from_state=from_state,
                to_state=locked.state,
                note=note,
                data=step.step_data,
            )
            written: list[str] = []
            try:
                store_photos(locked, saved, step.photos, user, written)
                for hook in step.after_save:
                    hook(saved)
                for recipients, message in step.notify:
                    notifications.notify(
                        recipients, message, subject=locked, awaiting=locked.state, exclude=user
                    )
            except BaseException:
                remove_files(written)
                raise
    except PermissionDenied as exc:
        deny(user, f"transition {action}: {exc}", event)
        raise
    # Hand the caller's instance the saved values (and the related objects loaded with them).
    for model_field in Event._meta.concrete_fields:
        setattr(event, model_field.attname, getattr(locked, model_field.attname))
    event._state.fields_cache = dict(locked._state.fields_cache)
    return event
