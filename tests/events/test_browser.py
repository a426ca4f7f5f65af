"""A grid worker reports from a phone-sized browser: the GPS point fills in, a likely duplicate is
suggested, the report is saved and its page shows the timeline."""

from typing import Any

import pytest

from gridgov.events.models import Event
from tests.front.conftest import PHONE, browser_page, log_in, shared_live_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def test_report_from_a_phone_with_gps(shared_live_server: str, story: Any, password: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    earlier = story.report(description="先报的：6号楼供热管道爆裂")  # a likely duplicate nearby
    lng, lat = story.grid.lng, story.grid.lat
    with browser_page(
        **PHONE, geolocation={"longitude": lng, "latitude": lat}, permissions=["geolocation"]
    ) as (page, errors):
        log_in(page, f"{shared_live_server}/accounts/login/", "gaobo", password)
        page.wait_for_load_state()
        page.goto(f"{shared_live_server}/events/new/")
        expect(page.locator("#geo-status")).to_contain_text("已定位")
        page.select_option("select[name=category]", "heating.pipe_burst")
        expect(page.locator("#duplicates")).to_contain_text(earlier.number)
        page.fill("textarea[name=description]", "浏览器上报：6号楼地下室暖气管漏水")
        page.click("#report-form button[type=submit]")
        page.wait_for_url("**/events/*/")
        expect(page.locator("h1")).to_contain_text("供热管道爆裂")
        expect(page.locator(".timeline")).to_contain_text("上报")
        assert not errors, errors  # no CSP violation, no script error
    event = Event.objects.get(description="浏览器上报：6号楼地下室暖气管漏水")
    assert event.grid == story.grid
    assert abs((event.lng or 0) - lng) < 1e-5
    assert event.channel == "web"


def test_event_photo_shows_to_the_dispatcher_and_the_department_not_outside(
    shared_live_server: str,  # noqa: F811
    story: Any,
    password: str,
    settings: Any,
    tmp_path: Any,
) -> None:
    """Photos are served through the scoped view: the image loads on the event page for the
    community centre that dispatched it and the department that handles it; an outsider's
    request for the same image is a 404."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from playwright.sync_api import expect

    from tests.events.conftest import PNG

    settings.MEDIA_ROOT = tmp_path / "media"
    event = story.report(photos=[SimpleUploadedFile("pipe.png", PNG, "image/png")])
    story.act(event, "accept", "huimin_admin")
    story.act(event, "dispatch", "huimin_admin", lead_org_id=story.heating.pk)
    photo_path = f"/events/{event.pk}/photos/{event.photos.get().pk}/"
    with browser_page() as (page, errors):
        for username in ("huimin_admin", "heating_staff"):
            page.context.clear_cookies()
            log_in(page, f"{shared_live_server}/accounts/login/", username, password)
            page.wait_for_load_state()
            page.goto(f"{shared_live_server}/events/{event.pk}/")
            image = page.locator(f'.photos img[src="{photo_path}"]')
            expect(image).to_be_visible()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
            answer = page.request.get(f"{shared_live_server}{photo_path}")
            assert answer.status == 200, username
            assert "no-store" in answer.headers["cache-control"], username
        page.context.clear_cookies()
        log_in(page, f"{shared_live_server}/accounts/login/", "laogangfang_worker", password)
        page.wait_for_load_state()
        assert page.request.get(f"{shared_live_server}{photo_path}").status == 404
        assert page.goto(f"{shared_live_server}/events/{event.pk}/").status == 404
        assert not [e for e in errors if "404" not in e], errors


def test_dispatch_pick_lists_come_from_the_organisations_api(
    shared_live_server: str,  # noqa: F811
    story: Any,
    password: str,
) -> None:
    """The centre narrows the lead and co-handler lists by kind, area and name; the lists are the
    scoped answer of /api/v1/organisations for the event, never an id typed by hand."""
    from playwright.sync_api import expect

    event = story.report()
    story.act(event, "accept", "huimin_admin")
    with browser_page() as (page, errors):
        log_in(page, f"{shared_live_server}/accounts/login/", "huimin_admin", password)
        page.wait_for_load_state()
        page.goto(f"{shared_live_server}/events/{event.pk}/")
        lead = page.locator("select[data-org-lead]")
        assert lead.locator("option").count() > 3
        with page.expect_response(lambda r: "/api/v1/organisations" in r.url and "kind=heating" in r.url):
            page.select_option("select[data-org-kind]", "heating")
        expect(page.locator("[data-org-status]")).to_contain_text("个单位")
        names = lead.locator("option").all_text_contents()
        assert names, "the heating company serves the grid"
        assert all("供热" in n or "热力" in n for n in names), names
        with page.expect_response(lambda r: "/api/v1/organisations" in r.url):
            page.select_option("select[data-org-kind]", "")
        page.fill("input[data-org-q]", "司法所")
        expect(lead.locator("option")).to_have_count(1)
        expect(lead.locator("option")).to_contain_text("昭乌达南路司法所")
        page.click("form.action-form:has(select[data-org-lead]) button[type=submit]")
        page.wait_for_url(f"**/events/{event.pk}/")
        assert not errors, errors
    event.refresh_from_db()
    assert event.lead_org is not None
    assert event.lead_org.name == "昭乌达南路司法所"


def test_residents_involved_are_picked_by_typing(shared_live_server: str, story: Any, password: str) -> None:  # noqa: F811
    """A few characters give the registry's search results (in scope, masked); a pick becomes a
    chip and is attached to the report. A resident outside the worker's grid is not offered."""
    from playwright.sync_api import expect

    from gridgov.registry.models import Resident

    mine = Resident.objects.get(name="张伟", household__grid__name="惠民社区第一网格")
    with browser_page(**PHONE) as (page, errors):
        log_in(page, f"{shared_live_server}/accounts/login/", "gaobo", password)
        page.wait_for_load_state()
        page.goto(f"{shared_live_server}/events/new/")
        page.select_option("select[name=category]", "fire.exit_blocked")
        page.select_option("select[name=grid]", str(story.grid.pk))
        page.fill("textarea[name=description]", "楼道堆物，涉及居民张伟")
        page.fill("[data-resident-q]", "zhangwei")
        hits = page.locator("[data-resident-results] button")
        expect(hits).to_have_count(1)  # only the 张伟 of gaobo's own grid
        expect(hits.first).to_contain_text("张伟")
        expect(hits.first).to_contain_text("*")  # the phone is masked
        hits.first.click()
        expect(page.locator("[data-resident-chosen] li")).to_have_count(1)
        expect(
            page.locator(f'[data-resident-chosen] input[name=residents][value="{mine.pk}"]')
        ).to_have_count(1)
        page.click("#report-form button[type=submit]")
        page.wait_for_url("**/events/*/")
        assert not [e for e in errors if "geolocation" not in e.lower()], errors
    event = Event.objects.get(description="楼道堆物，涉及居民张伟")
    assert list(event.residents.all()) == [mine]
