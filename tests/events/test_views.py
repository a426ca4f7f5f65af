"""Event pages: report form, list (overdue first), detail with timeline and actions, inboxes."""

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.events import intake
from gridgov.events.models import Event
from gridgov.notifications.models import Notice


def _no_inline_script(html: str) -> bool:
    return all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_report_form_and_submit(story: Any, login: Any, images: Any) -> None:
    client = login("gaobo")
    page = client.get("/events/new/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "heating.pipe_burst" in html
    assert "gridgov/events.js" in html
    assert 'name="idempotency_key"' in html
    assert _no_inline_script(html)
    form = {
        "category": "fire.exit_blocked",
        "description": "页面上报：消防通道堵塞",
        "lng": story.grid.lng,
        "lat": story.grid.lat,
        "idempotency_key": "page-key-1",
        "photos": [SimpleUploadedFile("a.jpg", images["jpeg"], "image/jpeg")],
    }
    response = client.post("/events/new/", form)
    assert response.status_code == 302
    event = Event.objects.get(description="页面上报：消防通道堵塞")
    assert response["Location"] == f"/events/{event.pk}/"
    assert event.photos.count() == 1
    assert event.channel == "web"
    # A double tap resends the same form: still one event.
    form["photos"] = [SimpleUploadedFile("a.jpg", images["jpeg"], "image/jpeg")]
    assert client.post("/events/new/", form).status_code == 302
    assert Event.objects.filter(description="页面上报：消防通道堵塞").count() == 1


def test_report_form_errors(story: Any, login: Any, node: Any) -> None:
    client = login("gaobo")
    before = Event.objects.count()
    empty = client.post(
        "/events/new/",
        {"category": "fire.exit_blocked", "description": "", "lng": story.grid.lng, "lat": story.grid.lat},
    )
    assert empty.status_code == 400
    assert "请填写事件描述" in empty.content.decode()
    outside = client.post(
        "/events/new/", {"category": "fire.exit_blocked", "description": "x", "lng": 100.0, "lat": 30.0}
    )
    assert outside.status_code == 400
    assert "不在本市任何网格内" in outside.content.decode()
    other = node("惠民社区第二网格")
    denied = client.post(
        "/events/new/",
        {"category": "fire.exit_blocked", "description": "x", "lng": other.lng, "lat": other.lat},
    )
    assert denied.status_code == 403
    assert "不在您的上报范围内" in denied.content.decode()
    bad_photo = client.post(
        "/events/new/",
        {
            "category": "fire.exit_blocked",
            "description": "x",
            "lng": story.grid.lng,
            "lat": story.grid.lat,
            "photos": [SimpleUploadedFile("a.jpg", b"text", "image/jpeg")],
        },
    )
    assert bad_photo.status_code == 400
    assert "不是图片" in bad_photo.content.decode()
    assert Event.objects.count() == before
    assert login("heating_staff").get("/events/new/").status_code == 403


def test_list_shows_overdue_first_with_a_red_badge(story: Any, login: Any) -> None:
    late = story.report(description="列表测试：超期事件")
    Event.objects.filter(pk=late.pk).update(overdue=True, due_at=None)
    page = login("huimin_admin").get("/events/", {"state": "reported"})
    html = page.content.decode()
    assert page.status_code == 200
    assert _no_inline_script(html)
    first_row = html.index('class="event-row')
    assert html.index("列表测试：超期事件") > first_row
    assert "event-row overdue" in html[first_row : first_row + 40]
    filtered = login("huimin_admin").get("/events/", {"category": "water.leak"}).content.decode()
    assert "列表测试：超期事件" not in filtered
    assert "列表测试" not in login("laogangfang_worker").get("/events/").content.decode()


def test_detail_shows_timeline_and_the_users_actions(story: Any, login: Any) -> None:
    event = story.in_state("dispatched")
    html = login("heating_staff").get(f"/events/{event.pk}/").content.decode()
    assert "流转记录" in html
    assert "派遣" in html
    assert "呼和浩特市热力公司" in html
    assert 'value="acknowledge"' in html
    assert 'value="decline"' in html
    assert 'value="dispatch"' not in html
    centre = login("huimin_admin").get(f"/events/{event.pk}/").content.decode()
    assert 'value="acknowledge"' not in centre
    assert 'value="escalate"' in centre
    assert login("laogangfang_worker").get(f"/events/{event.pk}/").status_code == 404
    assert login("water_staff").get(f"/events/{event.pk}/").status_code == 404


def test_detail_of_a_system_step_and_an_event_without_a_reporter(story: Any, login: Any) -> None:
    # The worker escalates with no user; an Open311 client reports with none: the page still renders.
    event = story.in_state("accepted")
    story.act(event, "escalate", None, "超期自动上报")
    html = login("saihan_admin").get(f"/events/{event.pk}/").content.decode()
    assert "超期自动上报" in html
    assert "系统" in html
    anonymous, _ = intake.report_event(
        user=None,
        category="city.garbage",
        description="垃圾堆了三天",
        grid=story.grid,
        channel="open311",
        check_scope=False,
    )
    response = login("huimin_admin").get(f"/events/{anonymous.pk}/")
    assert response.status_code == 200
    assert re.search(r"上报人</th><td>—", response.content.decode())


def test_every_demo_event_page_renders_for_the_city(login: Any) -> None:
    # The demo city has events in every state, disputes among them: each page renders.
    client = login("city_admin")
    events = list(Event.objects.values_list("pk", "state"))
    assert {state for _pk, state in events} >= {"reported", "dispatched", "handled", "closed"}
    for pk, state in events:
        assert client.get(f"/events/{pk}/").status_code == 200, (pk, state)


def test_transition_from_the_page(story: Any, login: Any) -> None:
    event = story.report()
    centre = login("huimin_admin")
    url = f"/events/{event.pk}/transition/"
    assert centre.post(url, {"action": "accept"}).status_code == 302
    illegal = centre.post(url, {"action": "confirm", "satisfaction": "5"})
    assert illegal.status_code == 409
    assert "不能执行" in illegal.content.decode()
    forbidden = login("gaobo").post(url, {"action": "dispatch", "lead_org_id": story.heating.pk})
    assert forbidden.status_code == 403
    assert "综治中心" in forbidden.content.decode()
    no_reason = centre.post(url, {"action": "escalate", "note": ""})
    assert no_reason.status_code == 302  # escalation needs no reason
    assert centre.get(url).status_code == 405
    assert login("laogangfang_worker").post(url, {"action": "accept"}).status_code == 404


def test_department_inbox_and_notifications(story: Any, login: Any) -> None:
    event = story.in_state("dispatched")
    client = login("heating_staff")
    inbox = client.get("/events/inbox/").content.decode()
    assert event.number in inbox
    assert "呼和浩特市热力公司" in inbox
    assert event.number not in login("water_staff").get("/events/inbox/").content.decode()
    page = client.get("/notifications/").content.decode()
    assert event.number in page
    assert "未读" in page
    home = client.get("/events/").content.decode()
    assert "nav-count" in home
    assert "部门收件箱" in home
    assert client.post("/notifications/read/").status_code == 302
    assert not Notice.objects.filter(user=story["heating_staff"], read_at__isnull=True).exists()


def test_duplicates_fragment(story: Any, login: Any) -> None:
    event = story.report()
    html = (
        login("gaobo")
        .get(
            "/events/duplicates/",
            {"category": "heating.pipe_burst", "lng": story.grid.lng, "lat": story.grid.lat},
        )
        .content.decode()
    )
    assert event.number in html
    assert login("gaobo").get("/events/duplicates/", {"category": "x"}).status_code == 200


def test_pages_need_login(client: Any) -> None:
    for url in ("/events/", "/events/new/", "/events/inbox/", "/notifications/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
