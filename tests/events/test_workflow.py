"""The state machine: every legal transition (by the right actor, and refused for a wrong one) and
every illegal (state, action) pair, plus the rules around them."""

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.audit.models import AuditEntry
from gridgov.core.errors import ConflictError
from gridgov.events.models import ClockRequest, Event, EventStep, State
from gridgov.events.workflow import (
    ACTION_NAMES,
    STATE_NAMES,
    STEP_NAMES,
    TABLE,
    TIMELINE_NAMES,
    Action,
    Actor,
    actions_from,
)

ACTOR_USER = {
    Actor.CENTRE: "huimin_admin",
    Actor.SUPERIOR: "zhaowuda_admin",
    Actor.LEAD: "heating_staff",
    Actor.CO: "huimin_security",
    Actor.REPORTER: "gaobo",
    Actor.SYSTEM: None,
}
# Preferred actor when a rule allows several.
ACTOR_ORDER = [Actor.LEAD, Actor.CO, Actor.REPORTER, Actor.CENTRE, Actor.SUPERIOR, Actor.SYSTEM]
LEGAL = sorted(TABLE)
ILLEGAL_BY_STATE = {state: [a for a in Action.values if (state, a) not in TABLE] for state in State.values}


def _data(story: Any, event: Event, action: str) -> dict[str, Any]:
    """The inputs an action needs, and any request it decides on."""
    if action == Action.DISPATCH:
        return {"lead_org_id": story.heating.pk, "co_org_ids": [story.committee.pk]}
    if action in (Action.HANDLE, Action.CO_HANDLE):
        return {"result": "已处置"}
    if action == Action.CONFIRM:
        return {"satisfaction": 4}
    if action == Action.SUPERVISE:
        return {"grade": "yellow"}
    if action == Action.REQUEST_EXTENSION:
        return {"hours": 8}
    if action in (Action.APPROVE_SUSPENSION, Action.REFUSE_SUSPENSION):
        story.act(event, Action.REQUEST_SUSPENSION, "heating_staff", "等待配件")
    if action in (Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION):
        story.act(event, Action.REQUEST_EXTENSION, "heating_staff", "工程量大", hours=8)
    if action == Action.MERGE:
        return {"into": story.report(dx=0.0005).number}
    return {}


@pytest.mark.parametrize(("state", "action"), LEGAL, ids=[f"{s}-{a}" for s, a in LEGAL])
def test_legal_transition(story: Any, snapshot: Any, state: str, action: str) -> None:
    event = story.in_state(state)
    rule = TABLE[(state, action)]
    data = _data(story, event, action)
    steps_before = event.steps.count()

    # A bystander (a part-time worker of the same grid, not the reporter) may not take it: 403, no change.
    before = snapshot(event)
    with pytest.raises(PermissionDenied) as denied:
        story.act(event, action, "huimin_volunteer", "理由", **data)
    assert ACTION_NAMES[action] in str(denied.value)
    assert snapshot(event) == before

    actor = next(kind for kind in ACTOR_ORDER if kind in rule.who)
    story.act(event, action, ACTOR_USER[actor], "理由", **data)
    event.refresh_from_db()
    assert event.state == (rule.target or state)
    step = event.steps.order_by("-pk").first()
    assert step is not None
    assert step.action == action
    assert (step.from_state, step.to_state) == (state, event.state)
    assert event.steps.count() == steps_before + 1


@pytest.mark.parametrize("state", State.values)
def test_illegal_transitions_are_refused_with_409(story: Any, snapshot: Any, state: str) -> None:
    event = story.in_state(state)
    before = snapshot(event)
    for action in ILLEGAL_BY_STATE[state]:
        with pytest.raises(ConflictError) as refused:
            story.act(event, action, "huimin_admin", "试试", **_plain_data(story, action))
        message = refused.value.message
        assert STATE_NAMES[state] in message, message
        assert ACTION_NAMES[action] in message, message
        assert refused.value.extra["state"] == state
        assert refused.value.extra["action"] == action
        assert snapshot(event) == before, action


def _plain_data(story: Any, action: str) -> dict[str, Any]:
    return {"lead_org_id": story.heating.pk} if action == Action.DISPATCH else {}


