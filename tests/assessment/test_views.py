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


# --- the county's scheme: weights, committee share and the cap on 优秀 ----------------------------

SCHEME = {
    "weight_patrol_coverage": "10",
    "weight_visits_on_time": "10",
    "weight_events_handled": "15",
    "weight_data_freshness": "10",
    "weight_task_completion": "5",
    "weight_inspection_score": "10",
    "weight_training_hours": "5",
    "weight_satisfaction": "15",
    "committee_weight": "20",
    "excellent_cap": "15",
}


def test_scheme_form_renders_linked_and_saves_audited(login, node):
    from gridgov.assessment.models import AssessmentScheme
    from gridgov.audit.models import AuditEntry

    county = node("赛罕区")
    client = login("saihan_admin")
    listing = client.get(f"/assessment/?node={county.pk}&year=2026").content.decode()
    assert "/assessment/scheme/" in listing
    page = client.get(f"/assessment/scheme/?county={county.pk}&year=2026")
    assert page.status_code == 200
    text = page.content.decode()
    assert "巡查覆盖率权重" in text
    assert "优秀比例上限" in text
    assert "no-store" in page["Cache-Control"]
    before = AssessmentScheme.objects.get(county_code=county.county_code, year=2026)
    saved = client.post(
        "/assessment/scheme/", {"county": county.pk, "year": 2026, "version": before.version, **SCHEME}
    )
    assert saved.status_code == 302
    scheme = AssessmentScheme.objects.get(county_code=county.county_code, year=2026)
    assert str(scheme.committee_weight) == "0.200"
    assert str(scheme.excellent_cap) == "0.150"
    assert scheme.weights["satisfaction"] == 0.15
    assert scheme.version == before.version + 1
    entry = AuditEntry.objects.filter(object_type="assessment.assessmentscheme", object_id=str(scheme.pk))
    assert entry.filter(message__contains="assessment scheme 2026 set").exists()
    stale = client.post(
        "/assessment/scheme/", {"county": county.pk, "year": 2026, "version": before.version, **SCHEME}
    )
    assert stale.status_code == 409
    assert "已被他人修改" in stale.content.decode()
    created = client.post("/assessment/scheme/", {"county": county.pk, "year": 2032, **SCHEME})
    assert created.status_code == 302
    assert AssessmentScheme.objects.filter(county_code=county.county_code, year=2032).exists()


def test_scheme_bad_values_name_the_field_and_save_nothing(login, node):
    from gridgov.assessment.models import AssessmentScheme

    county = node("赛罕区")
    client = login("saihan_admin")
    for bad, message in (
        ({"weight_events_handled": "-5"}, "事件办结率权重须在 0–100% 之间"),
        ({"weight_events_handled": "abc"}, "事件办结率权重须为 0–100 的数字"),
        ({"excellent_cap": "120"}, "优秀比例上限须在 0–100% 之间"),
        ({"committee_weight": "30"}, "合计须为 100%"),
        (
            {**{k: "0" for k in SCHEME if k.startswith("weight_")}, "committee_weight": "99"},
            "指标权重不能全为 0",
        ),
    ):
        response = client.post("/assessment/scheme/", {"county": county.pk, "year": 2033, **SCHEME, **bad})
        assert response.status_code == 400, bad
        assert message in response.content.decode(), bad
        assert not AssessmentScheme.objects.filter(county_code=county.county_code, year=2033).exists()
    zero = {**{k: "0" for k in SCHEME if k.startswith("weight_")}, "committee_weight": "100"}
    response = client.post("/assessment/scheme/", {"county": county.pk, "year": 2033, **SCHEME, **zero})
    assert response.status_code == 400
    assert "考核委员会评分权重须在 0–99% 之间" in response.content.decode()


def test_scheme_form_is_404_outside_scope(login, node):
    from gridgov.hierarchy.models import Level, Node

    county = node("赛罕区")
    assert login("huimin_admin").get(f"/assessment/scheme/?county={county.pk}").status_code == 404
    assert login("huimin_admin").get("/assessment/scheme/").status_code == 404
    posted = login("huimin_admin").post("/assessment/scheme/", {"county": county.pk, "year": 2026, **SCHEME})
    assert posted.status_code == 404
    listing = login("huimin_admin").get("/assessment/").content.decode()
    assert "/assessment/scheme/" not in listing
    other = Node.objects.filter(level=Level.COUNTY).exclude(pk=county.pk).first()
    if other is not None:
        assert login("saihan_admin").get(f"/assessment/scheme/?county={other.pk}").status_code == 404


def test_set_scheme_service_refuses_a_township_and_an_outsider(node):
    import pytest
    from django.core.exceptions import PermissionDenied, ValidationError

    from gridgov.accounts.models import User
    from gridgov.assessment.services import set_scheme

    values = {
        "weights": {k[len("weight_") :]: v for k, v in SCHEME.items() if k.startswith("weight_")},
        "committee_weight": SCHEME["committee_weight"],
        "excellent_cap": SCHEME["excellent_cap"],
    }
    county_admin = User.objects.get(username="saihan_admin")
    with pytest.raises(ValidationError):
        set_scheme(user=county_admin, county=node("昭乌达南路街道"), year=2034, **values)
    with pytest.raises(PermissionDenied):
        set_scheme(user=User.objects.get(username="huimin_admin"), county=node("赛罕区"), year=2034, **values)
    with pytest.raises(ValidationError) as bad:
        set_scheme(user=county_admin, county=node("赛罕区"), year=2034, **{**values, "weights": {"x": "5"}})
    assert "weight_x" in bad.value.message_dict
