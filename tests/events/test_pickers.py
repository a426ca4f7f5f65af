"""What a reporter picks and finds on the pages: residents by type-ahead over the registry's search
(never a list of everyone in the grid), organisations from /api/v1/organisations for dispatching,
and 我上报的 (the events one reported)."""

from typing import Any

from gridgov.events.models import Event
from gridgov.registry.models import Resident


def _resident(name: str, grid: str) -> Resident:
    return Resident.objects.get(name=name, household__grid__name=grid)


def test_report_form_has_a_type_ahead_not_a_list_of_residents(story: Any, login: Any) -> None:
    html = login("gaobo").get("/events/new/").content.decode()
    assert 'class="resident-picker"' in html
    assert 'data-search-url="/api/v1/search"' in html
    assert "gridgov/residents.js" in html
    assert '<select name="residents"' not in html
    # No resident of the grid is named on the page before anything is typed.
    assert "单丽娟" not in html
    assert "张伟" not in html


def test_picked_residents_are_attached_and_checked_in_scope(story: Any, login: Any) -> None:
    client = login("gaobo")
    mine = _resident("张伟", "惠民社区第一网格")
    base = {"category": "fire.exit_blocked", "lng": story.grid.lng, "lat": story.grid.lat}
    response = client.post(
        "/events/new/",
        {**base, "description": "涉及居民的上报", "idempotency_key": "pick-1", "residents": [mine.pk]},
    )
    assert response.status_code == 302
    assert list(Event.objects.get(description="涉及居民的上报").residents.all()) == [mine]
    outside = _resident("张伟", "老缸房社区第一网格")
    refused = client.post(
        "/events/new/",
        {**base, "description": "越界居民", "idempotency_key": "pick-2", "residents": [outside.pk]},
    )
    assert refused.status_code == 400
    assert "不在您的范围内" in refused.content.decode()
    assert not Event.objects.filter(description="越界居民").exists()
    bad = client.post(
        "/events/new/", {**base, "description": "乱填", "idempotency_key": "pick-3", "residents": ["x"]}
    )
    assert bad.status_code == 400
    assert "请从检索结果中选择居民" in bad.content.decode()
    # Shown again after an error, the picked resident stays picked, named.
    again = client.post(
        "/events/new/",
        {**base, "description": "", "category": "", "idempotency_key": "pick-4", "residents": [mine.pk]},
    )
    assert again.status_code == 400
    assert f'name="residents" value="{mine.pk}"' in again.content.decode()


def test_a_role_without_registry_access_gets_no_picker(login: Any) -> None:
    html = login("huimin_security").get("/events/new/")
    assert "resident-picker" not in html.content.decode()


def test_dispute_parties_are_picked_not_typed_by_id(login: Any) -> None:
    html = login("gaobo").get("/disputes/new/").content.decode()
    assert "居民编号" not in html
    assert 'type="hidden" name="party1_resident"' in html
    assert 'data-target="id_party1_resident"' in html
    assert 'data-name-target="id_party1_name"' in html


def test_my_reports_on_the_page_and_the_api(story: Any, login: Any, api: Any) -> None:
    own = story.report(description="我自己报的")
    other = story.report(description="别人报的", dx=0.0004)
    Event.objects.filter(pk=other.pk).update(reporter=story["huimin_volunteer"])
    client = login("gaobo")
    page = client.get("/events/").content.decode()
    assert "/events/?mine=1" in page
    assert "我上报的" in page
    mine = client.get("/events/", {"mine": "1"}).content.decode()
    assert own.number in mine
    assert other.number not in mine
    assert "我上报的事件" in mine
    items = api("gaobo").get("/api/v1/events", {"mine": "true", "limit": 100}).json()["items"]
    numbers = {row["number"] for row in items}
    assert own.number in numbers
    assert other.number not in numbers
    assert Event.objects.filter(number__in=numbers).exclude(reporter__username="gaobo").count() == 0


def test_dispatch_form_offers_filters_over_the_organisations_api(story: Any, login: Any) -> None:
    event = story.report()
    story.act(event, "accept", "huimin_admin")
    html = login("huimin_admin").get(f"/events/{event.pk}/").content.decode()
    assert 'data-orgs-url="/api/v1/organisations"' in html
    assert f'data-event-id="{event.pk}"' in html
    assert 'name="lead_org_id"' in html
    assert "gridgov/dispatch.js" in html
    assert "供热" in html  # a kind to filter by
