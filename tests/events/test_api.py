"""The events API as a phone uses it: bearer token, Idempotency-Key, JSON or multipart."""

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.events.models import Event, State


def _body(story: Any, **extra: Any) -> dict[str, Any]:
    return {
        "category": "heating.pipe_burst",
        "description": "API测试：6号楼地下室供热管道爆裂",
        "lng": story.grid.lng,
        "lat": story.grid.lat,
        **extra,
    }


def _post(client: Any, body: dict[str, Any], key: str | None = "k-1") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/events", json.dumps(body), content_type="application/json", headers=headers)


def test_report_and_retry(story: Any, api: Any) -> None:
    phone = api("gaobo")
    created = _post(phone, _body(story))
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["state"] == "reported"
    assert data["grid_name"] == "惠民社区第一网格"
    assert data["timeline"][0]["action"] == "report"
    assert data["handling_node_name"] == "惠民社区"
    assert isinstance(data["duplicates"], list)

    retry = _post(phone, _body(story))
    assert retry.status_code == 200
    assert retry.json()["id"] == data["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    # The same report serialised differently is still the same body.
    reordered = phone.post(
        "/api/v1/events",
        json.dumps(dict(reversed(list(_body(story).items())))),
        content_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert reordered.status_code == 200

    conflict = _post(phone, _body(story, description="另一件事"))
    assert conflict.status_code == 409
    assert "Idempotency-Key" in conflict.json()["detail"]
    assert Event.objects.filter(reporter=story["gaobo"], description__contains="API测试").count() == 1


def test_phones_must_send_an_idempotency_key(story: Any, api: Any, login: Any) -> None:
    response = _post(api("gaobo"), _body(story), key=None)
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    # A browser session may omit it.
    assert _post(login("gaobo"), _body(story), key=None).status_code == 201


def test_report_with_photos_multipart(story: Any, api: Any, images: Any) -> None:
    phone = api("gaobo")
    response = phone.post(
        "/api/v1/events",
        {
            "category": "fire.exit_blocked",
            "description": "消防通道堵塞",
            "lng": story.grid.lng,
            "lat": story.grid.lat,
            "photos": [
                SimpleUploadedFile("a.jpg", images["jpeg"], "image/jpeg"),
                SimpleUploadedFile("b.png", images["png"], "image/png"),
            ],
        },
        headers={"Idempotency-Key": "mp-1"},
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["photos"]) == 2
    bad = phone.post(
        "/api/v1/events",
        {
            "category": "fire.exit_blocked",
            "description": "消防通道堵塞",
            "lng": story.grid.lng,
            "lat": story.grid.lat,
            "photos": [SimpleUploadedFile("a.jpg", b"not really a jpeg", "image/jpeg")],
        },
        headers={"Idempotency-Key": "mp-2"},
    )
    assert bad.status_code == 400
    assert "photos" in bad.json()["errors"]


def test_bad_reports(story: Any, api: Any, node: Any) -> None:
    phone = api("gaobo")
    before = Event.objects.count()
    cases = [
        (_body(story, category="nonsense"), 400, "category"),
        (_body(story, lng=116.4, lat=39.9), 400, "location"),  # Beijing
        (_body(story, description=""), 400, "description"),
        (_body(story, lng="east"), 400, "lng"),
    ]
    for n, (body, status, field) in enumerate(cases):
        response = _post(phone, body, key=f"bad-{n}")
        assert response.status_code == status, (body, response.content)
        assert field in response.json()["errors"]
        assert response.json()["detail"]
    other = node("惠民社区第二网格")
    denied = _post(phone, _body(story, lng=other.lng, lat=other.lat), key="bad-scope")
    assert denied.status_code == 403
    assert "惠民社区第二网格" in denied.json()["detail"]
    broken = phone.post(
        "/api/v1/events",
        "{not json",
        content_type="application/json",
        headers={"Idempotency-Key": "bad-json"},
    )
    assert broken.status_code == 400
    assert Event.objects.count() == before


def test_list_filters_order_and_paging(story: Any, api: Any) -> None:
    overdue = story.report()
    Event.objects.filter(pk=overdue.pk).update(overdue=True)
    story.report("water.leak", "漏水")
    client = api("huimin_admin")
    page = client.get("/api/v1/events", {"limit": 5}).json()
    assert page["items"][0]["overdue"] is True
    assert page["limit"] == 5
    assert page["next_offset"] == 5
    second = client.get("/api/v1/events", {"limit": 5, "offset": 5}).json()
    assert {i["id"] for i in second["items"]}.isdisjoint({i["id"] for i in page["items"]})
    water = client.get("/api/v1/events", {"category": "water.leak", "state": "reported", "limit": 100}).json()
    assert water["items"]
    assert all(i["category"] == "water.leak" and i["state"] == "reported" for i in water["items"])
    only_overdue = client.get("/api/v1/events", {"overdue": "true", "limit": 100}).json()["items"]
    assert all(i["overdue"] for i in only_overdue)
    assert overdue.pk in {i["id"] for i in only_overdue}
    found = client.get("/api/v1/events", {"q": overdue.number}).json()["items"]
    assert [i["id"] for i in found] == [overdue.pk]
    # An outsider sees none of 惠民社区's events.
    outsider = api("laogangfang_worker").get("/api/v1/events", {"limit": 100}).json()["items"]
    assert overdue.pk not in {i["id"] for i in outsider}


def test_detail_and_scope(story: Any, api: Any) -> None:
    event = story.in_state("dispatched")
    detail = api("heating_staff").get(f"/api/v1/events/{event.pk}")
    assert detail.status_code == 200
    data = detail.json()
    assert [s["action"] for s in data["timeline"]] == ["report", "accept", "dispatch"]
    assert "acknowledge" in data["allowed_actions"]
    assert "decline" in data["allowed_actions"]
    assert {a["role"] for a in data["assignments"]} == {"lead", "co"}
    assert api("water_staff").get(f"/api/v1/events/{event.pk}").status_code == 404
    assert api("laogangfang_worker").get(f"/api/v1/events/{event.pk}").status_code == 404
    assert api("gaobo").get("/api/v1/events/999999999").status_code == 404


def test_transitions_over_http(story: Any, api: Any) -> None:
    event = story.report()
    centre = api("huimin_admin")
    url = f"/api/v1/events/{event.pk}/transitions"

    def post(client: Any, body: dict[str, Any]) -> Any:
        return client.post(url, json.dumps(body), content_type="application/json")

    ok = post(centre, {"action": "accept", "note": "受理"})
    assert ok.status_code == 200
    assert ok.json()["state"] == "accepted"
    illegal = post(centre, {"action": "handle", "result": "x"})
    assert illegal.status_code == 409
    assert "已受理" in illegal.json()["detail"]
    assert "处置完毕" in illegal.json()["detail"]
    assert illegal.json()["state"] == "accepted"
    assert illegal.json()["action"] == "handle"
    forbidden = post(api("gaobo"), {"action": "dispatch", "lead_org_id": story.heating.pk})
    assert forbidden.status_code == 403
    assert "综治中心" in forbidden.json()["detail"]
    missing = post(centre, {"action": "dispatch", "lead_org_id": 999999})
    assert missing.status_code == 400
    assert "lead_org_id" in missing.json()["errors"]
    dispatched = post(
        centre, {"action": "dispatch", "lead_org_id": story.heating.pk, "co_org_ids": [story.committee.pk]}
    )
    assert dispatched.status_code == 200
    assert dispatched.json()["lead_org"] == "呼和浩特市热力公司"
    staff = api("heating_staff")
    assert post(staff, {"action": "acknowledge"}).status_code == 200
    assert post(staff, {"action": "start"}).status_code == 200
    no_result = post(staff, {"action": "handle"})
    assert no_result.status_code == 400
    assert "result" in no_result.json()["errors"]
    assert post(staff, {"action": "handle", "result": "已更换阀门"}).json()["state"] == "handled"
    closed = post(api("gaobo"), {"action": "confirm", "satisfaction": 5})
    assert closed.status_code == 200
    assert closed.json()["state"] == State.CLOSED
    assert closed.json()["satisfaction"] == 5
    assert post(centre, {"action": "bogus"}).status_code == 400


def test_handle_with_photos_multipart(story: Any, api: Any, images: Any) -> None:
    event = story.in_state("in_progress")
    response = api("heating_staff").post(
        f"/api/v1/events/{event.pk}/transitions",
        {
            "action": "handle",
            "result": "已修复",
            "photos": [SimpleUploadedFile("done.png", images["png"], "image/png")],
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "handled"
    assert len(response.json()["photos"]) == 1


def test_duplicate_suggestions(story: Any, api: Any) -> None:
    event = story.report()
    response = api("gaobo").get(
        "/api/v1/events/duplicates",
        {"category": "heating.pipe_burst", "lng": story.grid.lng + 0.0003, "lat": story.grid.lat},
    )
    assert response.status_code == 200
    assert event.pk in {d["id"] for d in response.json()}
    second = _post(api("gaobo"), _body(story, lng=story.grid.lng + 0.0002), key="dup-2").json()
    assert event.pk in {d["id"] for d in second["duplicates"]}


def test_inbox_and_department_inbox(story: Any, api: Any) -> None:
    event = story.in_state("dispatched")
    staff = api("heating_staff")
    inbox = staff.get("/api/v1/inbox").json()
    assert inbox["unread"] >= 1
    assert any(i["event_id"] == event.pk for i in inbox["items"])
    assert (
        staff.post("/api/v1/inbox/read", json.dumps({}), content_type="application/json").json()["marked"]
        >= 1
    )
    assert staff.get("/api/v1/inbox").json()["unread"] == 0
    events = staff.get("/api/v1/inbox/events").json()["items"]
    assert event.pk in {e["id"] for e in events}
    assert api("water_staff").get("/api/v1/inbox/events").json()["items"] == [] or event.pk not in {
        e["id"] for e in api("water_staff").get("/api/v1/inbox/events").json()["items"]
    }


def test_categories(api: Any, story: Any) -> None:
    categories = api("gaobo").get("/api/v1/event-categories").json()
    codes = {c["code"]: c for c in categories}
    assert codes["heating.pipe_burst"]["owner_kind"] == "heating"
    assert codes["dispute.neighbour"]["is_dispute"] is True
    assert codes["gas.leak"]["time_basis"] == "calendar"


def test_api_requires_authentication(client: Any) -> None:
    assert client.get("/api/v1/events").status_code == 401
