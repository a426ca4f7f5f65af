"""The workforce API: masked files, own file, the promotion run's states and the budget."""

from gridgov.hierarchy.models import Node
from gridgov.workforce.models import WorkerFile


def test_worker_file_is_masked_and_not_stored(api, worker_of):
    gaobo = worker_of("惠民社区第一网格")
    response = api("huimin_admin").get(f"/api/v1/workforce/workers/{gaobo.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert response["Cache-Control"] == "no-store"
    assert "*" in body["id_number"]
    assert len(body["id_number"]) == 18
    assert body["phone"][3:7] == "****"
    assert [a["year"] for a in body["assessments"]] == [2026, 2025, 2024, 2023]
    assert api("laogangfang_worker").get(f"/api/v1/workforce/workers/{gaobo.pk}").status_code == 404


def test_the_worker_reads_their_own_file_only(api, worker_of):
    me = api("gaobo").get("/api/v1/workforce/me")
    assert me.status_code == 200
    assert me.json()["name"] == "高波"
    other = worker_of("惠民社区第二网格")
    assert api("gaobo").get(f"/api/v1/workforce/workers/{other.pk}").status_code == 404
    assert [w["name"] for w in api("gaobo").get("/api/v1/workforce/workers").json()] == ["高波"]
    assert api("huimin_admin").get("/api/v1/workforce/me").status_code == 404


def test_run_preview_approve_over_the_api(api, node):
    client = api("saihan_admin")
    created = client.post(
        "/api/v1/workforce/promotion-runs",
        {"county_id": node("赛罕区").pk, "assessment_year": 2025},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    run = created.json()
    assert len(run["lines"]) == 12
    assert all(line["reason"] for line in run["lines"])
    again = client.post(
        "/api/v1/workforce/promotion-runs",
        {"county_id": node("赛罕区").pk, "assessment_year": 2025},
        content_type="application/json",
    )
    assert again.status_code == 409
    stale = client.post(
        f"/api/v1/workforce/promotion-runs/{run['id']}/approve",
        {"version": 99},
        content_type="application/json",
    )
    assert stale.status_code == 412
    township = api("zhaowuda_admin").post(
        f"/api/v1/workforce/promotion-runs/{run['id']}/approve", {}, content_type="application/json"
    )
    assert township.status_code in {403, 404}
    approved = client.post(
        f"/api/v1/workforce/promotion-runs/{run['id']}/approve",
        {"version": run["version"]},
        content_type="application/json",
    )
    assert approved.status_code == 200
    assert approved.json()["status"] == "applied"
    moved = {line["worker_id"]: line["grade_after"] for line in run["lines"] if line["step"]}
    assert dict(WorkerFile.objects.filter(pk__in=moved).values_list("pk", "grade")) == moved


def test_bad_year_is_a_400_naming_the_field(api, node):
    response = api("saihan_admin").post(
        "/api/v1/workforce/promotion-runs",
        {"county_id": node("赛罕区").pk, "assessment_year": 1800},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "assessment_year" in response.content.decode()


def test_budget_and_what_if(api, node):
    county = node("赛罕区")
    base = api("saihan_admin").get(f"/api/v1/workforce/budget?county_id={county.pk}&year=2026").json()
    assert base["headcount"] == 12
    higher = (
        api("saihan_admin")
        .get(f"/api/v1/workforce/budget?county_id={county.pk}&year=2026&base_floor=6000&base_ceiling=30000")
        .json()
    )
    assert float(higher["annual_employer"]) > float(base["annual_employer"])
    assert higher["annual_pay"] == base["annual_pay"]
    bad = api("saihan_admin").get(f"/api/v1/workforce/budget?county_id={county.pk}&year=2026&injury_rate=2")
    assert bad.status_code == 400
    assert "injury_rate" in bad.content.decode()
    township = Node.objects.get(name="昭乌达南路街道")
    assert (
        api("saihan_admin").get(f"/api/v1/workforce/budget?county_id={township.pk}&year=2026").status_code
        == 400
    )
    assert (
        api("huimin_admin").get(f"/api/v1/workforce/budget?county_id={county.pk}&year=2026").status_code
        == 404
    )
