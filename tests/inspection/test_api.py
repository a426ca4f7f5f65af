"""The inspection API: a plan with a random draw, scoring with a stale version, a finding with a
photo, the worker's rectifications and report (a retried key replayed, a second report refused),
the re-inspection, scores; bad input named, pages bounded, other places hidden."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.inspection import services
from gridgov.inspection.models import InspectionPhoto, Rectification
from tests.inspection.photos import tiny_png


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def _plan(client, node, user, **extra):
    today = timezone.localdate()
    body = {
        "node_id": node("赛罕区").pk,
        "title": "API 抽查",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "inspector_ids": [user("saihan_admin").pk],
        **extra,
    }
    return _post(client, "/api/v1/inspection/plans", body)


def test_a_plan_with_a_draw_and_its_refusals(api, node, user):
    county = api("saihan_admin")
    made = _plan(county, node, user, draw_count=3, draw_seed=7)
    assert made.status_code == 201, made.content
    plan = made.json()
    assert plan["draw_seed"] == 7
    assert len(plan["visits"]) == 3
    again = _plan(county, node, user, draw_count=3, draw_seed=7).json()
    assert {v["grid_id"] for v in again["visits"]} == {v["grid_id"] for v in plan["visits"]}
    bad = _plan(county, node, user, draw_count=3, grid_ids=[node("惠民社区第一网格").pk])
    assert bad.status_code == 400
    assert "grid_ids" in bad.json()["errors"]
    assert _plan(county, node, user, draw_count=0).status_code == 400
    assert _plan(county, node, user, draw_seed=-1, draw_count=1).status_code == 400
    assert _plan(api("gaobo"), node, user, draw_count=1).status_code in {403, 404}
    listed = county.get("/api/v1/inspection/plans?limit=500")
    assert listed.status_code == 400
    assert plan["id"] in {p["id"] for p in county.get("/api/v1/inspection/plans").json()}
    assert api("laogangfang_worker").get(f"/api/v1/inspection/plans/{plan['id']}").status_code == 404
    assert len(county.get("/api/v1/inspection/checklist").json()) == 20


def test_scoring_findings_and_the_rectification_round_trip(api, node, user):
    county = api("saihan_admin")
    plan = _plan(county, node, user, grid_ids=[node("惠民社区第一网格").pk]).json()
    visit = plan["visits"][0]
    items = county.get("/api/v1/inspection/checklist").json()
    points = {str(i["id"]): i["max_points"] for i in items}
    url = f"/api/v1/inspection/visits/{visit['id']}/score"
    wrong = _post(county, url, {"points": {**points, str(items[0]["id"]): 99}})
    assert wrong.status_code == 400
    assert f"points_{items[0]['id']}" in wrong.json()["errors"]
    scored = _post(county, url, {"points": points, "version": visit["version"]})
    assert scored.status_code == 200
    assert scored.json()["score"] == 100.0
    stale = _post(county, url, {"points": points, "version": visit["version"]})
    assert stale.status_code == 412
    finding = county.post(
        f"/api/v1/inspection/visits/{visit['id']}/findings",
        {"description": "楼道堆物", "photos": [SimpleUploadedFile("a.png", tiny_png())]},
    )
    assert finding.status_code == 201, finding.content
    assert len(finding.json()["photos"]) == 1
    deadline = (timezone.now() + timedelta(days=5)).isoformat()
    made = _post(
        county,
        f"/api/v1/inspection/findings/{finding.json()['id']}/rectification",
        {"requirement": "清理楼道", "deadline": deadline},
    )
    assert made.status_code == 201, made.content
    rect_id = made.json()["id"]
    worker = api("gaobo")
    assert rect_id in {r["id"] for r in worker.get("/api/v1/inspection/rectifications/mine").json()}
    report_url = f"/api/v1/inspection/rectifications/{rect_id}/report"
    empty = worker.post(report_url, {"text": ""}, headers={"Idempotency-Key": "r-0"})
    assert empty.status_code == 400
    assert "text" in empty.json()["errors"]
    first = worker.post(report_url, {"text": "已清理"}, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == 200, first.content
    replay = worker.post(report_url, {"text": "已清理"}, headers={"Idempotency-Key": "r-1"})
    assert replay.status_code == 200
    assert replay.json() == first.json()
    second = worker.post(report_url, {"text": "已清理"}, headers={"Idempotency-Key": "r-2"})
    assert second.status_code == 409
    assert Rectification.objects.get(pk=rect_id).steps.filter(kind="reported").count() == 1
    outsider = api("laogangfang_worker").post(report_url, {"text": "x"}, headers={"Idempotency-Key": "o"})
    assert outsider.status_code == 404
    review_url = f"/api/v1/inspection/rectifications/{rect_id}/review"
    assert _post(worker, review_url, {"accept": True}).status_code == 403
    no_reason = _post(county, review_url, {"accept": False})
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]
    back = _post(county, review_url, {"accept": False, "reason": "仍有杂物"})
    assert back.json()["state"] == "open"
    assert back.json()["last_reason"] == "仍有杂物"
    worker.post(report_url, {"text": "已全部清理"}, headers={"Idempotency-Key": "r-3"})
    closed = _post(county, review_url, {"accept": True})
    assert closed.json()["state"] == "closed"
    detail = county.get(f"/api/v1/inspection/rectifications/{rect_id}").json()
    assert [s["kind"] for s in detail["steps"]] == ["issued", "reported", "rejected", "reported", "accepted"]


def test_lists_and_scores_are_scoped_and_bounded(api, node):
    county = api("saihan_admin")
    rows = county.get("/api/v1/inspection/rectifications?limit=5")
    assert rows.status_code == 200
    assert len(rows.json()) >= 1
    assert county.get("/api/v1/inspection/rectifications?state=nonsense").status_code == 400
    assert county.get("/api/v1/inspection/rectifications?offset=-1").status_code == 400
    assert api("laogangfang_worker").get("/api/v1/inspection/rectifications").json() == []
    scores = county.get(f"/api/v1/inspection/scores?node_id={node('赛罕区').pk}")
    assert scores.status_code == 200
    assert any(g["mean"] is not None for g in scores.json()["grids"])
    bad = county.get(f"/api/v1/inspection/scores?node_id={node('赛罕区').pk}&start=2026-05-01&end=2026-01-01")
    assert bad.status_code == 400
    assert "end" in bad.json()["errors"]
    hidden = api("laogangfang_worker").get(f"/api/v1/inspection/scores?node_id={node('赛罕区').pk}")
    assert hidden.status_code == 404


def test_photos_are_served_only_inside_scope(login, user):
    finding = Rectification.objects.get(state="open", grid__name="惠民社区第一网格").finding
    services.add_finding(
        user=user("zhaowuda_admin"), visit=finding.visit, description="堆物", photos=[tiny_png()]
    )
    photo = InspectionPhoto.objects.filter(finding__visit=finding.visit).get()
    url = f"/inspection/photos/{photo.pk}/"
    inside = login("zhaowuda_admin").get(url)
    assert inside.status_code == 200
    assert inside["Content-Type"] == "image/png"
    assert "no-store" in inside["Cache-Control"]
    assert login("laogangfang_worker").get(url).status_code == 404
    with pytest.raises(ValueError, match="no public URL"):
        photo.image.url  # noqa: B018


def test_ids_the_database_cannot_hold_are_refused_not_errors(api, node, user):
    county = api("saihan_admin")
    huge = 10**20
    assert _plan(county, node, user, inspector_ids=[huge], draw_count=1).status_code == 400
    assert _plan(county, node, user, grid_ids=[huge]).status_code == 400
    assert county.get(f"/api/v1/inspection/plans/{huge}").status_code in {400, 404}
    visit = _plan(county, node, user, grid_ids=[node("惠民社区第一网格").pk]).json()["visits"][0]
    found = county.post(
        f"/api/v1/inspection/visits/{visit['id']}/findings", {"description": "x", "item_id": huge}
    )
    assert found.status_code == 400
