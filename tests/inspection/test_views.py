"""The officials' pages: make a plan with a draw (and its preview), score a grid, record a finding
with a rectification, the worker's report and the re-inspection on the pages, the rectification
list with the overdue filter, scores and their Excel export; other places get 404."""

import io
from datetime import timedelta

from django.utils import timezone
from openpyxl import load_workbook

from gridgov.inspection import services
from gridgov.inspection.models import InspectionPlan, InspectionVisit, Rectification


def test_make_a_plan_with_a_draw_on_the_page(login, node, user):
    county = login("saihan_admin")
    area = node("赛罕区")
    page = county.get(f"/inspection/?node={area.pk}")
    assert page.status_code == 200
    assert "制定检查计划" in page.content.decode()
    preview = county.get(f"/inspection/draw-preview/?node={area.pk}&draw_count=2&draw_seed=99")
    drawn = [g.name for g in services.draw_grids(area, 2, 99)]
    assert all(name in preview.content.decode() for name in drawn)
    assert "整数" in county.get(f"/inspection/draw-preview/?node={area.pk}&draw_count=x").content.decode()
    part = county.get(f"/inspection/plan-form/?node={node('昭乌达南路街道').pk}")
    assert part.status_code == 200
    assert "惠民社区" in part.content.decode()
    today = timezone.localdate()
    answer = county.post(
        f"/inspection/?node={area.pk}",
        {
            "node": area.pk,
            "title": "页面抽查",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=7)).isoformat(),
            "inspectors": [user("saihan_admin").pk],
            "mode": "draw",
            "draw_count": 2,
            "draw_seed": 99,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    plan = InspectionPlan.objects.get(title="页面抽查")
    assert sorted(plan.visits.values_list("grid__name", flat=True)) == sorted(drawn)
    detail = county.get(f"/inspection/{plan.pk}/").content.decode()
    assert "抽签种子 99" in detail
    bad = county.post(
        f"/inspection/?node={area.pk}",
        {
            "node": area.pk,
            "title": "x",
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "mode": "draw",
        },
    )
    assert bad.status_code == 200
    assert "请至少指定一名检查人员" in bad.content.decode()


def test_score_find_rectify_report_and_review_on_the_pages(login, node, user):
    today = timezone.localdate()
    plan = services.create_plan(
        user=user("zhaowuda_admin"),
        node=node("昭乌达南路街道"),
        title="页面检查",
        starts_on=today,
        ends_on=today + timedelta(days=1),
        inspector_ids=[user("zhaowuda_admin").pk],
        grid_ids=[node("惠民社区第一网格").pk],
    )
    visit = plan.visits.get()
    inspector = login("zhaowuda_admin")
    form = {f"points_{i.pk}": i.max_points for i in services.checklist()}
    first = next(iter(form))
    assert "得分" in inspector.post(f"/inspection/visits/{visit.pk}/", {**form, first: 9}).content.decode()
    saved = inspector.post(
        f"/inspection/visits/{visit.pk}/", {**form, "note": "良好", "version": visit.version}
    )
    assert saved.status_code == 302
    assert InspectionVisit.objects.get(pk=visit.pk).score == 100
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    found = inspector.post(
        f"/inspection/visits/{visit.pk}/findings/",
        {"description": "楼道堆物", "requirement": "清理楼道", "deadline": deadline},
    )
    assert found.status_code == 302
    rect = Rectification.objects.get(finding__visit=visit)
    worker = login("gaobo")
    page = worker.get(f"/inspection/rectifications/{rect.pk}/").content.decode()
    assert "报告整改情况" in page
    assert "通过，销号" not in page
    assert worker.post(f"/inspection/rectifications/{rect.pk}/report/", {"text": "已清理"}).status_code == 302
    page = inspector.get(f"/inspection/rectifications/{rect.pk}/").content.decode()
    assert "通过，销号" in page
    assert "已清理" in page
    inspector.post(f"/inspection/rectifications/{rect.pk}/review/", {"accept": "1"})
    assert Rectification.objects.get(pk=rect.pk).state == "closed"
    assert login("laogangfang_worker").get(f"/inspection/rectifications/{rect.pk}/").status_code == 404
    assert login("laogangfang_worker").get(f"/inspection/visits/{visit.pk}/").status_code == 404


def test_rectification_list_overdue_and_scores_export(login, node):
    rect = Rectification.objects.filter(state="open").first()
    Rectification.objects.filter(pk=rect.pk).update(deadline=timezone.now() - timedelta(days=1))
    township = login("zhaowuda_admin")
    page = township.get("/inspection/rectifications/?overdue=1").content.decode()
    assert rect.requirement[:20] in page
    assert "逾期" in page
    assert township.get("/inspection/rectifications/?state=nonsense").status_code == 200
    area = node("昭乌达南路街道")
    scores = township.get(f"/inspection/scores/?node={area.pk}").content.decode()
    assert "惠民社区第一网格" in scores
    assert "日期格式" in township.get(f"/inspection/scores/?node={area.pk}&start=x").content.decode()
    export = township.get(f"/inspection/scores.xlsx?node={area.pk}")
    assert export.status_code == 200
    assert "no-store" in export["Cache-Control"]
    book = load_workbook(io.BytesIO(export.content))
    grids = list(book["网格得分"].iter_rows(min_row=3, values_only=True))
    assert any(row[1] == "惠民社区第一网格" and row[3] is not None for row in grids)
    assert township.get(f"/inspection/scores.xlsx?node={area.pk}&end=bad").status_code == 400
    assert login("laogangfang_worker").get(f"/inspection/scores.xlsx?node={area.pk}").status_code == 404


def test_a_bad_place_is_a_404_not_an_error(login):
    county = login("saihan_admin")
    for raw in ["99999999999999999999999", "abc", "１２"]:
        assert county.get(f"/inspection/?node={raw}").status_code == 404
        assert county.get(f"/inspection/scores/?node={raw}").status_code == 404
