"""Queued reporting over HTTP: `Prefer: respond-async` → 202 with a receipt, the receipt at
/api/v1/events/receipts/<key>, and the event once the worker has written the queue."""

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.audit.models import AuditEntry
from gridgov.core.context import acting_as
from gridgov.events import queue
from gridgov.events.models import Event, EventPhoto, IdempotencyKey


def _body(story: Any, **extra: Any) -> dict[str, Any]:
    return {
        "category": "heating.pipe_burst",
        "description": "排队上报：6号楼供热管道爆裂",
        "lng": story.grid.lng,
        "lat": story.grid.lat,
        **extra,
    }


def _post(
    client: Any,
    body: dict[str, Any],
    key: str | None = "aq-1",
    prefer: str | None = "respond-async",
    **headers: str,
) -> Any:
    if key:
        headers["Idempotency-Key"] = key
    if prefer:
        headers["Prefer"] = prefer
    return client.post("/api/v1/events", json.dumps(body), content_type="application/json", headers=headers)


def _write() -> queue.QueueResult:
    with acting_as(None, channel="worker", username="system:worker"):
        return queue.write_queued_reports()


def _counts() -> tuple[int, int]:
    return IdempotencyKey.objects.count(), Event.objects.count()


def test_queued_report_receipt_then_event(story: Any, api: Any) -> None:
    phone = api("gaobo")
    before = Event.objects.count()
    accepted = _post(phone, _body(story), X_Request_ID="phone-req-0001")
    assert accepted.status_code == 202, accepted.content
    assert accepted.headers["Preference-Applied"] == "respond-async"
    receipt = accepted.json()
    assert accepted.headers["Location"] == receipt["receipt_url"] == "/api/v1/events/receipts/aq-1"
    assert receipt["key"] == "aq-1"
    assert receipt["state"] == "queued"
    assert receipt["accepted_at"]
    assert receipt["event_id"] is None
    assert receipt["event_number"] is None
    assert receipt["event_url"] is None
    assert receipt["error"] == ""
    assert Event.objects.count() == before

    queued = phone.get(receipt["receipt_url"])
    assert queued.status_code == 200
    assert queued.json() == receipt

    assert _write().written == 1
    created = phone.get(receipt["receipt_url"])
    assert created.status_code == 200
    data = created.json()
    assert data["state"] == "created"
    assert data["accepted_at"] == receipt["accepted_at"]
    event = Event.objects.get(pk=data["event_id"])
    assert data["event_number"] == event.number
    assert data["event_url"] == f"/api/v1/events/{event.pk}"
    assert event.reporter == story["gaobo"]
    assert event.channel == "api"
    assert event.grid == story.grid

    detail = phone.get(data["event_url"])
    assert detail.status_code == 200
    shown = detail.json()
    assert shown["number"] == event.number
    assert shown["state"] == "reported"
    assert shown["handling_node_name"] == "惠民社区"
    assert shown["description"] == "排队上报：6号楼供热管道爆裂"
    assert [s["action"] for s in shown["timeline"]] == ["report"]
    # The event's creation is logged as the phone's request, not as the worker.
    entry = AuditEntry.objects.get(object_type="events.event", object_id=str(event.pk), action="create")
    assert (entry.actor_id, entry.request_id, entry.channel) == (story["gaobo"].pk, "phone-req-0001", "api")


def test_prefer_among_other_preferences(story: Any, api: Any) -> None:
    response = _post(
        api("gaobo"), _body(story), key="aq-prefer", prefer="return=minimal, Respond-Async; wait=5"
    )
    assert response.status_code == 202
    assert response.json()["state"] == "queued"


def test_retries_answer_the_receipt_then_the_event(story: Any, api: Any) -> None:
    phone = api("gaobo")
    first = _post(phone, _body(story), key="aq-retry")
    assert first.status_code == 202
    retry = _post(phone, _body(story), key="aq-retry")
    assert retry.status_code == 202
    assert retry.json() == first.json()
    assert IdempotencyKey.objects.filter(key="aq-retry").count() == 1

    _write()
    event_id = phone.get("/api/v1/events/receipts/aq-retry").json()["event_id"]
    replayed = _post(phone, _body(story), key="aq-retry")
    assert replayed.status_code == 200, replayed.content
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert "Preference-Applied" not in replayed.headers
    data = replayed.json()
    assert data["id"] == event_id
    assert data["state"] == "reported"
    assert [s["action"] for s in data["timeline"]] == ["report"]
    # Without Prefer the retry is replayed too.
    plain = _post(phone, _body(story), key="aq-retry", prefer=None)
    assert plain.status_code == 200
    assert plain.json()["id"] == event_id
    assert Event.objects.filter(description="排队上报：6号楼供热管道爆裂").count() == 1