def test_table_covers_every_state_and_action() -> None:
    assert all(actions_from(state) or state in (State.CLOSED, State.MERGED) for state in State.values)
    assert {a for _s, a in TABLE} == set(Action.values)
    assert actions_from(State.CLOSED) == []
    assert actions_from(State.MERGED) == []


def test_unknown_action_is_a_validation_error(story: Any) -> None:
    event = story.report()
    with pytest.raises(ValidationError) as exc:
        story.act(event, "teleport", "huimin_admin")
    assert "action" in exc.value.message_dict


def test_happy_path_timeline_and_audit(story: Any) -> None:
    audit_before = AuditEntry.objects.count()
    event = story.in_state("closed")
    actions = list(event.steps.values_list("action", flat=True))
    assert actions == ["report", "accept", "dispatch", "acknowledge", "start", "handle", "confirm"]
    assert event.satisfaction == 5
    assert event.closed_at is not None
    assert event.due_at is None
    for step in event.steps.exclude(action="report"):
        assert step.actor is not None
        assert step.at is not None
    # Every step is in the audit log (event change + step row), with the actor.
    transitions = AuditEntry.objects.filter(object_type="events.eventstep").count()
    assert transitions >= len(actions)
    assert AuditEntry.objects.count() > audit_before


def test_wrong_role_gets_403_saying_who_may(story: Any) -> None:
    event = story.in_state("dispatched")
    with pytest.raises(PermissionDenied) as exc:
        story.act(event, "acknowledge", "water_staff")
    assert "主办单位" in str(exc.value)
    with pytest.raises(PermissionDenied):
        story.act(story.report(), "accept", "heating_staff")
    accepted = story.in_state("accepted")
    with pytest.raises(PermissionDenied) as exc:
        story.act(accepted, "dispatch", "gaobo", lead_org_id=story.heating.pk)
    assert "综治中心" in str(exc.value)


def test_returned_event_is_resubmitted_with_a_new_description(story: Any) -> None:
    event = story.in_state("returned")
    with pytest.raises(PermissionDenied):
        story.act(event, "resubmit", "huimin_admin")
    story.act(event, "resubmit", "gaobo", description="6号楼地下室东侧管道爆裂")
    assert event.state == State.REPORTED
    assert event.description == "6号楼地下室东侧管道爆裂"


def test_reasons_and_ratings_are_required(story: Any) -> None:
    event = story.report()
    with pytest.raises(ValidationError) as exc:
        story.act(event, "return", "huimin_admin", "")
    assert "note" in exc.value.message_dict
    handled = story.in_state("handled")
    for bad in (None, 0, 6, "x"):
        with pytest.raises(ValidationError) as exc:
            story.act(handled, "confirm", "gaobo", satisfaction=bad)
        assert "satisfaction" in exc.value.message_dict
    with pytest.raises(ValidationError):
        story.act(handled, "reopen", "gaobo", "")
    assert Event.objects.get(pk=handled.pk).state == State.HANDLED


def test_dispatch_checks_the_organisations(story: Any) -> None:
    from gridgov.events.models import Organisation

    event = story.in_state("accepted")
    outside = Organisation.objects.get(name="东街街道综治中心")  # serves 新城区, not 惠民社区
    with pytest.raises(ValidationError) as exc:
        story.act(event, "dispatch", "huimin_admin", lead_org_id=outside.pk)
    assert "lead_org_id" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        story.act(
            event, "dispatch", "huimin_admin", lead_org_id=story.heating.pk, co_org_ids=[story.heating.pk]
        )
    assert "co_org_ids" in exc.value.message_dict
    # Without a lead, the closest organisation of the category's kind is suggested and used.
    story.act(event, "dispatch", "huimin_admin")
    assert event.lead_org == story.heating
    assert event.assignments.get(role="lead").ack_due_at == event.due_at


