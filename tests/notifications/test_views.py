"""The inbox page and API: one's own notices only, what still asks for an action, mark read."""

import json
from typing import Any

from gridgov.events.models import Event
from gridgov.notifications import services
from gridgov.notifications.models import Notice


def test_inbox_page_shows_own_notices_and_marks_them_read(login: Any, user: Any) -> None:
    event = Event.objects.filter(state="reported").first()
    services.notify([user("gaobo")], "给高波的通知", subject=event, awaiting="reported")
    services.notify([user("huimin_admin")], "给社区的通知")
    client = login("gaobo")
    page = client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "给高波的通知" in html
    assert "给社区的通知" not in html
    assert "待处理" in html
    assert f"/events/{event.pk}/" in html
    assert client.post("/notifications/read/").status_code == 302
    assert not Notice.objects.filter(user=user("gaobo"), read_at__isnull=True).exists()
    assert client.get("/notifications/read/").status_code == 405


def test_inbox_api(api: Any, user: Any) -> None:
    event = Event.objects.filter(state="reported").first()
    services.notify([user("huimin_admin")], "接口通知", subject=event, awaiting="reported")
    client = api("huimin_admin")
    assert client.get("/api/v1/inbox", {"limit": 500}).status_code == 400  # bounded: 1–200
    body = client.get("/api/v1/inbox", {"unread": "true", "limit": 200}).json()
    item = next(i for i in body["items"] if i["message"] == "接口通知")
    assert item["event_id"] == event.pk
    assert item["subject_type"] == "events.event"
    assert item["actionable"] is True
    assert body["unread"] >= 1
    other = Notice.objects.create(user=user("gaobo"), message="别人的")
    marked = client.post(
        "/api/v1/inbox/read", json.dumps({"ids": [item["id"], other.pk]}), content_type="application/json"
    )
    assert marked.json() == {"marked": 1}
    other.refresh_from_db()
    assert other.read_at is None


def test_inbox_needs_login(client: Any) -> None:
    assert client.get("/notifications/").status_code == 302
    assert client.get("/api/v1/inbox").status_code == 401
