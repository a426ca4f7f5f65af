"""Supervision and inspection: plans by a township or county with picked or randomly drawn grids
(the draw reproducible from its seed), scoring by the checklist, findings with photos, and the
rectification workflow — issued to the grid's worker, reported back, rejected with a reason,
reported again, accepted — with its refusals."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.audit.models import AuditEntry
from gridgov.core.errors import ConflictError, PreconditionFailed
from gridgov.inspection import selectors, services
from gridgov.inspection.models import (
    ChecklistItem,
    InspectionPhoto,
    InspectionVisit,
    RectificationState,
    StepKind,
    VisitState,
)
from gridgov.notifications.models import Notice
from tests.inspection.photos import tiny_png


@pytest.fixture
def plan(user, node):
    today = timezone.localdate()
    grids = list(node("惠民社区").children.filter(level="grid").order_by("path"))
    return services.create_plan(
        user=user("zhaowuda_admin"),
        node=node("昭乌达南路街道"),
        title="十二月督导检查",
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=10),
        inspector_ids=[user("zhaowuda_admin").pk],
        grid_ids=[g.pk for g in grids],
    )


def _visit(plan, node, name="惠民社区第一网格"):
    return InspectionVisit.objects.get(plan=plan, grid=node(name))


def _full(minus=None):
    minus = minus or {}
    return {i.pk: minus.get(n, i.max_points) for n, i in enumerate(services.checklist())}


def test_the_default_checklist_covers_the_ten_duties_with_100_points(db):
    items = ChecklistItem.objects.filter(active=True)
    assert items.values("duty").distinct().count() == 10
    assert sum(items.values_list("max_points", flat=True)) == 100


def test_a_plan_names_its_grids_their_workers_and_tells_the_inspectors(plan, user, node):
    visits = plan.visits.all()
    assert visits.count() == 3
    assert _visit(plan, node).worker == user("gaobo")
    assert plan.path == node("昭乌达南路街道").path
    assert (
        Notice.objects.filter(user=user("zhaowuda_admin"), message__contains="十二月督导检查").count() == 0
    )  # own plan
    assert AuditEntry.objects.filter(object_type="inspection.inspectionvisit", action="create").count() >= 3


def test_only_a_township_or_county_makes_plans_in_its_own_area(user, node):
    today = timezone.localdate()
    args = {"title": "检查", "starts_on": today, "ends_on": today, "draw_count": 1}
    with pytest.raises(ValidationError) as caught:
        services.create_plan(user=user("huimin_admin"), node=node("惠民社区"), inspector_ids=[], **args)
    assert "node" in caught.value.message_dict
    with pytest.raises(PermissionDenied):
        services.create_plan(
            user=user("zhaowuda_admin"),
            node=node("赛罕区"),
            inspector_ids=[user("zhaowuda_admin").pk],
            **args,
        )
    with pytest.raises(ValidationError) as caught:  # an inspector outside the maker's area
        services.create_plan(
            user=user("zhaowuda_admin"),
            node=node("昭乌达南路街道"),
            inspector_ids=[user("laogangfang_worker").pk],
            **args,
        )
    assert "inspectors" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.create_plan(
            user=user("saihan_admin"),
            node=node("赛罕区"),
            inspector_ids=[user("saihan_admin").pk],
            grid_ids=[node("老缸房社区第一网格").pk],
            title="检查",
            starts_on=today,
            ends_on=today - timedelta(days=1),
        )
    assert "ends_on" in caught.value.message_dict


def test_a_grid_outside_the_area_cannot_be_picked(user, node):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as caught:
        services.create_plan(
            user=user("saihan_admin"),
            node=node("赛罕区"),
            inspector_ids=[user("saihan_admin").pk],
            grid_ids=[node("老缸房社区第一网格").pk],
            title="检查",
            starts_on=today,
            ends_on=today,
        )
    assert "grid_ids" in caught.value.message_dict


def test_a_random_draw_is_recorded_and_reproducible(user, node):
    today = timezone.localdate()
    county = node("赛罕区")
    made = services.create_plan(
        user=user("saihan_admin"),
        node=county,
        title="随机抽查",
        starts_on=today,
        ends_on=today + timedelta(days=5),
        inspector_ids=[user("saihan_admin").pk],
        draw_count=4,
        draw_seed=12345,
    )
    drawn = sorted(made.visits.values_list("grid_id", flat=True))
    assert made.draw_seed == 12345
    assert made.draw_count == 4
    assert len(drawn) == 4
    again = [g.pk for g in services.draw_grids(county, 4, 12345)]
    assert sorted(again) == drawn
    assert all(g.path.startswith(county.path) for g in made.visits.all())
    other = [g.pk for g in services.draw_grids(county, 4, 54321)]
    assert sorted(other) != drawn or len(services.area_grids(county)) <= 4
    assert AuditEntry.objects.filter(
        object_type="inspection.inspectionplan", message__contains="seed 12345"
    ).exists()
    # Without a seed one is made and kept, so the draw can still be checked.
    fresh = services.create_plan(
        user=user("saihan_admin"),
        node=county,
        title="随机抽查二",
        starts_on=today,
        ends_on=today,
        inspector_ids=[user("saihan_admin").pk],
        draw_count=2,
    )
    assert fresh.draw_seed is not None
    assert sorted(g.pk for g in services.draw_grids(county, 2, fresh.draw_seed)) == sorted(
        fresh.visits.values_list("grid_id", flat=True)
    )
    with pytest.raises(ValidationError) as caught:
        services.draw_grids(county, 100000, 1)
    assert "draw_count" in caught.value.message_dict


def test_scoring_needs_every_item_within_its_points(plan, user, node):
    visit = _visit(plan, node)
    inspector = user("zhaowuda_admin")
    points = _full()
    first = next(iter(points))
    with pytest.raises(ValidationError) as caught:
        services.score_visit(user=inspector, visit=visit, points={**points, first: 6})
    assert f"points_{first}" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.score_visit(
            user=inspector, visit=visit, points={k: v for k, v in points.items() if k != first}
        )
    with pytest.raises(ValidationError):
        services.score_visit(user=inspector, visit=visit, points={**points, first: "abc"})
    with pytest.raises(ValidationError):
        services.score_visit(user=inspector, visit=visit, points={**points, first: "2.3"})
    with pytest.raises(ValidationError):
        services.score_visit(user=inspector, visit=visit, points={**points, 999999: 1})
    done = services.score_visit(user=inspector, visit=visit, points=_full({0: 2.5, 1: 0}), note="楼道杂物")
    assert done.state == VisitState.DONE
    assert done.score == Decimal("92.5")  # 100 − 2.5 − 5
    assert selectors.item_points(done)[first] == Decimal("2.5")
    # A second save with the version read before the first is refused, not silently overwritten.
    with pytest.raises(PreconditionFailed):
        services.score_visit(user=inspector, visit=done, points=_full(), version=done.version - 1)
    again = services.score_visit(user=inspector, visit=done, points=_full(), version=done.version)
    assert again.score == Decimal("100.0")


def test_only_inspectors_score_and_never_their_own_grid(plan, user, node):
    visit = _visit(plan, node)
    with pytest.raises(PermissionDenied):
        services.score_visit(user=user("huimin_admin"), visit=visit, points=_full())
    with pytest.raises(PermissionDenied):
        services.score_visit(user=user("laogangfang_worker"), visit=visit, points=_full())
    # The county over the area may inspect too.
    assert services.score_visit(user=user("saihan_admin"), visit=visit, points=_full()).score == 100


def test_scoring_outside_the_window_or_after_closing_is_refused(plan, user, node):
    visit = _visit(plan, node)
    later = timezone.now() + timedelta(days=30)
    with pytest.raises(ConflictError):
        services.score_visit(user=user("zhaowuda_admin"), visit=visit, points=_full(), now=later)
    services.close_plan(user=user("zhaowuda_admin"), plan=plan)
    with pytest.raises(ConflictError):
        services.score_visit(user=user("zhaowuda_admin"), visit=visit, points=_full())


def test_a_finding_with_photos_checked_by_content(plan, user, node):
    visit = _visit(plan, node)
    inspector = user("zhaowuda_admin")
    with pytest.raises(ValidationError) as caught:
        services.add_finding(user=inspector, visit=visit, description="楼道堆物", photos=[b"not an image"])
    assert "photos" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.add_finding(user=inspector, visit=visit, description="  ")
    assert "description" in caught.value.message_dict
    finding = services.add_finding(user=inspector, visit=visit, description="楼道堆物", photos=[tiny_png()])
    photo = InspectionPhoto.objects.get(finding=finding)
    assert photo.content_type == "image/png"
    assert photo.path == visit.path
    assert not photo.image.name.startswith("events/")


def _finding(plan, user, node):
    return services.add_finding(
        user=user("zhaowuda_admin"), visit=_visit(plan, node), description="出租房屋信息未更新"
    )


def test_the_rectification_workflow_with_a_rejection_and_a_second_report(plan, user, node):
    inspector, gaobo = user("zhaowuda_admin"), user("gaobo")
    finding = _finding(plan, user, node)
    with pytest.raises(ValidationError) as caught:
        services.issue_rectification(
            user=inspector, finding=finding, requirement="更新", deadline=timezone.now() - timedelta(hours=1)
        )
    assert "deadline" in caught.value.message_dict
    rect = services.issue_rectification(
        user=inspector,
        finding=finding,
        requirement="一周内更新出租房屋信息",
        deadline=timezone.now() + timedelta(days=7),
    )
    assert rect.worker == gaobo
    assert rect.state == RectificationState.OPEN
    assert Notice.objects.filter(user=gaobo, message__contains="督导检查整改").exists()
    assert rect in selectors.my_rectifications(gaobo)
    with pytest.raises(ConflictError):  # one rectification per finding
        services.issue_rectification(
            user=inspector, finding=finding, requirement="再来", deadline=timezone.now() + timedelta(days=1)
        )
    # Someone outside the grid cannot report it; the review waits for a report.
    with pytest.raises(PermissionDenied):
        services.report_rectification(user=user("laogangfang_worker"), rectification=rect, text="已改")
    with pytest.raises(ConflictError):
        services.review_rectification(user=inspector, rectification=rect, accept=True)
    with pytest.raises(ValidationError) as caught:
        services.report_rectification(user=gaobo, rectification=rect, text="")
    assert "text" in caught.value.message_dict
    rect = services.report_rectification(
        user=gaobo, rectification=rect, text="已更新 12 户", photos=[tiny_png()]
    )
    assert rect.state == RectificationState.REPORTED
    assert rect not in selectors.my_rectifications(gaobo)
    with pytest.raises(ConflictError):  # a repeat submission while the first waits
        services.report_rectification(user=gaobo, rectification=rect, text="已更新 12 户")
    assert Notice.objects.filter(user=inspector, message__contains="待复查").exists()
    # The worker cannot accept their own report; a rejection needs a reason.
    with pytest.raises(PermissionDenied):
        services.review_rectification(user=gaobo, rectification=rect, accept=True)
    with pytest.raises(ValidationError) as caught:
        services.review_rectification(user=inspector, rectification=rect, accept=False, reason="")
    assert "reason" in caught.value.message_dict
    rect = services.review_rectification(
        user=inspector, rectification=rect, accept=False, reason="还有 3 户未登记"
    )
    assert (rect.state, rect.rejections, rect.last_reason) == (RectificationState.OPEN, 1, "还有 3 户未登记")
    assert Notice.objects.filter(user=gaobo, message__contains="还有 3 户未登记").exists()
    rect = services.report_rectification(user=gaobo, rectification=rect, text="剩余 3 户已登记")
    rect = services.review_rectification(user=inspector, rectification=rect, accept=True)
    assert rect.state == RectificationState.CLOSED
    assert rect.closed_at is not None
    kinds = [s.kind for s in selectors.steps_of(rect)]
    assert kinds == [
        StepKind.ISSUED,
        StepKind.REPORTED,
        StepKind.REJECTED,
        StepKind.REPORTED,
        StepKind.ACCEPTED,
    ]
    with pytest.raises(ConflictError):
        services.report_rectification(user=gaobo, rectification=rect, text="再报")


def test_overdue_rectifications_are_listed(plan, user, node):
    inspector = user("zhaowuda_admin")
    rect = services.issue_rectification(
        user=inspector,
        finding=_finding(plan, user, node),
        requirement="更新",
        deadline=timezone.now() + timedelta(hours=1),
    )
    assert rect not in selectors.rectifications_for(inspector, overdue=True)
    type(rect).objects.filter(pk=rect.pk).update(deadline=timezone.now() - timedelta(hours=1))
    assert rect in selectors.rectifications_for(inspector, overdue=True)
    assert selectors.overdue_count(inspector, node("惠民社区")) >= 1


def test_scores_per_grid_and_worker_for_a_period(plan, user, node):
    inspector = user("zhaowuda_admin")
    services.score_visit(user=inspector, visit=_visit(plan, node), points=_full({0: 0}))
    third = plan.visits.order_by("path").last()
    services.score_visit(user=inspector, visit=third, points=_full())
    township = node("昭乌达南路街道")

    def expected(**where):
        scores = list(
            InspectionVisit.objects.filter(state=VisitState.DONE, **where).values_list("score", flat=True)
        )
        return (sum(scores) / len(scores)).quantize(Decimal("0.1")), len(scores)

    grids = {row.name: row for row in selectors.grid_scores(inspector, township)}
    first = grids["惠民社区第一网格"]
    assert (first.mean, first.inspections) == expected(
        grid=node("惠民社区第一网格")
    )  # the demo's and this one
    assert first.lowest <= Decimal("95") <= first.highest
    assert grids[third.grid.name].mean == Decimal("100.0")
    workers = {row.key: row for row in selectors.worker_scores(inspector, township)}
    assert workers[user("gaobo").pk].mean == expected(worker=user("gaobo"))[0]
    # Outside the reader's subtree nothing is counted; a period without inspections is empty.
    assert selectors.grid_scores(user("laogangfang_worker"), township) == []
    last_year = timezone.localdate().year - 1
    assert selectors.grid_scores(inspector, township, date(last_year, 1, 1), date(last_year, 12, 31)) == []
    with pytest.raises(ValidationError):
        selectors.grid_scores(inspector, township, date(2026, 5, 1), date(2026, 4, 1))


def test_the_worker_pass_reminds_overdue_rectifications_once_per_deadline(plan, user, node):
    from gridgov.events.worker import run_once

    inspector, gaobo = user("zhaowuda_admin"), user("gaobo")
    rect = services.issue_rectification(
        user=inspector,
        finding=_finding(plan, user, node),
        requirement="补登租客信息",
        deadline=timezone.now() + timedelta(hours=2),
    )
    assert f"{rect.pk} " not in " ".join(run_once().rectifications_overdue)
    later = timezone.now() + timedelta(hours=3)
    assert any(item.startswith(f"{rect.pk} ") for item in run_once(later).rectifications_overdue)
    assert Notice.objects.filter(user=gaobo, message__contains="整改已逾期").count() == 1
    assert Notice.objects.filter(user=inspector, message__contains="整改已逾期").count() == 1
    assert not any(item.startswith(f"{rect.pk} ") for item in run_once(later).rectifications_overdue)
