"""A real phone-sized browser: log in, open the map, see the grid polygon, open the grid page."""

import pytest

pytestmark = pytest.mark.browser


def test_grid_worker_on_a_phone_logs_in_sees_the_map_and_opens_the_grid(shared_live_server, node, password):
    from playwright.sync_api import expect, sync_playwright

    from tests.front.conftest import CHROMIUM_ARGS

    grid = node("惠民社区第一网格")  # database reads before the browser starts (no event loop yet)
    grid_url = f"{shared_live_server}/nodes/{grid.pk}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          device_scale_factor=2, locale="zh-CN")
            context.set_default_timeout(15000)
            page = context.new_page()
            errors: list[str] = []
            # No exception for the favicon: the pages link an icon that exists.
            page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location.get('url', '')}")
                    if msg.type == "error" else None)
            icons: list[int] = []
            page.on("response", lambda r: icons.append(r.status) if "favicon" in r.url else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            page.goto(f"{shared_live_server}/accounts/login/")
            page.fill("#id_username", "gaobo")
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(grid_url)
            expect(page.locator("h1")).to_contain_text(grid.name)

            page.click(f"a[href='/map/?node={grid.pk}']")
            page.wait_for_selector("#map[data-loaded='1']")
            polygons = page.locator("path.leaflet-interactive")
            expect(polygons.first).to_be_visible()
            assert polygons.count() >= 1
            expect(page.locator("#map-status")).to_contain_text("1 个网格")

            # Tap the grid: the popup names its staff and police beat and links to the grid page.
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
            assert icons and all(status == 200 for status in icons), icons
        finally:
            browser.close()


def test_an_area_without_boundary_shows_a_marker_and_a_note(shared_live_server, node, password):
    from playwright.sync_api import expect, sync_playwright

    from gridgov.hierarchy.models import Node
    from tests.front.conftest import CHROMIUM_ARGS

    grid = node("惠民社区第一网格")
    Node.objects.filter(pk=grid.pk).update(boundary=None)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            page.set_default_timeout(15000)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{shared_live_server}/accounts/login/")
            page.fill("#id_username", "gaobo")
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{shared_live_server}/nodes/{grid.pk}/")
            page.goto(f"{shared_live_server}/map/?node={grid.pk}")
            page.wait_for_selector("#map[data-loaded='1']")
            expect(page.locator("#map-note")).to_be_visible()
            expect(page.locator("#map-note")).to_have_text("该区域暂无边界数据")
            # The grid's own marker and its four buildings, no polygon.
            expect(page.locator("path.leaflet-interactive")).to_have_count(5)
            assert not errors, errors
        finally:
            browser.close()
