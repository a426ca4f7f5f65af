"""A real phone-sized browser: log in, open the map, see the grid polygon, open the grid page."""

import pytest

from tests.front.conftest import PHONE, browser_page, log_in

pytestmark = pytest.mark.browser


def test_grid_worker_on_a_phone_logs_in_sees_the_map_and_opens_the_grid(shared_live_server, node, password):
    from playwright.sync_api import expect

    grid = node("惠民社区第一网格")  # database reads before the browser starts (no event loop yet)
    grid_url = f"{shared_live_server}/nodes/{grid.pk}/"
    # No exception for the favicon: the pages link an icon that exists.
    with browser_page(**PHONE, device_scale_factor=2) as (page, errors):
        icons: list[int] = []
        page.on("response", lambda r: icons.append(r.status) if "favicon" in r.url else None)
        log_in(page, f"{shared_live_server}/accounts/login/", "gaobo", password)
        page.wait_for_url(grid_url)
        expect(page.locator("h1")).to_contain_text(grid.name)

        page.click(f"a[href='/map/?node={grid.pk}']")
        page.wait_for_selector("#map[data-loaded='1']")
        polygons = page.locator("path.leaflet-interactive")
        expect(polygons.first).to_be_visible()
        assert polygons.count() >= 1
        expect(page.locator("#map-status")).to_contain_text("1 个网格")

        # Tap the grid: the popup names its staff and police beat and links to the grid page.
        # (In view first: the navigation above it grows as apps are added.)
        page.locator("#map").scroll_into_view_if_needed()
        box = page.locator("#map").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + 30)
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_contain_text("高波")
        expect(popup).to_contain_text("派出所")
        # A DOM click: a pointer click at coordinates can land while Leaflet is still panning the
        # popup into view (seen under load), and the link is what is under test here.
        popup.get_by_text("查看网格").evaluate("link => link.click()")
        page.wait_for_url(grid_url)
        expect(page.locator("#staff")).to_contain_text("专职网格员")
        assert not errors, errors  # no CSP violation, no script error, no missing icon
        assert icons, icons
        assert all(status == 200 for status in icons), icons


def test_an_area_without_boundary_shows_a_marker_and_a_note(shared_live_server, node, password):
    from playwright.sync_api import expect

    from gridgov.hierarchy.models import Node

    grid = node("惠民社区第一网格")
    Node.objects.filter(pk=grid.pk).update(boundary=None)
    with browser_page() as (page, errors):
        log_in(page, f"{shared_live_server}/accounts/login/", "gaobo", password)
        page.wait_for_url(f"{shared_live_server}/nodes/{grid.pk}/")
        page.goto(f"{shared_live_server}/map/?node={grid.pk}")
        page.wait_for_selector("#map[data-loaded='1']")
        expect(page.locator("#map-note")).to_be_visible()
        expect(page.locator("#map-note")).to_have_text("该区域暂无边界数据")
        # The grid's own marker and its four buildings, no polygon.
        expect(page.locator("path.leaflet-interactive")).to_have_count(5)
        assert not errors, errors
