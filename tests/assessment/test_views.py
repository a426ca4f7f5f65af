"""Pages and API of the assessment: the list, the step forms, the worker's own result and appeal."""

from gridgov.assessment.models import Assessment, Status


def test_list_compute_and_propose_by_page(login, node):
    client = login("huimin_admin")
    huimin = node("惠民社区")
    done = client.post("/assessment/compute/", {"node": huimin.pk, "year": 2026}, follow=True)
    assert "已计算" in done.content.decode()
    a = Assessment.objects.filter(year=2026, worker__grid__name="惠民社区第一网格").get()
    page = client.get(f"/assessment/{a.pk}/").content.decode()
    assert "社区提出等次" in page
    assert "培训学时达标" in page  # the academy's hours, no longer pending
    assert "网格学院学时尚未接入" not in page
    client.post(
        f"/assessment/{a.pk}/propose/", {"version": a.version, "result": "qualified", "committee_score": "86"}
    )
    a.refresh_from_db()
    assert a.status == Status.PROPOSED
    listing = login("saihan_admin").get(f"/assessment/?node={node('赛罕区').pk}&year=2026").content.decode()
    assert "高波" in listing
    assert "优秀比例上限" in listing


def test_worker_sees_own_result_and_appeals_over_the_api(api):
    mine = api("gaobo").get("/api/v1/assessments?year=2025")
    assert mine.status_code == 200
    rows = mine.json()
    assert [r["worker_name"] for r in rows] == ["高波"]
    assert mine["Cache-Control"] == "no-store"
    appealed = api("gaobo").post(
        f"/api/v1/assessments/{rows[0]['id']}/appeal", {"reason": "请复核"}, content_type="application/json"
    )
    assert appealed.status_code == 200
    assert appealed.json()["status"] == "appealed"
    again = api("gaobo").post(
        f"/api/v1/assessments/{rows[0]['id']}/appeal", {"reason": "再次"}, content_type="application/json"
    )
    assert again.status_code == 409
    outsider = api("laogangfang_worker").get(f"/api/v1/assessments/{rows[0]['id']}")
    assert outsider.status_code == 404


def test_worker_page_offers_the_appeal_once(login):
    a = Assessment.objects.get(worker__grid__name="惠民社区第一网格", year=2025)
    client = login("gaobo")
    assert "提交申诉" in client.get(f"/assessment/{a.pk}/").content.decode()
    client.post(f"/assessment/{a.pk}/appeal/", {"reason": "请复核"})
    assert "提交申诉" not in client.get(f"/assessment/{a.pk}/").content.decode()
