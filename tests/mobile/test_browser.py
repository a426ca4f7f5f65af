"""The app on a phone-sized touch screen in Chromium: signed in once, it opens with no network,
finds people offline, keeps an edit and an event report with a photo through a closed browser,
and sends each exactly once when the network returns, audited as the worker."""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridgov.audit.models import AuditEntry
from gridgov.events.models import Event, EventPhoto
from gridgov.registry.models import Resident
from tests.front.conftest import CHROMIUM_ARGS, PHONE

pytestmark = pytest.mark.browser

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@contextlib.contextmanager
def phone(playwright: Any, profile: Path, **options: Any) -> Iterator[tuple[Any, Any, list[str]]]:
    """(context, page, errors) of a persistent browser profile: what the phone keeps between runs."""
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path="/usr/bin/chromium",
        args=CHROMIUM_ARGS,
        locale="zh-CN",
        **PHONE,
        **options,
    )
    context.set_default_timeout(20000)
    page = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} {m.location.get('url', '')}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield context, page, errors
    finally:
        context.close()


def sign_in(page: Any, base: str, password: str) -> None:
    page.goto(f"{base}/app/")
    page.wait_for_selector("html[data-ready]")
    page.fill("input[autocomplete=username]", "gaobo")
    page.fill("input[type=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/app/#/today", timeout=60000)


_sessions: dict[int, Any] = {}


def network(context: Any, page: Any, *, online: bool) -> None:
    """The page's network on or off, as DevTools does it (Network.emulateNetworkConditions): the
    page's requests fail and `navigator.onLine` follows, while the service worker still answers
    from its cache."""
    # One DevTools session per page: each session's emulation applies on its own.
    cdp = _sessions.get(id(page))
    if cdp is None:
        cdp = _sessions[id(page)] = context.new_cdp_session(page)
        cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": not online, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def open_offline(page: Any, url: str) -> None:
    """Open the app with the network off in a browser just started. Headless Chromium fails the
    very first navigation under DevTools' offline emulation while it is still starting the service
    worker, then loads the page from the worker by itself: wait for that."""
    try:
        page.goto(url)
    except Exception as exc:
        if "ERR_FAILED" not in str(exc) and "interrupted" not in str(exc):
            raise
    page.wait_for_selector("html[data-ready]")


def controlled(page: Any) -> None:
    """Wait until the service worker controls the page (it precached the shell)."""
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_selector("html[data-ready]")


def test_a_morning_offline_reaches_the_server_once(
    shared_live_server: str, node: Any, password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    grid = node("惠民社区第一网格")
    resident = (
        Resident.objects.filter(path__startswith=grid.path, status="present", name__startswith="王")
        .order_by("pk")
        .first()
    )
    assert resident is not None
    version = resident.version
    profile = tmp_path / "profile"
    base = shared_live_server
    with sync_playwright() as playwright:
        with phone(
            playwright,
            profile,
            geolocation={"longitude": grid.lng, "latitude": grid.lat},
            permissions=["geolocation"],
        ) as (context, page, errors):
            sign_in(page, base, password)
            controlled(page)
            network(context, page, online=False)
            page.reload()  # an offline start: the shell comes from the service worker's cache
            page.wait_for_selector("html[data-ready]")
            expect(page.locator("#net")).to_have_text("离线")

            # Find the resident offline by surname, as the server's search box would.
            page.click(".tabs a[data-tab=people]")
            page.fill("input[type=search]", resident.name)
            page.locator("#results a", has_text=resident.name).first.click()
            expect(page.locator("h2")).to_have_text(resident.name)
            page.click("text=修改信息")
            page.fill("textarea", "离线修改：已上门核实")
            page.click("button[type=submit]")
            expect(page.locator("#outbox-badge")).to_have_text("待发送 1")

            # Report an event with a photo.
            page.click(".tabs a[data-tab=report]")
            page.select_option("select", "heating.pipe_burst")
            page.fill("textarea", "离线上报：3号楼地下室暖气管漏水")
            page.set_input_files(
                "input[type=file]", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": PNG}]
            )
            expect(page.locator(".previews img")).to_have_count(1)
            page.click("button[type=submit]")
            expect(page.locator("#outbox-badge")).to_have_text("待发送 2")
            assert not errors, errors

        # The browser was closed; the phone starts again, still without a network.
        with phone(playwright, profile) as (context, page, errors):
            network(context, page, online=False)
            open_offline(page, f"{base}/app/#/me")
            expect(page.locator("#outbox li")).to_have_count(2)
            expect(page.locator("#outbox")).to_contain_text("修改居民")
            expect(page.locator("#outbox")).to_contain_text("1 张照片")
            network(context, page, online=True)
            expect(page.locator("#outbox-badge")).to_be_hidden(timeout=60000)
            expect(page.locator("#outbox")).to_contain_text("全部已发送")
            assert not errors, errors

    resident.refresh_from_db()
    assert resident.note == "离线修改：已上门核实"
    assert resident.version == version + 1
    edits = AuditEntry.objects.filter(
        object_type="registry.resident", object_id=str(resident.pk), action="update"
    )
    assert edits.count() == 1
    assert edits.get().actor_name == "gaobo"
    events = Event.objects.filter(description="离线上报：3号楼地下室暖气管漏水")
    assert events.count() == 1
    event = events.get()
    assert event.reporter.username == "gaobo"
    assert EventPhoto.objects.filter(event=event).count() == 1
    assert (
        AuditEntry.objects.filter(object_type="events.event", object_id=str(event.pk), action="create")
        .get()
        .actor_name
        == "gaobo"
    )