def test_conflicts(story: Any, api: Any) -> None:
    phone = api("gaobo")
    assert _post(phone, _body(story), key="aq-conflict").status_code == 202
    other = _post(phone, _body(story, description="另一件事"), key="aq-conflict")
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json()["detail"]
    # A synchronous retry while the report is still queued.
    sync = _post(phone, _body(story), key="aq-conflict", prefer=None)
    assert sync.status_code == 409
    assert sync.json()["state"] == "queued"
    assert IdempotencyKey.objects.filter(key="aq-conflict").count() == 1


def test_a_failed_report_answers_409_and_its_receipt_says_why(story: Any, api: Any) -> None:
    phone = api("gaobo")
    assert _post(phone, _body(story), key="aq-fail").status_code == 202
    row = IdempotencyKey.objects.get(key="aq-fail")
    row.payload = {**row.payload, "grid": 999999999}
    row.save(update_fields=["payload"])
    assert _write().failed == 1
    receipt = phone.get("/api/v1/events/receipts/aq-fail").json()
    assert receipt["state"] == "failed"
    assert "网格已被删除" in receipt["error"]
    assert receipt["event_id"] is None
    retry = _post(phone, _body(story), key="aq-fail")
    assert retry.status_code == 409
    assert retry.json()["state"] == "failed"
    assert "网格已被删除" in retry.json()["detail"]
    inbox = phone.get("/api/v1/inbox").json()
    assert any("aq-fail" in item["message"] and item["event_id"] is None for item in inbox["items"])


def test_receipts_are_private_to_their_owner(story: Any, api: Any) -> None:
    assert _post(api("gaobo"), _body(story), key="aq-mine").status_code == 202
    assert api("huimin_admin").get("/api/v1/events/receipts/aq-mine").status_code == 404
    assert api("gaobo").get("/api/v1/events/receipts/no-such-key").status_code == 404
    _write()
    assert api("huimin_admin").get("/api/v1/events/receipts/aq-mine").status_code == 404
    assert api("gaobo").get("/api/v1/events/receipts/aq-mine").json()["state"] == "created"


def test_bad_queued_reports_are_refused_and_nothing_is_queued(story: Any, api: Any, node: Any) -> None:
    phone = api("gaobo")
    before = _counts()
    cases = [
        (_body(story, category="nonsense"), 400, "category"),
        (_body(story, lng=116.4, lat=39.9), 400, "location"),  # Beijing
        (_body(story, description=""), 400, "description"),
        (_body(story, lng="east"), 400, "lng"),
        (_body(story, resident_ids=["x"]), 400, "resident_ids"),
        (_body(story, resident_ids=[999999999]), 400, "resident_ids"),
    ]
    for n, (body, status, field) in enumerate(cases):
        response = _post(phone, body, key=f"aq-bad-{n}")
        assert response.status_code == status, (body, response.content)
        assert field in response.json()["errors"]
        assert response.json()["detail"]
        assert response.headers.get("Preference-Applied") is None
    no_key = _post(phone, _body(story), key=None)
    assert no_key.status_code == 400
    assert "idempotency_key" in no_key.json()["errors"]
    long_key = _post(phone, _body(story), key="k" * 101)
    assert long_key.status_code == 400
    assert "idempotency_key" in long_key.json()["errors"]
    other = node("惠民社区第二网格")
    denied = _post(phone, _body(story, lng=other.lng, lat=other.lat), key="aq-scope")
    assert denied.status_code == 403
    assert "惠民社区第二网格" in denied.json()["detail"]
    broken = phone.post(
        "/api/v1/events",
        "{not json",
        content_type="application/json",
        headers={"Idempotency-Key": "aq-json", "Prefer": "respond-async"},
    )
    assert broken.status_code == 400
    assert "body" in broken.json()["errors"]
    bad_photo = phone.post(
        "/api/v1/events",
        {
            **_body(story),
            "photos": [SimpleUploadedFile("a.jpg", b"not really a jpeg", "image/jpeg")],
        },
        headers={"Idempotency-Key": "aq-photo", "Prefer": "respond-async"},
    )
    assert bad_photo.status_code == 400
    assert "photos" in bad_photo.json()["errors"]
    assert _counts() == before
    assert phone.get("/api/v1/events/receipts/aq-bad-0").status_code == 404