def test_joint_handling_each_org_has_its_own_clock(story: Any) -> None:
    event = story.in_state("in_progress")
    lead = event.assignments.get(role="lead")
    co = event.assignments.get(role="co")
    assert lead.acknowledged_at is not None
    assert co.acknowledged_at is None
    assert co.ack_due_at is not None
    assert co.resolve_due_at is not None
    # "acknowledge" by a co-handler acknowledges its own part, not the event.
    story.act(event, "acknowledge", "huimin_security")
    co.refresh_from_db()
    assert co.acknowledged_at is not None
    assert event.state == State.IN_PROGRESS
    assert event.steps.order_by("-pk").first().action == "co_acknowledge"  # type: ignore[union-attr]
    with pytest.raises(ConflictError):
        story.act(event, "co_acknowledge", "huimin_security")
    # The lead's report makes the event handled; the co-handler's pending part is shown.
    story.act(event, "handle", "heating_staff", result="已更换管道")
    assert event.state == State.HANDLED
    step = event.steps.order_by("-pk").first()
    assert step is not None
    assert step.data["co_pending"] == ["惠民社区治保会"]
    story.act(event, "handle", "huimin_security", result="已协助疏散围观群众")
    co.refresh_from_db()
    assert co.handled_at is not None
    assert co.result == "已协助疏散围观群众"
    assert event.state == State.HANDLED


def test_lead_declines_and_the_centre_dispatches_again(story: Any) -> None:
    event = story.in_state("dispatched")
    story.act(event, "decline", "heating_staff", "不属于供热管网，是自来水管")
    assert event.state == State.ACCEPTED
    assert event.lead_org is None
    assert not event.assignments.filter(active=True).exists()
    water = story.heating.__class__.objects.get(name="呼和浩特春华水务集团")
    story.act(event, "dispatch", "huimin_admin", lead_org_id=water.pk)
    assert event.lead_org == water
    assert event.assignments.filter(active=True).count() == 1


def test_reopen_then_dispatch_again(story: Any) -> None:
    event = story.in_state("reopened")
    assert event.reopen_count == 1
    assert not event.assignments.filter(active=True).exists()
    story.act(event, "dispatch", "huimin_admin", lead_org_id=story.heating.pk)
    assert event.state == State.DISPATCHED


def test_escalation_climbs_one_level_at_a_time_to_the_city(story: Any) -> None:
    event = story.report()
    levels = [event.handling_node.name]
    for username in ("huimin_admin", "zhaowuda_admin", "saihan_admin"):
        story.act(event, "escalate", username, "本级无法解决")
        levels.append(event.handling_node.name)
    assert levels == ["惠民社区", "昭乌达南路街道", "赛罕区", "呼和浩特市"]
    assert event.escalations == 3
    # The community centre no longer holds it.
    with pytest.raises(PermissionDenied):
        story.act(event, "accept", "huimin_admin")
    with pytest.raises(ConflictError) as exc:
        story.act(event, "escalate", "city_admin")
    assert "市级" in exc.value.message
    story.act(event, "accept", "city_admin")


def test_supervision_only_from_above_and_only_upwards(story: Any) -> None:
    event = story.in_state("dispatched")
    with pytest.raises(PermissionDenied) as exc:
        story.act(event, "supervise", "huimin_admin", "催办", grade="yellow")
    assert "上级" in str(exc.value)
    story.act(event, "supervise", "zhaowuda_admin", "请尽快签收", grade="yellow")
    assert event.supervision == "yellow"
    with pytest.raises(ConflictError):
        story.act(event, "supervise", "zhaowuda_admin", "再催", grade="yellow")
    with pytest.raises(ValidationError):
        story.act(event, "supervise", "zhaowuda_admin", "再催", grade="purple")
    story.act(event, "supervise", "saihan_admin", "红牌", grade="red")
    assert event.supervision == "red"
    with pytest.raises(ConflictError):
        story.act(event, "supervise", "saihan_admin", "降级", grade="yellow")


def test_suspension_pauses_the_clock_and_resume_restores_the_time_left(story: Any) -> None:
    start = timezone.now().replace(microsecond=0)
    event = story.in_state("in_progress", now=start)
    due = event.due_at
    assert due is not None
    paused_at = start + timedelta(hours=1)
    story.act(event, "request_suspension", "heating_staff", "等待配件", now=paused_at)
    with pytest.raises(ConflictError):
        story.act(event, "request_suspension", "heating_staff", "再申请", now=paused_at)
    with pytest.raises(PermissionDenied):
        story.act(event, "approve_suspension", "huimin_admin", now=paused_at)  # not a superior
    story.act(event, "approve_suspension", "zhaowuda_admin", "同意", now=paused_at)
    assert event.state == State.SUSPENDED
    assert event.paused_at == paused_at
    assert not event.overdue
    request = ClockRequest.objects.get(event=event)
    assert request.status == "approved"
    assert request.decided_by == story["zhaowuda_admin"]
    resumed_at = paused_at + timedelta(hours=30)
    story.act(event, "resume", "heating_staff", now=resumed_at)
    assert event.state == State.IN_PROGRESS
    assert event.paused_at is None
    # heating.pipe_burst counts calendar hours: the deadline moved by exactly the pause.
    assert event.due_at == due + timedelta(hours=30)


