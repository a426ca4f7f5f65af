"""The annual assessment picks up inspection scores (mean score of the worker's grid in the year)
and task completion (share of the worker's tasks due that year completed by their deadline)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.assessment.indicators import PENDING, county_indicators
from gridgov.inspection import services
from gridgov.inspection.models import InspectionVisit, VisitState
from gridgov.tasks import services as tasks
from gridgov.tasks.models import AssignmentState, TaskAssignment
from gridgov.workforce.models import WorkerFile


@pytest.fixture
def gaobo_file(user):
    return WorkerFile.objects.get(user=user("gaobo"))


def test_inspection_and_tasks_are_no_longer_pending(db):
    assert "inspection_score" not in PENDING
    assert "task_completion" not in PENDING


def test_inspection_score_is_the_mean_of_the_grids_inspections_of_the_year(user, node, gaobo_file):
    year = timezone.localdate().year
    before = county_indicators("150105", year)[gaobo_file.pk]["inspection_score"]
    scores = list(
        InspectionVisit.objects.filter(
            grid=gaobo_file.grid, state=VisitState.DONE, inspected_at__year=year
        ).values_list("score", flat=True)
    )
    assert before == (round(float(sum(scores) / len(scores)), 1) if scores else None)
    today = timezone.localdate()
    plan = services.create_plan(
        user=user("saihan_admin"),
        node=node("赛罕区"),
        title="复查",
        starts_on=today,
        ends_on=today,
        inspector_ids=[user("saihan_admin").pk],
        grid_ids=[gaobo_file.grid_id],
    )
    visit = plan.visits.get()
    items = services.checklist()
    services.score_visit(user=user("saihan_admin"), visit=visit, points={i.pk: 0 for i in items})
    after = county_indicators("150105", year)[gaobo_file.pk]["inspection_score"]
    assert after == round(float(sum(scores) / (len(scores) + 1)), 1)
    # A grid never inspected has no value (left out of the weights), not 0.
    uninspected = (
        WorkerFile.objects.filter(county_code="150105")
        .exclude(grid_id__in=InspectionVisit.objects.filter(state=VisitState.DONE).values("grid_id"))
        .first()
    )
    assert county_indicators("150105", year)[uninspected.pk]["inspection_score"] is None
    # Another year's inspections do not count.
    assert county_indicators("150105", year - 1)[gaobo_file.pk]["inspection_score"] is None


def test_task_completion_counts_tasks_done_by_their_deadline(user, node, gaobo_file):
    gaobo = user("gaobo")
    now = timezone.now()
    TaskAssignment.objects.filter(worker=gaobo).delete()
    made = [
        tasks.issue_task(
            user=user("huimin_admin"),
            node=node("惠民社区第一网格"),
            title=f"任务{n}",
            duty="publicity",
            deadline=now + timedelta(days=1),
        )
        for n in range(4)
    ]
    rows = {a.task_id: a for a in TaskAssignment.objects.filter(worker=gaobo)}
    # One completed in time, one completed late, one overdue and open, one open and not yet due.
    tasks.complete_task(user=gaobo, assignment=rows[made[0].pk], result="已完成")
    late = rows[made[1].pk]
    tasks.complete_task(user=gaobo, assignment=late, result="已完成", now=now + timedelta(days=2))
    made[2].deadline = now - timedelta(hours=1)
    made[2].save()
    year = timezone.localdate(now + timedelta(days=1)).year
    value = county_indicators("150105", year)[gaobo_file.pk]["task_completion"]
    if timezone.localdate(now - timedelta(hours=1)).year == year:
        assert value == round(100 * 1 / 3, 1)  # 1 on time of 3 due; the one not yet due waits
    assert TaskAssignment.objects.filter(worker=gaobo, state=AssignmentState.OPEN).count() == 2
    # Held or refused tasks never count; a worker without tasks has no value.
    TaskAssignment.objects.filter(worker=gaobo).delete()
    assert county_indicators("150105", year)[gaobo_file.pk]["task_completion"] is None


def test_the_indicators_stay_a_handful_of_queries(db):
    year = timezone.localdate().year
    with CaptureQueriesContext(connection) as queries:
        county_indicators("150105", year)
    assert len(queries) <= 12


def test_the_demo_drafts_carry_the_inspection_score(gaobo_file):
    from gridgov.assessment.models import Assessment
    from gridgov.assessment.seed import CURRENT_YEAR

    if timezone.localdate().year != CURRENT_YEAR:
        pytest.skip("the demo's drafts are of CURRENT_YEAR; its inspection is dated today")
    draft = Assessment.objects.get(worker=gaobo_file, year=CURRENT_YEAR)
    assert draft.indicators["inspection_score"] is not None
    assert "task_completion" in draft.indicators
