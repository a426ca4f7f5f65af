"""The desktop pages: files, the run's buttons, the budget with its Excel export."""

import io

from openpyxl import load_workbook

from gridgov.hierarchy.models import Level, Node
from gridgov.workforce.models import PromotionRun, RunStatus, WorkerFile


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


# --- the county's settings: pay table and contribution rates ----------------------------------


def _pay_form(base: int = 4000) -> dict[str, str]:
    return {f"grade_{g}": str(base + 100 * g) for g in range(1, 13)}


def test_budget_page_links_to_the_settings_forms(login, node):
    text = login("saihan_admin").get("/workforce/budget/?year=2026").content.decode()
    assert "/workforce/budget/pay/" in text
    assert "/workforce/budget/rates/" in text


def test_pay_scale_form_saves_audited_and_redirects(login, node):
    from gridgov.audit.models import AuditEntry
    from gridgov.workforce.models import PayScale

    county = node("赛罕区")
    client = login("saihan_admin")
    page = client.get(f"/workforce/budget/pay/?county={county.pk}&year=2030")
    assert page.status_code == 200
    assert "12档月薪酬" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    audited = AuditEntry.objects.filter(object_type="workforce.payscale").count()
    saved = client.post("/workforce/budget/pay/", {"county": county.pk, "year": 2030, **_pay_form()})
    assert saved.status_code == 302
    assert f"county={county.pk}&year=2030" in saved["Location"]
    rows = PayScale.objects.filter(county_code=county.county_code, year=2030).order_by("grade")
    assert [str(r.monthly_pay) for r in rows][:2] == ["4100.00", "4200.00"]
    assert AuditEntry.objects.filter(object_type="workforce.payscale").count() == audited + 12
    shown = client.get(f"/workforce/budget/pay/?county={county.pk}&year=2030").content.decode()
    assert 'value="5200.00"' in shown


