"""The worker reports a rectification back from the phone, offline: 我的今天 → the rectification
→ what was done → report (3 taps, 1 field); when the network returns it reaches the server once,
as the worker, and waits for the re-inspection."""

from pathlib import Path

import pytest

from gridgov.inspection.models import Rectification, StepKind
from tests.mobile.test_browser import controlled, network, open_offline, phone, sign_in

pytestmark = pytest.mark.browser


def test_a_rectification_reported_offline_reaches_the_server_once(
    shared_live_server: str, password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    rect = Rectification.objects.get(state="open", grid__name="惠民社区第一网格")
    base = shared_live_server
    profile = tmp_path / "profile"
    with sync_playwright() as playwright:
        with phone(playwright, profile) as (context, page, errors):
            sign_in(page, base, password)
            controlled(page)
            network(context, page, online=False)
            page.reload()
            page.wait_for_selector("html[data-ready]")
            page.locator("[data-section=rectifications] a", has_text=rect.requirement[:8]).click()
            page.fill("textarea", "楼道杂物已全部清理")
            page.click("button[type=submit]")
            expect(page.locator("#outbox-badge")).to_have_text("待发送 1")
            expect(page.locator("[data-section=rectifications]")).to_have_count(0)
            assert not errors, errors

        with phone(playwright, profile) as (context, page, errors):
            network(context, page, online=False)
            open_offline(page, f"{base}/app/#/me")
            expect(page.locator("#outbox")).to_be_visible()
            network(context, page, online=True)
            expect(page.locator("#outbox-badge")).to_be_hidden(timeout=60000)
            assert not errors, errors

    rect.refresh_from_db()
    assert (rect.state, rect.report) == ("reported", "楼道杂物已全部清理")
    reported = rect.steps.filter(kind=StepKind.REPORTED)
    assert reported.count() == 1
    assert reported.get().by.username == "gaobo"
