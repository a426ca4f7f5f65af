"""The assessment's chain: indicators computed, community → township → county, each step
recorded; the county's cap on 优秀; the worker's one appeal; an appeal after a promotion preview."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.assessment import services
from gridgov.assessment.indicators import PENDING
from gridgov.assessment.models import Assessment, Status, StepKind
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.notifications.models import Notice
from gridgov.workforce import runs
from gridgov.workforce.models import WorkerFile

YEAR = 2026


@pytest.fixture
def saihan(user, node):
    services.compute_assessments(user=user("saihan_admin"), node=node("赛罕区"), year=YEAR)
    return node("赛罕区")


def of(grid_name):
    return Assessment.objects.get(worker__grid__name=grid_name, year=YEAR)


def through(user, assessment, result="qualified", score=85, by=("huimin_admin", "zhaowuda_admin")):
    a = services.propose(user=user(by[0]), assessment=assessment, result=result, committee_score=score)
    return services.review(user=user(by[1]), assessment=a, agree=True)


def test_compute_opens_drafts_with_indicators_and_pending_ones_empty(saihan):
    rows = Assessment.objects.filter(county_code="150105", year=YEAR)
    assert rows.count() == 12
    assert {r.status for r in rows} == {Status.DRAFT}
    one = rows.first()
    for key in PENDING:
        assert one.indicators[key] is None
    assert set(one.indicators) >= {"events_handled", "data_freshness", "satisfaction", "visits_on_time"}
    assert one.indicators["patrol_coverage"] is not None
    assert one.steps.filter(kind=StepKind.COMPUTED).exists()


def test_the_chain_records_each_step_and_tells_the_next(user, saihan):
    a = of("惠民社区第一网格")
    a = services.propose(
        user=user("huimin_admin"), assessment=a, result="qualified", committee_score="88", note="认真"
    )
    assert a.status == Status.PROPOSED
    assert a.total_score is not None
    assert Notice.objects.filter(user=user("zhaowuda_admin"), subject_id=a.pk).exists()
    with pytest.raises(PermissionDenied):
        services.review(user=user("huimin_admin"), assessment=a, agree=True)
    with pytest.raises(ValidationError) as no_reason:
        services.review(user=user("zhaowuda_admin"), assessment=a, agree=False)
    assert "note" in no_reason.value.message_dict
    a = services.review(user=user("zhaowuda_admin"), assessment=a, agree=True)
    with pytest.raises(PermissionDenied):
        services.approve(user=user("zhaowuda_admin"), assessment=a)
    with pytest.raises(PreconditionFailed):
        services.approve(user=user("saihan_admin"), assessment=a, version=a.version - 1)
    a = services.approve(user=user("saihan_admin"), assessment=a, version=a.version)
    assert a.status == Status.APPROVED
    kinds = list(a.steps.values_list("kind", flat=True))
    assert set(kinds[:-3]) == {StepKind.COMPUTED}
    assert kinds[-3:] == [StepKind.PROPOSED, StepKind.REVIEWED, StepKind.APPROVED]
    assert Notice.objects.filter(user=user("gaobo"), subject_id=a.pk).exists()


def test_township_returns_to_the_community(user, saihan):
    a = services.propose(
        user=user("huimin_admin"), assessment=of("惠民社区第一网格"), result="basic", committee_score=60
    )
    a = services.review(user=user("zhaowuda_admin"), assessment=a, agree=False, note="请补充走访记录")
    assert a.status == Status.DRAFT
    assert a.steps.filter(kind=StepKind.RETURNED, note="请补充走访记录").exists()


def test_excellent_needs_the_score(user, saihan):
    with pytest.raises(ValidationError) as low:
        services.propose(
            user=user("huimin_admin"),
            assessment=of("惠民社区第一网格"),
            result="excellent",
            committee_score=10,
        )
    assert "result" in low.value.message_dict
    with pytest.raises(ValidationError) as bad:
        services.propose(
            user=user("huimin_admin"), assessment=of("惠民社区第一网格"), result="good", committee_score=90
        )
    assert "result" in bad.value.message_dict


def test_the_cap_on_excellent(user, saihan):
    """12 assessed × 20 % = 2.4: at most two 优秀 in 赛罕区 this year."""
    for a in Assessment.objects.filter(county_code="150105", year=YEAR):
        a.indicator_score = 100
        a.save()
    county = ("saihan_admin", "saihan_admin")
    three = list(Assessment.objects.filter(county_code="150105", year=YEAR).order_by("pk")[:3])
    reviewed = [through(user, a, result="excellent", score=99, by=county) for a in three]
    with pytest.raises(ConflictError, match="优秀比例超过上限"):
        services.approve_reviewed(user=user("saihan_admin"), county=saihan, year=YEAR)
    assert not Assessment.objects.filter(year=YEAR, status=Status.APPROVED).exists()
    services.approve(user=user("saihan_admin"), assessment=reviewed[0])
    services.approve(user=user("saihan_admin"), assessment=reviewed[1])
    with pytest.raises(ConflictError):
        services.approve(user=user("saihan_admin"), assessment=reviewed[2])
    # The third goes back with a reason and is proposed as 合格: approved.
    services.return_to_township(user=user("saihan_admin"), assessment=reviewed[2], note="优秀名额已满")
    a = services.review(user=user("saihan_admin"), assessment=three[2], agree=False, note="改为合格")
    a = through(user, a, result="qualified", score=90, by=county)
    assert services.approve_reviewed(user=user("saihan_admin"), county=saihan, year=YEAR) == 1


def test_the_worker_appeals_once(user, saihan):
    a = services.approve(
        user=user("saihan_admin"), assessment=through(user, of("惠民社区第一网格"), result="basic", score=62)
    )
    with pytest.raises(PermissionDenied):
        services.appeal(user=user("huimin_admin"), assessment=a, reason="代为申诉")
    with pytest.raises(ValidationError):
        services.appeal(user=user("gaobo"), assessment=a, reason=" ")
    a = services.appeal(user=user("gaobo"), assessment=a, reason="走访记录漏计")
    assert a.status == Status.APPEALED
    with pytest.raises(PermissionDenied):
        services.decide_appeal(user=user("zhaowuda_admin"), assessment=a, result="qualified", decision="改")
    a = services.decide_appeal(
        user=user("saihan_admin"), assessment=a, result="qualified", decision="核实后改为合格"
    )
    assert (a.status, a.result) == (Status.APPROVED, "qualified")
    with pytest.raises(ConflictError, match="只能申诉一次"):
        services.appeal(user=user("gaobo"), assessment=a, reason="再次申诉")


def test_an_appeal_decided_after_a_preview_changes_the_run(user, node):
    """2025: 高波 three years 优秀 (+2 in the preview); his appeal… here the county lowers 2025 on
    review of an appeal: the preview is stale, refreshed, and the new outcome is +1."""
    admin = user("saihan_admin")
    run = runs.preview_run(user=admin, county=node("赛罕区"), assessment_year=2025)
    gaobo = WorkerFile.objects.get(grid__name="惠民社区第一网格")
    assert run.lines.get(worker=gaobo).step == 2
    a = services.appeal(
        user=user("gaobo"), assessment=Assessment.objects.get(worker=gaobo, year=2025), reason="复核"
    )
    with pytest.raises(ConflictError):
        runs.approve_run(user=admin, run=run)
    services.decide_appeal(user=admin, assessment=a, result="qualified", decision="复核后为合格")
    with pytest.raises(ConflictError):
        runs.approve_run(user=admin, run=run)
    run = runs.refresh_run(user=admin, run=run)
    assert run.lines.get(worker=gaobo).step == 1