def test_a_browser_session_must_send_a_key_to_queue(story: Any, login: Any) -> None:
    before = _counts()
    response = _post(login("gaobo"), _body(story), key=None)
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    assert _counts() == before


def test_queued_report_with_photos_multipart(story: Any, api: Any, images: Any) -> None:
    phone = api("gaobo")
    response = phone.post(
        "/api/v1/events",
        {
            **_body(story, category="fire.exit_blocked", description="消防通道堵塞"),
            "photos": [
                SimpleUploadedFile("a.jpg", images["jpeg"], "image/jpeg"),
                SimpleUploadedFile("b.png", images["png"], "image/png"),
            ],
        },
        headers={"Idempotency-Key": "aq-mp", "Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.content
    _write()
    event_url = phone.get("/api/v1/events/receipts/aq-mp").json()["event_url"]
    detail = phone.get(event_url).json()
    assert detail["category"] == "fire.exit_blocked"
    assert len(detail["photos"]) == 2
    assert sorted(
        EventPhoto.objects.filter(event_id=detail["id"]).values_list("content_type", flat=True)
    ) == ["image/jpeg", "image/png"]


def test_retry_storm_on_the_queued_path(story: Any, api: Any) -> None:
    phone = api("gaobo")
    answers = [_post(phone, _body(story), key="aq-storm") for _ in range(10)]
    assert [a.status_code for a in answers] == [202] * 10
    assert len({a.json()["accepted_at"] for a in answers}) == 1
    assert IdempotencyKey.objects.filter(key="aq-storm").count() == 1
    assert _write().written == 1
    after = [_post(phone, _body(story), key="aq-storm") for _ in range(3)]
    assert [a.status_code for a in after] == [200] * 3
    assert len({a.json()["id"] for a in after}) == 1
    assert _write().written == 0
    assert (
        Event.objects.filter(reporter=story["gaobo"], description="排队上报：6号楼供热管道爆裂").count() == 1
    )


def test_without_prefer_the_report_is_written_at_once(story: Any, api: Any) -> None:
    phone = api("gaobo")
    response = _post(phone, _body(story), key="aq-sync", prefer=None)
    assert response.status_code == 201, response.content
    assert "Preference-Applied" not in response.headers
    assert "Location" not in response.headers
    data = response.json()
    assert data["state"] == "reported"
    assert data["grid_name"] == "惠民社区第一网格"
    assert Event.objects.filter(pk=data["id"]).exists()
    # Its key is a receipt too, already "created".
    receipt = phone.get("/api/v1/events/receipts/aq-sync").json()
    assert receipt["state"] == "created"
    assert receipt["event_id"] == data["id"]
    # A queued retry of a report written synchronously answers the event.
    queued_retry = _post(phone, _body(story), key="aq-sync")
    assert queued_retry.status_code == 200
    assert queued_retry.json()["id"] == data["id"]
    assert queued_retry.headers["Idempotent-Replayed"] == "true"
    # Other preferences are not respond-async.
    other = _post(phone, _body(story), key="aq-minimal", prefer="return=minimal")
    assert other.status_code == 201


def test_any_key_makes_a_working_receipt_url(story: Any, api: Any) -> None:
    """Keys may hold '/', '?', '#', spaces or Chinese: the receipt URL is percent-encoded and works."""
    phone = api("gaobo")
    for n, key in enumerate(["a/b/c", "what?x=1#frag", "报告-1 第二条"]):
        accepted = _post(phone, _body(story, description=f"任意键 {n}"), key=key)
        assert accepted.status_code == 202, accepted.content
        location = accepted.headers["Location"]
        assert location == accepted.json()["receipt_url"]
        assert location.isascii()
        assert "/" not in location[24:]
        found = phone.get(location)
        assert found.status_code == 200
        assert found.json()["key"] == key
        assert found.json()["state"] == "queued"
