"""The overview in a real browser: an official's home page with figures, charts and the map,
drilling down; the big screen. Screenshots are kept in the test's temporary directory."""

import pytest

from tests.front.conftest import browser_page, log_in

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}


def test_official_lands_on_the_overview_and_drills_down_to_a_grid(
    shared_live_server, node, password, tmp_path
):
    from playwright.sync_api import expect

    community, grid = node("惠民社区"), node("惠民社区第一网格")
    with browser_page(**DESKTOP) as (page, errors):
        log_in(page, f"{shared_live_server}/accounts/login/", "huimin_admin", password)
        page.wait_for_url(f"{shared_live_server}/overview/{community.pk}/")
        expect(page.locator("h1")).to_contain_text("惠民社区")
        expect(page.locator(".ov-card[data-key='events.reported']")).to_be_visible()
        expect(page.locator("#ov-bar canvas")).to_have_count(1)
        expect(page.locator("#ov-trend canvas")).to_have_count(1)
        expect(page.locator("#ov-map-status")).to_contain_text("个区域")
        expect(page.locator("#ov-map path.leaflet-interactive").first).to_be_visible()
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        page.locator("#ov-map").screenshot(path=str(tmp_path / "map.png"))

        # Sort the breakdown by a figure, then drill into a grid from the table.
        page.locator("#ov-breakdown th[data-sort='events.reported'] button").click()
        expect(page.locator("#ov-breakdown th[data-sort='events.reported']")).to_have_attribute(
            "aria-sort", "descending"
        )
        page.locator("#ov-breakdown a", has_text=grid.name).click()
        page.wait_for_url(f"{shared_live_server}/overview/{grid.pk}/*")
        expect(page.locator(".breadcrumbs")).to_contain_text("惠民社区")
        expect(page.locator("#ov-map-status")).to_contain_text("1 个区域")
        page.select_option("#ov-period-kind", "year")
        page.click(".ov-period button[type=submit]")
        page.wait_for_url("**period=year**")
        expect(page.locator(".ov-card[data-key='events.reported'] .ov-value")).not_to_have_text("—")
        assert not errors, errors


def test_the_big_screen_draws_its_figures_charts_and_map(shared_live_server, user, node, tmp_path):
    from playwright.sync_api import expect

    from gridgov.overview import services

    _link, token = services.create_display_link(
        user=user("zhaowuda_admin"), node=node("昭乌达南路街道"), name="大屏"
    )
    with browser_page(viewport={"width": 1920, "height": 1080}) as (page, errors):
        page.goto(f"{shared_live_server}/screen/{token}/")
        expect(page.locator(".screen-title h1")).to_contain_text("昭乌达南路街道")
        expect(page.locator(".screen-card[data-key='events.reported']")).to_be_visible()
        expect(page.locator("#ov-bar canvas")).to_have_count(1)
        expect(page.locator("#ov-trend canvas")).to_have_count(1)
        expect(page.locator("#ov-map-status")).to_contain_text("个区域")
        expect(page.locator("#ov-map path.leaflet-interactive").first).to_be_visible()
        page.screenshot(path=str(tmp_path / "screen.png"))
        assert not errors, errors
