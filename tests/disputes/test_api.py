"""The disputes API as a phone uses it: report with Idempotency-Key, read (masked, audited),
scoping (outsiders get 404), team, visits, outcome, risk override, bad input."""

import json
import uuid

import pytest

from gridgov.audit.models import Action, AuditEntry
from gridgov.disputes.models import Dispute


def _body(med, **extra):
    body = {
        "category": "dispute.neighbour",
        "dispute_type": "neighbour",
        "description": "两户因装修噪音吵架",
        "lng": med.grid.lng,
        "lat": med.grid.lat,
        "address": f"接口测试楼{next(med.addresses)}",
        "parties": [
            {"name": "甲先生", "phone": "13904712001", "role": "applicant"},
            {"name": "乙女士", "role": "respondent"},
        ],
    }
    return body | extra


def _post(client, url, body, **headers):
    headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def test_report_and_retry_with_the_same_key_make_one_dispute(med, api):
    client = api("gaobo")
    body = _body(med)
    first = _post(client, "/api/v1/disputes", body, **{"Idempotency-Key": "phone-1"})
    assert first.status_code == 201, first.content
    again = _post(client, "/api/v1/disputes", body, **{"Idempotency-Key": "phone-1"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Dispute.objects.filter(pk=first.json()["id"]).count() == 1
    changed = _post(
        client, "/api/v1/disputes", body | {"description": "另一件事"}, **{"Idempotency-Key": "phone-1"}
    )
    assert changed.status_code == 409


def test_phones_are_masked_for_everyone_until_an_audited_reveal(med, api, login):
    """One rule for every sensitive field: masked everywhere; in full only through an explicit,
    audited reveal by a role that may (as in the registry)."""
    created = _post(api("gaobo"), "/api/v1/disputes", _body(med)).json()
    url = f"/api/v1/disputes/{created['id']}"
    for party in created["parties"]:
        assert "*" in party["phone"] or not party["phone"]
    assert created["parties"][0]["phone"] == "139****2001"
    assert created["parties"][0]["phone_masked"]
    full = api("gaobo").get(url, {"reveal": "phone"}).json()["parties"][0]
    assert full["phone"] == "13904712001"
    assert not full["phone_masked"]
    masked = api("huimin_volunteer").get(url).json()["parties"][0]
    assert masked["phone"] == "139****2001"
    assert api("huimin_volunteer").get(url, {"reveal": "phone"}).status_code == 403
    assert api("gaobo").get(url, {"reveal": "id_number"}).status_code == 400
    reads = AuditEntry.objects.filter(
        action=Action.READ_SENSITIVE, object_type="disputes.dispute", object_id=str(created["id"])
    )
    assert reads.filter(actor_name="gaobo", message__contains="clear phones").exists()
    assert reads.filter(actor_name="gaobo", message__contains="masked").exists()
    assert reads.filter(actor_name="huimin_volunteer", message__contains="masked").exists()
    # The page: masked, with a button that reveals (POST) and is audited.
    client = login("gaobo")
    page = client.get(f"/disputes/{created['id']}/").content.decode()
    assert "13904712001" not in page
    assert "139****2001" in page
    assert "显示完整电话" in page
    revealed = client.post(f"/disputes/{created['id']}/parties/reveal/").content.decode()
    assert "13904712001" in revealed
    assert "显示完整电话" not in login("huimin_volunteer").get(f"/disputes/{created['id']}/").content.decode()
    assert login("huimin_volunteer").post(f"/disputes/{created['id']}/parties/reveal/").status_code == 403


@pytest.mark.parametrize("username", ["laogangfang_worker", "heating_staff"])
def test_outsiders_get_404_and_the_attempt_is_logged(med, api, login, username):
    dispute = med.report()
    for client, url in [
        (api(username), f"/api/v1/disputes/{dispute.pk}"),
        (login(username), f"/disputes/{dispute.pk}/"),
        (api(username), f"/api/v1/disputes/{dispute.pk}/team/candidates"),
    ]:
        assert client.get(url).status_code == 404, url
    response = _post(
        api(username), f"/api/v1/disputes/{dispute.pk}/risk", {"level": "low", "reason": "越权尝试"}
    )
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action=Action.DENIED, object_type="disputes.dispute", object_id=str(dispute.pk), actor_name=username
    ).exists()
    assert dispute.pk not in [d["id"] for d in api(username).get("/api/v1/disputes").json()["items"]]


def test_list_is_scoped_and_most_serious_first(med, api):
    med.report("口角")
    med.report("要去打死他")
    items = api("huimin_admin").get("/api/v1/disputes?state=open").json()["items"]
    ranks = ["low", "medium", "high", "critical"]
    levels = [ranks.index(i["risk_level"]) for i in items]
    assert levels == sorted(levels, reverse=True)
    assert all(i["grid_name"].startswith("惠民社区") for i in items)
    high = api("huimin_admin").get("/api/v1/disputes?risk=high%2B").json()["items"]
    assert high
    assert all(i["risk_level"] in ("high", "critical") for i in high)


def test_team_visit_outcome_and_override_through_the_api(med, api):
    client = api("gaobo")
    created = _post(client, "/api/v1/disputes", _body(med)).json()
    url = f"/api/v1/disputes/{created['id']}"
    candidates = client.get(f"{url}/team/candidates").json()["items"]
    mediator = next(c for c in candidates if c["role"] == "mediator")
    assert _post(client, f"{url}/team", {"user_id": mediator["user"]["id"]}).status_code == 200
    assert _post(client, f"{url}/team", {"username": "heating_staff"}).status_code == 400
    assert _post(client, f"{url}/team", {"username": "nobody_here"}).status_code == 404
    ids = [m["user"]["id"] for m in client.get(url).json()["team"]]
    visit = _post(
        client,
        f"{url}/visits",
        {"visited_at": "2026-01-01T10:00:00+08:00", "visitor_ids": ids, "summary": "走访"},
    )
    assert visit.status_code == 400
    assert "visited_at" in visit.json()["errors"]
    from django.utils import timezone

    ok = _post(
        client,
        f"{url}/visits",
        {"visited_at": timezone.now().isoformat(), "visitor_ids": ids, "summary": "联合走访，双方情绪平稳"},
    )
    assert ok.status_code == 201
    assert len(ok.json()["visits"]) == 1
    bad = _post(client, f"{url}/risk", {"level": "high", "reason": ""})
    assert bad.status_code == 400
    assert "reason" in bad.json()["errors"]
    raised = _post(client, f"{url}/risk", {"level": "high", "reason": "一方有酒后滋事记录"})
    assert raised.status_code == 200
    assert raised.json()["risk_level"] == "high"
    outcome = _post(
        client, f"{url}/outcome", {"outcome": "agreement", "terms": "双方签订调解协议", "follow_up_days": 7}
    )
    assert outcome.status_code == 200
    assert outcome.json()["outcome"] == "agreement"
    assert _post(client, f"{url}/outcome", {"outcome": "agreement", "terms": "再来一次"}).status_code == 409
    actions = [s["action"] for s in client.get(url).json()["timeline"]]
    for action in [
        "report",
        "dispute_registered",
        "dispute_team",
        "dispute_visit",
        "dispute_risk_override",
        "dispute_alert",
        "dispute_outcome",
    ]:
        assert action in actions


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "heating.pipe_burst"}, "category"),
        ({"dispute_type": "feud"}, "dispute_type"),
        ({"description": ""}, "description"),
        ({"lng": 0.0, "lat": 0.0}, "location"),
        ({"parties": [{"name": "甲", "phone": "110"}]}, "parties"),
    ],
)
def test_bad_input_is_400_naming_the_field(med, api, change, field):
    before = Dispute.objects.count()
    response = _post(api("gaobo"), "/api/v1/disputes", _body(med, **change))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Dispute.objects.count() == before


def test_reporting_in_a_grid_outside_scope_is_403(med, api, node):
    body = _body(med, lng=None, lat=None, grid_id=node("老缸房社区第一网格").pk)
    assert _post(api("gaobo"), "/api/v1/disputes", body).status_code == 404
    outside = node("老缸房社区第一网格")
    body = _body(med, lng=outside.lng, lat=outside.lat)
    assert _post(api("gaobo"), "/api/v1/disputes", body).status_code == 403


def test_phones_must_send_an_idempotency_key(med, api):
    response = api("gaobo").post("/api/v1/disputes", json.dumps(_body(med)), content_type="application/json")
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]


def test_anonymous_requests_are_401(client):
    assert client.get("/api/v1/disputes").status_code == 401
