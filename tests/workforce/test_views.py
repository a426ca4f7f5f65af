"""The desktop pages: files, the run's buttons, the budget with its Excel export."""

import io

from openpyxl import load_workbook

from gridgov.workforce.models import PromotionRun, RunStatus


def test_home_lists_the_subtree_with_turnover(login):
    page = login("huimin_admin").get("/workforce/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "高波" in text
    assert "流动与任职年限" in text
    assert "no-store" in page["Cache-Control"]


def test_worker_page_masks_and_worker_sees_own(login, worker_of):
    gaobo = worker_of("惠民社区第一网格")
    page = login("huimin_admin").get(f"/workforce/workers/{gaobo.pk}/").content.decode()
    assert "****" in page
    assert "档次变动" in page
    me = login("gaobo").get("/workforce/me/")
    assert me.status_code == 200
    assert "高波" in me.content.decode()
    assert login("gaobo").get("/workforce/").status_code == 302


def test_run_pages_preview_and_approve(login, node):
    client = login("saihan_admin")
    created = client.post("/workforce/runs/", {"county": node("赛罕区").pk, "assessment_year": 2025})
    assert created.status_code == 302
    run = PromotionRun.objects.get(county_code="150105")
    page = client.get(created["Location"]).content.decode()
    assert "连续三年优秀" in page
    assert "批准并执行" in page
    client.post(f"/workforce/runs/{run.pk}/approve/", {"version": run.version})
    run.refresh_from_db()
    assert run.status == RunStatus.APPLIED


def test_adjust_grade_form_error_is_shown(login, worker_of):
    gaobo = worker_of("惠民社区第一网格")
    client = login("huimin_admin")
    response = client.post(
        f"/workforce/workers/{gaobo.pk}/grade/", {"grade": "13", "year": "2026", "reason": "x"}, follow=True
    )
    assert "档次须为" in response.content.decode()


def test_budget_page_and_excel(login, node):
    client = login("saihan_admin")
    page = client.get("/workforce/budget/?year=2026&base_floor=6000")
    text = page.content.decode()
    assert page.status_code == 200
    assert "测算结果" in text
    export = client.get(f"/workforce/budget.xlsx?county={node('赛罕区').pk}&year=2026")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content))["预算"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "合计"
    assert rows[-1][1] == 12
