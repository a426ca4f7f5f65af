"""Tasks bounded by the ten duties: a task within a duty reaches the workers at once; one outside
them is held for the county's admission review and reaches them only once approved; a refused
one never does; completing asks a result; the burden is measured per worker and month."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.core.errors import ConflictError
from gridgov.notifications.models import Notice
from gridgov.tasks import selectors, services
from gridgov.tasks.models import Admission, AssignmentState, Duty, Source, TaskAssignment


def _issue(user, node, duty="publicity", title="张贴防诈骗宣传海报"):
    return services.issue_task(
        user=user, node=node, title=title, duty=duty, deadline=timezone.now() + timedelta(days=3)
    )


def test_the_ten_duties_are_data(db):
    assert Duty.objects.filter(active=True).count() == 10


def test_a_task_within_a_duty_reaches_every_worker_of_the_area(user, node):
    task = _issue(user("huimin_admin"), node("惠民社区"))
    assert task.admission == Admission.NOT_NEEDED
    assert task.source == Source.COMMUNITY
    grids = TaskAssignment.objects.filter(task=task)
    assert grids.count() == 3
    assert set(grids.values_list("state", flat=True)) == {AssignmentState.OPEN}
    mine = list(selectors.my_tasks(user("gaobo")))
    assert task.pk in {a.task_id for a in mine}
    assert Notice.objects.filter(user=user("gaobo"), message__contains="张贴防诈骗").exists()


def test_a_task_outside_the_duties_is_held_for_admission(user, node):
    task = _issue(user("zhaowuda_admin"), node("惠民社区"), duty="", title="代收物业费")
    assert task.admission == Admission.PENDING
    assert task.source == Source.TOWNSHIP
    assert task.pk not in {a.task_id for a in selectors.my_tasks(user("gaobo"))}
    queue = selectors.admission_queue(user("saihan_admin"))
    assert task in queue
    # A township administrator does not decide admission; the county does.
    assert task not in selectors.admission_queue(user("zhaowuda_admin"))
    with pytest.raises(PermissionDenied):
        services.decide_admission(user=user("zhaowuda_admin"), task=task, approve=True, reason="")
    services.decide_admission(user=user("saihan_admin"), task=task, approve=True, reason="属于阶段性重点工作")
    task.refresh_from_db()
    assert (task.admission, task.decision_reason) == (Admission.APPROVED, "属于阶段性重点工作")
    assert task.pk in {a.task_id for a in selectors.my_tasks(user("gaobo"))}
    with pytest.raises(ConflictError):
        services.decide_admission(user=user("saihan_admin"), task=task, approve=False, reason="再审")


def test_a_refused_task_never_reaches_the_worker(user, node):
    task = _issue(user("zhaowuda_admin"), node("惠民社区"), duty="", title="统计辖区商户营业额")
    with pytest.raises(ValidationError) as caught:
        services.decide_admission(user=user("saihan_admin"), task=task, approve=False, reason="")
    assert "reason" in caught.value.message_dict
    services.decide_admission(
        user=user("saihan_admin"), task=task, approve=False, reason="不属于网格员职责，由商务部门自行统计"
    )
    assert set(TaskAssignment.objects.filter(task=task).values_list("state", flat=True)) == {
        AssignmentState.REFUSED
    }
    assert task.pk not in {a.task_id for a in selectors.my_tasks(user("gaobo"))}
    assert not Notice.objects.filter(user=user("gaobo"), message__contains="统计辖区商户").exists()
    assert Notice.objects.filter(user=user("zhaowuda_admin"), message__contains="不予准入").exists()


def test_completing_asks_a_result_and_happens_once(user, node):
    task = _issue(user("huimin_admin"), node("惠民社区第一网格"))
    assignment = TaskAssignment.objects.get(task=task)
    gaobo = user("gaobo")
    with pytest.raises(ValidationError):
        services.complete_task(user=gaobo, assignment=assignment, result=" ")
    with pytest.raises(PermissionDenied):
        services.complete_task(user=user("laogangfang_worker"), assignment=assignment, result="完成")
    done = services.complete_task(user=gaobo, assignment=assignment, result="已张贴 12 张")
    assert done.state == AssignmentState.DONE
    with pytest.raises(ConflictError):
        services.complete_task(user=gaobo, assignment=assignment, result="再次")


def test_bad_input_names_the_field(user, node):
    admin, area = user("huimin_admin"), node("惠民社区")
    cases = [
        ({"title": "", "duty": "publicity", "deadline": timezone.now() + timedelta(days=1)}, "title"),
        ({"title": "x", "duty": "publicity", "deadline": timezone.now() - timedelta(days=1)}, "deadline"),
        ({"title": "x", "duty": "publicity", "deadline": None}, "deadline"),
        ({"title": "x", "duty": "nope", "deadline": timezone.now() + timedelta(days=1)}, "duty"),
    ]
    for kwargs, name in cases:
        with pytest.raises(ValidationError) as caught:
            services.issue_task(user=admin, node=area, **kwargs)
        assert name in caught.value.message_dict


def test_workers_and_outsiders_cannot_give_tasks(user, node):
    for username in ("gaobo", "laogangfang_worker"):
        with pytest.raises(PermissionDenied):
            _issue(user(username), node("惠民社区"))


def test_burden_per_worker_and_month(user, node):
    _issue(user("huimin_admin"), node("惠民社区第一网格"))
    refused = _issue(user("zhaowuda_admin"), node("惠民社区第一网格"), duty="", title="代收水费")
    services.decide_admission(user=user("saihan_admin"), task=refused, approve=False, reason="职责外")
    rows = {b.grid: b for b in selectors.burden(user("huimin_admin"), node("惠民社区"))}
    first = rows["惠民社区第一网格"]
    assert first.total >= 2
    assert first.refused >= 1
    assert 0 < first.refused_share < 1
    assert first.by_duty.get("职责外", 0) >= 1
    assert first.by_source.get("社区/村", 0) >= 1
