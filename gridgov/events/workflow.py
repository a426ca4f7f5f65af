"""The event workflow as data: (state, action) → (new state, who may do it).

`gridgov.events.transitions.transition` looks every request up here first; anything not in the
table is refused with HTTP 409 naming the state and the action, and an actor not in the rule's
`who` gets HTTP 403 saying which kind of actor may do it.

Actors:
- reporter: the user who reported the event;
- centre: a governance centre (综治中心) holding the event — HANDLE_EVENT over the handling node;
- superior: a level above the handling node — HANDLE_EVENT over its parent (supervision,
  approving suspension and extension requests);
- lead / co: a member of the lead (主办) or a co-handling (协办) organisation;
- system: the background worker (automatic escalation).

A rule whose target is None keeps the state (escalation, supervision, co-handler steps, requests).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.events.models import OPEN_STATES, State


class Action(models.TextChoices):
    ACCEPT = "accept", _("受理")
    RETURN = "return", _("退回")
    RESUBMIT = "resubmit", _("重新上报")
    DISPATCH = "dispatch", _("派遣")
    DECLINE = "decline", _("退回派遣")
    ACKNOWLEDGE = "acknowledge", _("签收")
    START = "start", _("开始处置")
    HANDLE = "handle", _("处置完毕")
    CO_ACKNOWLEDGE = "co_acknowledge", _("协办签收")
    CO_HANDLE = "co_handle", _("协办处置完毕")
    CONFIRM = "confirm", _("确认办结")
    CLOSE = "close", _("结案")
    REOPEN = "reopen", _("重办")
    ESCALATE = "escalate", _("上报上级")
    SUPERVISE = "supervise", _("督办")
    REQUEST_SUSPENSION = "request_suspension", _("申请挂起")
    APPROVE_SUSPENSION = "approve_suspension", _("批准挂起")
    REFUSE_SUSPENSION = "refuse_suspension", _("驳回挂起")
    RESUME = "resume", _("恢复处置")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    REFUSE_EXTENSION = "refuse_extension", _("驳回延期")
    MERGE = "merge", _("合并")


class Actor(models.TextChoices):
    REPORTER = "reporter", _("上报人")
    CENTRE = "centre", _("当前受理的综治中心")
    SUPERIOR = "superior", _("上级综治中心")
    LEAD = "lead", _("主办单位")
    CO = "co", _("协办单位")
    SYSTEM = "system", _("系统")


@dataclass(frozen=True)
class Rule:
    target: str | None
    who: frozenset[str]


def _rule(target: str | None, *who: str) -> Rule:
    return Rule(target, frozenset(who))


S, A = State, Action
CENTRE, SUPERIOR, LEAD, CO, REPORTER, SYSTEM = (
    Actor.CENTRE,
    Actor.SUPERIOR,
    Actor.LEAD,
    Actor.CO,
    Actor.REPORTER,
    Actor.SYSTEM,
)

__all__ = ["OPEN_STATES"]  # re-exported: states in which the event is still being worked on
# States whose clock runs (a suspended event's clock is paused).
CLOCK_STATES = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED)
WORKING_STATES = (S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS)
FINAL_STATES = (S.CLOSED, S.MERGED)

TABLE: dict[tuple[str, str], Rule] = {
    # The centre receives the report: accept it or send it back with a reason.
    (S.REPORTED, A.ACCEPT): _rule(S.ACCEPTED, CENTRE),
    (S.REPORTED, A.RETURN): _rule(S.RETURNED, CENTRE),
    (S.RETURNED, A.RESUBMIT): _rule(S.REPORTED, REPORTER),
    # Dispatch to one lead organisation and optional co-handlers (again after a reopening).
    (S.ACCEPTED, A.DISPATCH): _rule(S.DISPATCHED, CENTRE),
    (S.REOPENED, A.DISPATCH): _rule(S.DISPATCHED, CENTRE),
    # The lead organisation reports for duty (报到), works, reports back.
    # A lead organisation that does not own the problem sends it back to the centre.
    (S.DISPATCHED, A.DECLINE): _rule(S.ACCEPTED, LEAD),
    (S.DISPATCHED, A.ACKNOWLEDGE): _rule(S.ACKNOWLEDGED, LEAD),
    (S.ACKNOWLEDGED, A.START): _rule(S.IN_PROGRESS, LEAD),
    (S.IN_PROGRESS, A.HANDLE): _rule(S.HANDLED, LEAD),
    # The reporter confirms (with a satisfaction rating) or reopens; the centre may close
    # events whose reporter cannot confirm (e.g. filed through Open311) and may reopen too.
    (S.HANDLED, A.CONFIRM): _rule(S.CLOSED, REPORTER),
    (S.HANDLED, A.CLOSE): _rule(S.CLOSED, CENTRE),
    (S.HANDLED, A.REOPEN): _rule(S.REOPENED, REPORTER, CENTRE),
    # Suspension (挂起): requested by the lead, decided by a superior; resuming restarts the clock.
    (S.ACKNOWLEDGED, A.APPROVE_SUSPENSION): _rule(S.SUSPENDED, SUPERIOR),
    (S.IN_PROGRESS, A.APPROVE_SUSPENSION): _rule(S.SUSPENDED, SUPERIOR),
    (S.SUSPENDED, A.RESUME): _rule(S.IN_PROGRESS, LEAD, CENTRE, SUPERIOR),
}
for _state in (S.ACKNOWLEDGED, S.IN_PROGRESS):
    TABLE[(_state, A.REQUEST_SUSPENSION)] = _rule(None, LEAD)
    TABLE[(_state, A.REFUSE_SUSPENSION)] = _rule(None, SUPERIOR)
for _state in WORKING_STATES:
    # Extension (延期): moves the clock, keeps the state.
    TABLE[(_state, A.REQUEST_EXTENSION)] = _rule(None, LEAD)
    TABLE[(_state, A.APPROVE_EXTENSION)] = _rule(None, SUPERIOR)
    TABLE[(_state, A.REFUSE_EXTENSION)] = _rule(None, SUPERIOR)
for _state in (*WORKING_STATES, S.SUSPENDED, S.HANDLED):
    # Joint handling: each co-handler acknowledges and reports its part on its own clock, also
    # after the lead has reported (the event is "handled" when the lead has).
    TABLE[(_state, A.CO_ACKNOWLEDGE)] = _rule(None, CO)
    TABLE[(_state, A.CO_HANDLE)] = _rule(None, CO)
for _state in (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.REOPENED):
    # What a level cannot settle climbs one level (community → township → county → city).
    TABLE[(_state, A.ESCALATE)] = _rule(None, CENTRE, SYSTEM)
for _state in OPEN_STATES:
    # Supervision (督办) from a level above the handling node: yellow, then red card.
    TABLE[(_state, A.SUPERVISE)] = _rule(None, SUPERIOR)
for _state in (S.REPORTED, S.ACCEPTED, S.REOPENED):
    # A duplicate is merged into the event that survives, before any department works on it.
    TABLE[(_state, A.MERGE)] = _rule(S.MERGED, CENTRE)

ACTION_NAMES: dict[str, str] = {str(k): str(v) for k, v in Action.choices}
STATE_NAMES: dict[str, str] = {str(k): str(v) for k, v in State.choices}
ACTOR_NAMES: dict[str, str] = {str(k): str(v) for k, v in Actor.choices}

# Timeline steps that are not workflow actions (the state does not change, except on report):
# the report itself, the mark left on the event a duplicate was merged into, and the mediation
# steps gridgov.disputes writes on the event's timeline (actions "dispute_*"). Every action that
# can appear on a timeline is either here or in ACTION_NAMES (tests/events/test_workflow.py
# checks every EventStep the code writes).
STEP_NAMES: dict[str, str] = {
    "report": "上报",
    "merged_in": "合并重复事件",
    "dispute_registered": "登记矛盾纠纷",
    "dispute_risk_assessed": "风险研判",
    "dispute_risk_override": "人工调整风险等级",
    "dispute_alert": "风险预警",
    "dispute_parties": "登记当事人",
    "dispute_type": "调整纠纷类型",
    "dispute_team": "邀请调解团队成员",
    "dispute_team_removed": "调解团队成员退出",
    "dispute_team_role": "调整团队角色",
    "dispute_visit": "联合走访调解",
    "dispute_follow_up": "回访",
    "dispute_follow_up_planned": "安排回访",
    "dispute_follow_up_done": "登记回访",
    "dispute_follow_up_cancelled": "取消回访",
    "dispute_follow_up_overdue": "回访逾期",
    "dispute_outcome": "登记化解结果",
}
TIMELINE_NAMES: dict[str, str] = {**ACTION_NAMES, **STEP_NAMES}


def step_name(action: str) -> str:
    """The zh-Hans label of a timeline step's action (the code itself if it is unknown)."""
    return TIMELINE_NAMES.get(action, action)


def rule_for(state: str, action: str) -> Rule | None:
    return TABLE.get((state, action))


def actions_from(state: str) -> list[str]:
    """Every action the table allows from `state` (whoever may take it), in declaration order."""
    return [action for (source, action) in TABLE if source == state]
