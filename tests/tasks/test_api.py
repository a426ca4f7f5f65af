"""The tasks API: issue, admission, the worker's list, completing with photos and a retried key."""

import json
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.tasks.models import TaskAssignment, TaskPhoto

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _issue(client, node_id, duty):
    body = {
        "node_id": node_id,
        "title": "入户核查出租房",
        "duty": duty,
        "deadline": (timezone.now() + timedelta(days=2)).isoformat(),
    }
    return client.post("/api/v1/tasks", json.dumps(body), content_type="application/json")


def test_issue_decide_list_and_complete(api, login, node):
    grid = node("惠民社区第一网格")
    held = _issue(api("zhaowuda_admin"), grid.pk, "")
    assert held.status_code == 201, held.content
    assert held.json()["admission"] == "pending"
    assert held.json()["id"] not in {t["task_id"] for t in api("gaobo").get("/api/v1/tasks/mine").json()}
    county = login("saihan_admin")
    assert held.json()["id"] in {t["id"] for t in county.get("/api/v1/tasks/admission").json()}
    decided = county.post(
        f"/api/v1/tasks/{held.json()['id']}/admission",
        json.dumps({"approve": True, "reason": "同意"}),
        content_type="application/json",
    )
    assert decided.status_code == 200, decided.content
    mine = api("gaobo").get("/api/v1/tasks/mine").json()
    item = next(t for t in mine if t["task_id"] == held.json()["id"])
    url = f"/api/v1/task-assignments/{item['id']}/complete"
    client = api("gaobo")
    first = client.post(
        url,
        {"result": "已核查 5 户", "photos": [SimpleUploadedFile("a.png", PNG)]},
        headers={"Idempotency-Key": "done-1"},
    )
    assert first.status_code == 200, first.content
    again = client.post(url, {"result": "已核查 5 户"}, headers={"Idempotency-Key": "done-2"})
    assert again.status_code == 409
    assignment = TaskAssignment.objects.get(pk=item["id"])
    assert assignment.state == "done"
    assert TaskPhoto.objects.filter(assignment=assignment).count() == 1


def test_a_completion_resent_with_its_key_is_replayed(api, node):
    created = _issue(api("huimin_admin"), node("惠民社区第一网格").pk, "publicity").json()
    item = next(t for t in api("gaobo").get("/api/v1/tasks/mine").json() if t["task_id"] == created["id"])
    client = api("gaobo")
    url = f"/api/v1/task-assignments/{item['id']}/complete"
    first = client.post(url, {"result": "完成"}, headers={"Idempotency-Key": "same"})
    second = client.post(url, {"result": "完成"}, headers={"Idempotency-Key": "same"})
    assert (first.status_code, second.status_code) == (200, 200)
    assert second["Idempotent-Replayed"] == "true"


def test_outsiders_and_bad_input(api, node):
    assert _issue(api("laogangfang_worker"), node("惠民社区").pk, "publicity").status_code in {403, 404}
    bad = api("huimin_admin").post(
        "/api/v1/tasks",
        json.dumps(
            {
                "node_id": node("惠民社区").pk,
                "title": "x",
                "duty": "nope",
                "deadline": (timezone.now() + timedelta(days=1)).isoformat(),
            }
        ),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "duty" in bad.json()["errors"]
    assert (
        api("huimin_admin")
        .get(f"/api/v1/tasks/burden?node_id={node('惠民社区').pk}&month=2026-13")
        .status_code
        == 400
    )
