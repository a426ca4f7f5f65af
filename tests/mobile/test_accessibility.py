"""Every screen of the app passes axe-core (from npm) with no serious or critical violation, and
keeps the phone rules (tap targets ≥ 44 px, text ≥ 16 px), on a phone-sized touch screen: signed
out, and signed in with the worker's grid synced."""

from pathlib import Path
from typing import Any

import pytest

from gridgov.care.models import CareSchedule
from gridgov.events.models import Event
from gridgov.registry.models import Resident
from gridgov.tasks.models import TaskAssignment
from tests.front.conftest import CHROMIUM_ARGS, PHONE

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def too_small(page: Any) -> list[str]:
    """Tap targets under 44 px and text under 16 px on the screen (the phone rules)."""
    found = page.evaluate(
        """() => {
            const out = [];
            const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
            for (const el of document.querySelectorAll('a, button, input, select, textarea, label.check')) {
                if (!visible(el) || el.type === 'checkbox' || el.classList.contains('skip')) continue;
                const r = el.getBoundingClientRect();
                if (r.height < 44 || r.width < 44) out.push('tap ' + el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 20) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
            }
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode, el = node.parentElement;
                if (!node.textContent.trim() || !el || !visible(el) || el.closest('[aria-hidden=true]')) continue;
                const size = parseFloat(getComputedStyle(el).fontSize);
                if (size < 16) out.push('text ' + size + 'px: ' + node.textContent.trim().slice(0, 20));
            }
            return out;
        }"""
    )
    return list(found)


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
        }"""
    )
    return list(found)


@pytest.mark.skipif(not AXE.exists(), reason="npm ci installs axe-core")
def test_every_screen_is_accessible_with_big_enough_targets_and_text(
    shared_live_server: str, node: Any, password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    grid = node("惠民社区第一网格")
    resident = Resident.objects.filter(path__startswith=grid.path, status="present").first()
    household = resident.household
    event = Event.objects.filter(path__startswith=grid.path, is_open=True).first()
    schedule = CareSchedule.objects.filter(grid=grid).first()
    assignment = TaskAssignment.objects.filter(grid=grid, state="open").first()
    screens = [
        "today",
        "people",
        "report",
        "patrol",
        "me",
        "me/file",
        f"building/{household.building_id}",
        f"household/{household.pk}",
        f"household/{household.pk}/add",
        f"resident/{resident.pk}",
        f"resident/{resident.pk}/edit",
        f"resident/{resident.pk}/move-out",
        f"event/{event.pk}",
        "visits",
        f"visit/{schedule.pk}",
        f"task/{assignment.pk}",
        "worklog",
    ]
    base = shared_live_server
    failures: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
            locale="zh-CN",
            bypass_csp=True,
            **PHONE,
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(f"{base}/app/")
            page.wait_for_selector("html[data-ready]")
            failures["login"] = violations(page) + too_small(page)
            page.fill("input[autocomplete=username]", "gaobo")
            page.fill("input[type=password]", password)
            page.click("button[type=submit]")
            page.wait_for_url("**/app/#/today", timeout=60000)
            for screen in screens:
                page.goto(f"{base}/app/#/{screen}")
                page.wait_for_selector(".screen")
                page.wait_for_timeout(100)
                failures[screen] = violations(page) + too_small(page)
            # The worker's own file and results, read online (gridgov.workforce).
            page.goto(f"{base}/app/#/me/file")
            page.wait_for_selector("text=现档次")
            page.wait_for_selector("text=2025 年度 · 优秀")
            failures["me/file loaded"] = violations(page) + too_small(page)
            # A patrol under way: its live screen and the code check-in.
            page.goto(f"{base}/app/#/patrol")
            page.click(f"button[data-grid='{grid.pk}']")
            page.wait_for_url("**#/patrol/run")
            page.wait_for_selector(".patrol-building")
            failures["patrol/run"] = violations(page) + too_small(page)
            page.goto(f"{base}/app/#/patrol/scan")
            page.wait_for_selector(".screen form")
            failures["patrol/scan"] = violations(page) + too_small(page)
            page.goto(f"{base}/app/#/people")
            page.fill("input[type=search]", resident.name[0])
            page.wait_for_selector("#results li")
            failures["people (results)"] = violations(page) + too_small(page)
        finally:
            context.close()
    assert not {k: v for k, v in failures.items() if v}, failures