def test_refused_suspension_keeps_the_state(story: Any) -> None:
    event = story.in_state("acknowledged")
    story.act(event, "request_suspension", "heating_staff", "等待配件")
    with pytest.raises(ValidationError):
        story.act(event, "refuse_suspension", "zhaowuda_admin", "")
    story.act(event, "refuse_suspension", "zhaowuda_admin", "供热期内不得挂起")
    assert event.state == State.ACKNOWLEDGED
    assert ClockRequest.objects.get(event=event).status == "refused"
    with pytest.raises(ConflictError):
        story.act(event, "approve_suspension", "zhaowuda_admin")  # nothing pending any more


def test_extension_moves_the_deadline(story: Any) -> None:
    event = story.in_state("in_progress")
    due = event.due_at
    assert due is not None
    with pytest.raises(ValidationError):
        story.act(event, "request_extension", "heating_staff", "工程量大", hours=0)
    story.act(event, "request_extension", "heating_staff", "工程量大", hours=10)
    assert event.due_at == due
    story.act(event, "approve_extension", "zhaowuda_admin", "同意")
    assert event.due_at == due + timedelta(hours=10)
    assert event.assignments.get(role="lead").resolve_due_at == event.due_at


def test_merge_keeps_both_timelines(story: Any) -> None:
    from gridgov.events.selectors import timeline

    survivor = story.report(description="6号楼供热管道爆裂")
    duplicate = story.report(description="6号楼门口冒热气", dx=0.0003)
    with pytest.raises(ValidationError):
        story.act(duplicate, "merge", "huimin_admin", into=duplicate.number)
    story.act(duplicate, "merge", "huimin_admin", "重复上报", into=survivor.number)
    assert duplicate.state == State.MERGED
    assert duplicate.merged_into == survivor
    entries = timeline(survivor)
    numbers = {e.event_number for e in entries}
    assert numbers == {survivor.number, duplicate.number}
    assert [e.step.action for e in entries if not e.merged][-1] == "merged_in"
    assert any(e.merged and e.step.action == "merge" for e in entries)
    # The merged event's own timeline is still there.
    assert list(EventStep.objects.filter(event=duplicate).values_list("action", flat=True)) == [
        "report",
        "merge",
    ]
    closed = story.in_state("closed")
    other = story.report(dx=0.0006)
    with pytest.raises(ConflictError):
        story.act(other, "merge", "huimin_admin", into=closed.number)


# ------------------------------------------------------------------------- timeline step labels

GRIDGOV = Path(__file__).resolve().parents[2] / "gridgov"


