"""The care API as the phone uses it: a visit retried with its key is stored once, a changed
body under the same key is refused, due lists and stale lists are scoped and never cached."""

import json
import uuid

from gridgov.care.models import CareSchedule, HomeVisit


def _post(client, url, body, key=None):
    return client.post(
        url,
        json.dumps(body),
        content_type="application/json",
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def test_a_visit_resent_after_a_lost_answer_is_stored_once(api, tagged):
    resident = tagged(["alone"])
    client = api("gaobo")
    body = {"resident_id": resident.pk, "method": "in_person", "found": "一切正常"}
    first = _post(client, "/api/v1/care/visits", body, key="visit-1")
    assert first.status_code == 201, first.content
    again = _post(client, "/api/v1/care/visits", body, key="visit-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert HomeVisit.objects.filter(resident=resident).count() == 1
    changed = _post(client, "/api/v1/care/visits", body | {"found": "不同"}, key="visit-1")
    assert changed.status_code == 409
    assert first["Cache-Control"] == "no-store"


def test_bad_input_is_a_400_naming_the_field(api, tagged):
    resident = tagged(["alone"])
    answer = _post(
        api("gaobo"), "/api/v1/care/visits", {"resident_id": resident.pk, "method": "fax", "found": "x"}
    )
    assert answer.status_code == 400
    assert "method" in answer.json()["errors"]
    assert _post(api("gaobo"), "/api/v1/care/visits", {"method": "phone"}).status_code in {400, 422}


def test_outsiders_get_404(api, tagged):
    resident = tagged(["alone"])
    answer = _post(
        api("laogangfang_worker"),
        "/api/v1/care/visits",
        {"resident_id": resident.pk, "method": "phone", "found": "x"},
    )
    assert answer.status_code == 404
    assert not HomeVisit.objects.filter(resident=resident).exists()


def test_my_due_list(api, tagged):
    resident = tagged(["alone"])
    answer = api("gaobo").get("/api/v1/care/due")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    items = answer.json()["items"]
    assert resident.pk in {i["resident_id"] for i in items}
    assert [i["next_due"] for i in items] == sorted(i["next_due"] for i in items)
    assert api("laogangfang_worker").get("/api/v1/care/due").json()["items"] == [] or resident.pk not in {
        i["resident_id"] for i in api("laogangfang_worker").get("/api/v1/care/due").json()["items"]
    }


def test_due_summary_and_stale_list(api, node):
    summary = api("huimin_admin").get(f"/api/v1/care/due/summary?node_id={node('惠民社区').pk}").json()
    assert {r["name"] for r in summary["rows"]} >= {"惠民社区第一网格"}
    assert (
        api("laogangfang_worker").get(f"/api/v1/care/due/summary?node_id={node('惠民社区').pk}").status_code
        == 404
    )
    stale = api("gaobo").get(f"/api/v1/care/stale?node_id={node('惠民社区第一网格').pk}")
    assert stale.status_code == 200
    assert api("gaobo").get("/api/v1/care/stale?days=0").status_code == 400


def test_verify_a_household(api, household):
    answer = api("gaobo").post(
        f"/api/v1/households/{household.pk}/verify", headers={"Idempotency-Key": "v-1"}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["source"] == "check"


def test_the_phone_syncs_its_grid_schedules(api, tagged):
    resident = tagged(["alone"])
    body = api("gaobo").get("/api/v1/sync").json()
    records = []
    while True:
        records += [r for r in body["records"] if r["kind"] == "visit_due"]
        if not body.get("more"):
            break
        body = api("gaobo").get(f"/api/v1/sync?since={body['cursor']}").json()
    schedule = CareSchedule.objects.get(resident=resident)
    assert schedule.pk in {r["id"] for r in records}