def test_pay_scale_bad_value_names_the_field_and_saves_nothing(login, node):
    from gridgov.workforce.models import PayScale

    county = node("赛罕区")
    form = {**_pay_form(), "grade_7": "abc"}
    response = login("saihan_admin").post(
        "/workforce/budget/pay/", {"county": county.pk, "year": 2031, **form}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "7档月薪酬须为数字" in text
    assert 'id="id_grade_7" name="grade_7" value="abc"' in text
    assert not PayScale.objects.filter(county_code=county.county_code, year=2031).exists()
    falling = {**_pay_form(), "grade_5": "100"}
    response = login("saihan_admin").post(
        "/workforce/budget/pay/", {"county": county.pk, "year": 2031, **falling}
    )
    assert "5档薪酬不能低于4档" in response.content.decode()
    assert not PayScale.objects.filter(county_code=county.county_code, year=2031).exists()


RATES = {
    "base_floor": "4000",
    "base_ceiling": "20000",
    "pension_rate": "0.16",
    "medical_rate": "0.08",
    "unemployment_rate": "0.005",
    "injury_rate": "0.004",
    "housing_fund_rate": "0.12",
}


def test_contribution_rates_form_saves_audited(login, node):
    from gridgov.audit.models import AuditEntry
    from gridgov.workforce.models import ContributionRates

    county = node("赛罕区")
    client = login("saihan_admin")
    page = client.get(f"/workforce/budget/rates/?county={county.pk}&year=2030")
    assert page.status_code == 200
    assert "缴费基数下限" in page.content.decode()
    saved = client.post("/workforce/budget/rates/", {"county": county.pk, "year": 2030, **RATES})
    assert saved.status_code == 302
    rates = ContributionRates.objects.get(county_code=county.county_code, year=2030)
    assert str(rates.pension_rate) == "0.1600"
    assert AuditEntry.objects.filter(
        object_type="workforce.contributionrates", object_id=str(rates.pk)
    ).exists()


def test_contribution_rates_bad_value_names_the_field(login, node):
    from gridgov.workforce.models import ContributionRates

    county = node("赛罕区")
    bad = {**RATES, "medical_rate": "8"}
    response = login("saihan_admin").post(
        "/workforce/budget/rates/", {"county": county.pk, "year": 2031, **bad}
    )
    assert response.status_code == 400
    assert "医疗保险单位费率须在 0 到 1 之间" in response.content.decode()
    assert not ContributionRates.objects.filter(county_code=county.county_code, year=2031).exists()


def test_settings_forms_are_404_outside_scope(login, node):
    county = node("赛罕区")
    other = Node.objects.filter(level=Level.COUNTY).exclude(pk=county.pk).first()
    for url in ("/workforce/budget/pay/", "/workforce/budget/rates/"):
        assert login("huimin_admin").get(f"{url}?county={county.pk}").status_code == 404
        assert login("huimin_admin").get(url).status_code == 404
        posted = login("huimin_admin").post(url, {"county": county.pk, "year": 2031, **_pay_form(), **RATES})
        assert posted.status_code == 404
        if other is not None:
            assert login("saihan_admin").get(f"{url}?county={other.pk}").status_code == 404


# --- opening and editing a worker's file ---------------------------------------------------------


def _new_worker(node, community: str = "惠民社区"):
    """A new full-time worker's account on a grid of `community` that has no worker yet."""
    from gridgov.accounts.models import RoleAssignment, User
    from gridgov.accounts.roles import Role

    taken = RoleAssignment.objects.filter(role=Role.GRID_WORKER).values("node_id")
    grid = (
        Node.objects.filter(level=Level.GRID, path__startswith=node(community).path)
        .exclude(pk__in=taken)
        .order_by("path")
        .first()
    )
    if grid is None:  # every grid has its worker: free one by moving the role to a new account
        grid = Node.objects.filter(level=Level.GRID, path__startswith=node(community).path).order_by("-path")[
            0
        ]
        RoleAssignment.objects.filter(role=Role.GRID_WORKER, node=grid).delete()
    account = User.objects.create_user(username="xinren", password="x", full_name="新任网格员")
    RoleAssignment.objects.create(user=account, role=Role.GRID_WORKER, node=grid)
    account.grid_name = grid.name
    return account


def test_open_file_lists_unfiled_workers_and_opens_one_audited(login, node):
    from gridgov.audit.models import AuditEntry
    from gridgov.workforce.models import WorkerFile

    account = _new_worker(node)
    client = login("huimin_admin")
    assert "/workforce/workers/new/" in client.get("/workforce/").content.decode()
    page = client.get("/workforce/workers/new/")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"新任网格员（{account.grid_name}）" in text
    assert "高波" not in text  # already has a file
    form = {
        "worker": account.pk,
        "hire_date": "2026-03-01",
        "grade": "2",
        "education": "bachelor",
        "contract_kind": "labour",
    }
    created = client.post("/workforce/workers/new/", form)
    assert created.status_code == 302
    opened = WorkerFile.objects.get(user=account)
    assert created["Location"] == f"/workforce/workers/{opened.pk}/"
    assert (opened.grade, opened.name, opened.education) == (2, "新任网格员", "bachelor")
    assert AuditEntry.objects.filter(object_type="workforce.workerfile", object_id=str(opened.pk)).exists()
    assert f"新任网格员（{account.grid_name}）" not in client.get("/workforce/workers/new/").content.decode()


def test_open_file_bad_value_names_the_field_and_saves_nothing(login, node):
    from gridgov.workforce.models import WorkerFile

    account = _new_worker(node)
    client = login("huimin_admin")
    response = client.post(
        "/workforce/workers/new/", {"worker": account.pk, "hire_date": "2026-03-01", "grade": "13"}
    )
    assert response.status_code == 400
    assert "档次须为 1–12 的整数" in response.content.decode()
    response = client.post(
        "/workforce/workers/new/", {"worker": account.pk, "hire_date": "yesterday", "grade": "1"}
    )
    assert "入职日期格式应为 YYYY-MM-DD" in response.content.decode()
    assert not WorkerFile.objects.filter(user=account).exists()


def test_open_file_refuses_a_worker_outside_scope(login, node):
    from gridgov.workforce.models import WorkerFile

    account = _new_worker(node, "老缸房社区")
    client = login("huimin_admin")
    assert "新任网格员" not in client.get("/workforce/workers/new/").content.decode()
    response = client.post(
        "/workforce/workers/new/", {"worker": account.pk, "hire_date": "2026-03-01", "grade": "1"}
    )
    assert response.status_code == 400
    assert "请选择本辖区内尚未建档的专职网格员" in response.content.decode()
    assert not WorkerFile.objects.filter(user=account).exists()
    assert login("gaobo").get("/workforce/workers/new/").status_code == 404


def test_edit_file_saves_with_the_version_guard(login, worker_of):
    gaobo = worker_of("惠民社区第一网格")
    client = login("huimin_admin")
    assert (
        f"/workforce/workers/{gaobo.pk}/edit/"
        in client.get(f"/workforce/workers/{gaobo.pk}/").content.decode()
    )
    page = client.get(f"/workforce/workers/{gaobo.pk}/edit/")
    assert page.status_code == 200
    assert "****" in page.content.decode()
    form = {
        "version": gaobo.version,
        "name": "高波",
        "contract_kind": "dispatch",
        "contract_end": "2028-12-31",
    }
    saved = client.post(f"/workforce/workers/{gaobo.pk}/edit/", form)
    assert saved.status_code == 302
    gaobo.refresh_from_db()
    assert (gaobo.contract_kind, str(gaobo.contract_end)) == ("dispatch", "2028-12-31")
    assert gaobo.id_number_enc  # a blank ID number keeps the stored one
    stale = client.post(f"/workforce/workers/{gaobo.pk}/edit/", {**form, "contract_kind": "service"})
    assert stale.status_code == 409
    assert "已被他人修改" in stale.content.decode()
    gaobo.refresh_from_db()
    assert gaobo.contract_kind == "dispatch"


def test_edit_file_bad_value_names_the_field_and_outsiders_get_404(login, worker_of):
    gaobo = worker_of("惠民社区第一网格")
    client = login("huimin_admin")
    form = {"version": gaobo.version, "name": "高波", "contract_kind": "labour", "contract_end": "31/12/2028"}
    response = client.post(f"/workforce/workers/{gaobo.pk}/edit/", form)
    assert response.status_code == 400
    assert "合同到期日期格式应为 YYYY-MM-DD" in response.content.decode()
    bad_id = client.post(
        f"/workforce/workers/{gaobo.pk}/edit/", {**form, "contract_end": "", "id_number": "123"}
    )
    assert bad_id.status_code == 400
    assert 'id="id_id_number" name="id_number" value="123"' in bad_id.content.decode()
    assert WorkerFile.objects.get(pk=gaobo.pk).version == gaobo.version
    yaoxin = worker_of("老缸房社区第一网格")
    assert client.get(f"/workforce/workers/{yaoxin.pk}/edit/").status_code == 404
    assert login("gaobo").get(f"/workforce/workers/{gaobo.pk}/edit/").status_code == 404


def test_settings_forms_refuse_a_mangled_year_or_county(login, node):
    from gridgov.workforce.models import PayScale

    county = node("赛罕区")
    client = login("saihan_admin")
    before = PayScale.objects.count()
    response = client.post("/workforce/budget/pay/", {"county": county.pk, "year": "20x6", **_pay_form()})
    assert response.status_code == 400
    assert "年度须为四位数字" in response.content.decode()
    response = client.post("/workforce/budget/rates/", {"county": county.pk, "year": "99999", **RATES})
    assert response.status_code == 400
    assert "年度须在 2000–2100 之间" in response.content.decode()
    assert client.post("/workforce/budget/pay/", {"county": "abc", "year": 2026}).status_code == 404
    assert PayScale.objects.count() == before