def _is_step_write(call: ast.Call) -> bool:
    """`EventStep.objects.create(...)` or `EventStep(...)` (e.g. for bulk_create)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "EventStep"
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "create"
        and isinstance(func.value, ast.Attribute)
        and func.value.attr == "objects"
        and isinstance(func.value.value, ast.Name)
        and func.value.value.id == "EventStep"
    )


def _passes_through(value: ast.expr, name: str) -> bool:
    """`x = check(x, …)`: a call that vets `x` and gives it back; `x` is resolved as it came in."""
    return isinstance(value, ast.Call) and any(isinstance(a, ast.Name) and a.id == name for a in value.args)


class _StepActions:
    """Every action value a module can write on an EventStep, found in its source: string
    literals, `Action.X`, conditionals, local variables, and parameters of helpers (followed to
    their callers in the module). A parameter of a function nobody in the module calls is
    reported as unresolved ("path:function(parameter)")."""

    def __init__(self, path: Path) -> None:
        self.path = path.relative_to(GRIDGOV.parent).as_posix()
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(self.tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.found: set[str] = set()
        self.unresolved: set[str] = set()

    def _function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    def _resolve(self, expr: ast.expr, where: ast.AST, seen: frozenset[str] = frozenset()) -> None:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            self.found.add(expr.value)
        elif isinstance(expr, ast.IfExp):
            self._resolve(expr.body, where, seen)
            self._resolve(expr.orelse, where, seen)
        elif (
            isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "Action"
        ):
            self.found.add(Action[expr.attr].value)
        elif isinstance(expr, ast.Name):
            self._resolve_name(expr.id, where, seen)
        else:
            self.unresolved.add(f"{self.path}:{ast.unparse(expr)}")

    def _resolve_name(self, name: str, where: ast.AST, seen: frozenset[str]) -> None:
        function = self._function(where)
        if function is None or f"{function.name}.{name}" in seen:
            return
        seen = seen | {f"{function.name}.{name}"}
        assigned = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and not _passes_through(node.value, name)
        ]
        for value in assigned:
            self._resolve(value, value, seen)
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        if name not in params and name not in [a.arg for a in function.args.kwonlyargs]:
            if not assigned:
                self.unresolved.add(f"{self.path}:{function.name}:{name}")
            return
        callers = [
            node
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == function.name
        ]
        if not callers:
            self.unresolved.add(f"{self.path}:{function.name}({name})")
        for call in callers:
            given = [k.value for k in call.keywords if k.arg == name]
            if not given and name in params and params.index(name) < len(call.args):
                given = [call.args[params.index(name)]]
            for value in given:
                self._resolve(value, call, seen)

    def scan(self) -> "_StepActions":
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _is_step_write(node):
                for keyword in node.keywords:
                    if keyword.arg == "action":
                        self._resolve(keyword.value, node)
        return self


def step_actions_in_code() -> tuple[set[str], set[str]]:
    found: set[str] = set()
    unresolved: set[str] = set()
    for path in sorted(GRIDGOV.rglob("*.py")):
        if "migrations" in path.parts or "EventStep" not in path.read_text(encoding="utf-8"):
            continue
        scanned = _StepActions(path).scan()
        found |= scanned.found
        unresolved |= scanned.unresolved
    return found, unresolved


def test_every_action_written_on_a_timeline_has_a_chinese_label() -> None:
    found, unresolved = step_actions_in_code()
    # The scan sees the report, the merge mark and every mediation step of gridgov.disputes…
    assert {
        "report",
        "merged_in",
        "dispute_registered",
        "dispute_alert",
        "dispute_visit",
        "dispute_follow_up",
        "dispute_outcome",
    } <= found
    # …and the one open-ended writer is the workflow, which refuses actions not in ACTION_NAMES
    # (test_unknown_action_is_a_validation_error).
    assert unresolved == {"gridgov/events/transitions.py:transition(action)"}
    missing = sorted(action for action in found | set(Action.values) if action not in TIMELINE_NAMES)
    assert missing == [], f"timeline actions without a label in gridgov.events.workflow: {missing}"
    for action in found | set(Action.values):
        label = TIMELINE_NAMES[action]
        assert label != action, (action, label)
        assert all("\u4e00" <= ch <= "\u9fff" for ch in label), (action, label)
    # Labels are not kept for steps nothing writes any more.
    assert set(STEP_NAMES) <= found
    # SQLite does not enforce a column's length; PostgreSQL refuses a longer value.
    width = EventStep._meta.get_field("action").max_length
    assert width is not None
    assert [a for a in TIMELINE_NAMES if len(a) > width] == []


def test_seeded_timelines_show_labels_not_codes(api: Any) -> None:
    actions = set(EventStep.objects.values_list("action", flat=True).distinct())
    assert {"report", "dispute_registered", "dispute_alert"} <= actions  # the demo city has disputes
    assert sorted(a for a in actions if a not in TIMELINE_NAMES) == []
    event = EventStep.objects.filter(action="dispute_alert").order_by("pk").first().event
    body = api("city_admin").get(f"/api/v1/events/{event.pk}").json()
    names = {step["action"]: step["action_name"] for step in body["timeline"]}
    assert names["dispute_alert"] == "风险预警"
    assert names["report"] == "上报"
    assert all(name != action for action, name in names.items()), names
