"""The promotion run on the demo city: preview with reasons, approval applying it, cancelling,
refreshing, and a preview made stale by an appeal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.assessment.models import Assessment, Status
from gridgov.audit.models import AuditEntry
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.workforce import runs
from gridgov.workforce.models import GradeChange, GradeChangeKind, PromotionRun, RunStatus, WorkerFile


@pytest.fixture
def saihan_run(user, node):
    return runs.preview_run(user=user("saihan_admin"), county=node("赛罕区"), assessment_year=2025)


def line_of(run, worker):
    return run.lines.get(worker=worker)


def test_preview_gives_every_worker_an_outcome_and_changes_nothing(saihan_run, worker_of):
    workers = WorkerFile.objects.filter(county_code="150105", status="active")
    assert saihan_run.lines.count() == workers.count() == saihan_run.workers == 12
    gaobo = worker_of("惠民社区第一网格")
    line = line_of(saihan_run, gaobo)
    assert (line.grade_before, line.grade_after, line.step, line.rule) == (5, 7, 2, "excellent")
    assert line.basis == {"2023": "excellent", "2024": "excellent", "2025": "excellent"}
    assert WorkerFile.objects.get(pk=gaobo.pk).grade == 5
    assert not GradeChange.objects.filter(run=saihan_run).exists()
    # Every rule of the demo's patterns shows up in one county.
    reasons = " ".join(saihan_run.lines.values_list("reason", flat=True))
    for words in ("晋升一档", "晋升两档", "最高12档", "已在最高档", "低于合格", "晋档后重新计数", "未满三年"):
        assert words in reasons, words
    assert AuditEntry.objects.filter(
        object_type="workforce.promotionrun", object_id=str(saihan_run.pk)
    ).exists()


def test_approval_applies_every_line_once(saihan_run, user, worker_of):
    before = {w.pk: w.grade for w in WorkerFile.objects.filter(county_code="150105")}
    approved = runs.approve_run(user=user("saihan_admin"), run=saihan_run, version=saihan_run.version)
    assert approved.status == RunStatus.APPLIED
    for line in saihan_run.lines.all():
        assert WorkerFile.objects.get(pk=line.worker_id).grade == line.grade_after
        assert before[line.worker_id] == line.grade_before
    moved = saihan_run.lines.filter(step__gt=0).count()
    assert moved == approved.promoted_one + approved.promoted_two > 0
    changes = GradeChange.objects.filter(run=saihan_run, kind=GradeChangeKind.PROMOTION)
    assert changes.count() == moved
    assert set(changes.values_list("year", flat=True)) == {2026}
    assert (
        AuditEntry.objects.filter(object_type="workforce.workerfile", message__contains="applied").count()
        == moved
    )
    # Applied: neither refreshed, cancelled nor approved again; the next year's count restarts.
    for action in (runs.refresh_run, runs.cancel_run, runs.approve_run):
        with pytest.raises(ConflictError):
            action(user=user("saihan_admin"), run=saihan_run)
    gaobo = worker_of("惠民社区第一网格")
    assert gaobo.grade == 7


def test_cancel_then_a_new_preview(saihan_run, user, node):
    with pytest.raises(ConflictError):
        runs.preview_run(user=user("saihan_admin"), county=node("赛罕区"), assessment_year=2025)
    runs.cancel_run(user=user("saihan_admin"), run=saihan_run)
    assert WorkerFile.objects.filter(county_code="150105", grade__gt=12).count() == 0
    again = runs.preview_run(user=user("saihan_admin"), county=node("赛罕区"), assessment_year=2025)
    assert again.pk != saihan_run.pk
    assert again.status == RunStatus.PREVIEW


def test_stale_version_is_refused(saihan_run, user):
    with pytest.raises(PreconditionFailed):
        runs.approve_run(user=user("saihan_admin"), run=saihan_run, version=saihan_run.version + 1)


def test_an_appeal_after_the_preview_blocks_approval_until_recomputed(saihan_run, user, worker_of):
    admin = user("saihan_admin")
    worker = worker_of("惠民社区第一网格")  # 优秀 ×3 → +2 in the preview
    assessment = Assessment.objects.get(worker=worker, year=2025)
    assessment.status = Status.APPEALED
    assessment.save()
    with pytest.raises(ConflictError, match="申诉"):
        runs.approve_run(user=admin, run=saihan_run)
    # The appeal is decided: 2025 becomes 合格 → three years 合格 or better, +1 instead of +2.
    assessment.status, assessment.result = Status.APPROVED, "qualified"
    assessment.save()
    with pytest.raises(ConflictError) as stale:
        runs.approve_run(user=admin, run=saihan_run)
    assert worker.name in stale.value.extra["stale"]
    refreshed = runs.refresh_run(user=admin, run=saihan_run)
    line = line_of(refreshed, worker)
    assert (line.grade_after, line.rule) == (6, "qualified")
    runs.approve_run(user=admin, run=refreshed, version=refreshed.version)
    assert WorkerFile.objects.get(pk=worker.pk).grade == 6


def test_a_grade_adjusted_after_the_preview_makes_it_stale(saihan_run, user, worker_of):
    from gridgov.workforce.services import adjust_grade

    worker = worker_of("惠民社区第一网格")
    adjust_grade(user=user("saihan_admin"), worker=worker, grade=6, year=2025, reason="更正入职定档")
    with pytest.raises(ConflictError):
        runs.approve_run(user=user("saihan_admin"), run=saihan_run)


def test_only_the_county_runs_its_promotions(user, node):
    for username in ("zhaowuda_admin", "huimin_admin", "gaobo", "laogangfang_worker"):
        with pytest.raises(PermissionDenied):
            runs.preview_run(user=user(username), county=node("赛罕区"), assessment_year=2025)
    with pytest.raises(ValidationError) as bad:
        runs.preview_run(user=user("saihan_admin"), county=node("昭乌达南路街道"), assessment_year=2025)
    assert "county" in bad.value.message_dict
    with pytest.raises(ValidationError) as year:
        runs.preview_run(user=user("saihan_admin"), county=node("赛罕区"), assessment_year="20x5")
    assert "assessment_year" in year.value.message_dict


def test_the_city_runs_every_county(user, node):
    run = runs.preview_run(user=user("city_admin"), county=node("新城区"), assessment_year=2025)
    assert run.lines.count() == 12
    assert PromotionRun.objects.filter(status=RunStatus.PREVIEW).count() == 1
