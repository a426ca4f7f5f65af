"""The grid worker's day on the phone, offline: from 我的今天 he records a visit to a resident due
for one, completes a task and sends a nil return for the screening round; the browser is
closed; when the network returns each reaches the server exactly once, as the worker."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEntry
from gridgov.care.models import HomeVisit
from gridgov.registry.models import Resident
from gridgov.screening import services as screening
from gridgov.screening.models import ScreeningReturn
from gridgov.tasks import services as tasks
from gridgov.tasks.models import TaskAssignment
from tests.mobile.test_browser import controlled, network, open_offline, phone, sign_in

pytestmark = pytest.mark.browser


def test_a_day_offline_reaches_the_server_once(
    shared_live_server: str, node: Any, password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    grid = node("惠民社区第一网格")
    resident = Resident.objects.create(
        household=grid.grid_households.filter(status="active").order_by("pk").first(),
        path=grid.grid_households.filter(status="active").order_by("pk").first().path,
        county_code=grid.county_code,
        name="独孤婆婆",
        birth_date=date(1938, 3, 1),
        care_tags=["elderly", "alone"],
    )
    task = tasks.issue_task(
        user=User.objects.get(username="huimin_admin"),
        node=grid,
        title="楼道消防器材检查",
        duty="hazards",
        deadline=timezone.now() + timedelta(days=2),
    )
    round_ = screening.open_round(
        user=User.objects.get(username="zhaowuda_admin"),
        node=node("昭乌达南路街道"),
        title="本周排查",
        deadline=timezone.localdate() + timedelta(days=2),
    )
    base = shared_live_server
    profile = tmp_path / "profile"
    with sync_playwright() as playwright:
        with phone(playwright, profile) as (context, page, errors):
            sign_in(page, base, password)
            controlled(page)
            network(context, page, online=False)
            page.reload()
            page.wait_for_selector("html[data-ready]")
            # Visit: 我的今天 → the resident due → method, what was found, what is needed → the
            # need's category (preset for an elderly resident, here changed) → save.
            page.locator("[data-section=visits-due] a", has_text="独孤婆婆").click()
            page.select_option("select", "in_person")
            page.fill("textarea >> nth=0", "身体健康，家中取暖正常")
            expect(page.locator("#need-category")).to_be_hidden()
            page.fill("textarea >> nth=1", "冬季取暖补贴未到账")
            expect(page.locator("#need-category")).to_be_visible()
            expect(page.locator("#need-category")).to_have_value("civil.elderly")
            page.select_option("#need-category", "civil.hardship")
            page.click("button[type=submit]")
            expect(page.locator("#outbox-badge")).to_have_text("待发送 1")
            # Task: 我的今天 → the task → result → submit (3 taps, 1 field).
            page.locator("[data-section=tasks] a", has_text="楼道消防器材检查").click()
            page.fill("textarea", "已检查 6 栋楼道灭火器，均在有效期内")
            page.click("button[type=submit]")
            expect(page.locator("#outbox-badge")).to_have_text("待发送 2")
            # Screening: 我的今天 → the round → nil return (2 taps).
            page.locator("[data-section=screening] a", has_text="本周排查").click()
            page.click("text=零报告（本期无发现）")
            expect(page.locator("#outbox-badge")).to_have_text("待发送 3")
            expect(page.locator("[data-section=tasks]")).not_to_contain_text("楼道消防器材检查")
            assert not errors, errors

        with phone(playwright, profile) as (context, page, errors):
            network(context, page, online=False)
            open_offline(page, f"{base}/app/#/me")
            # Still waiting, unless the service worker's Background Sync (whose requests the
            # page's network emulation does not cover) already sent them: either way, once.
            expect(page.locator("#outbox")).to_be_visible()
            network(context, page, online=True)
            expect(page.locator("#outbox-badge")).to_be_hidden(timeout=60000)
            assert not errors, errors

    visits = HomeVisit.objects.filter(resident=resident)
    assert visits.count() == 1
    assert visits.get().worker.username == "gaobo"
    # The need became one event of the category chosen on the phone, linked to the visit.
    need = visits.get().event
    assert need is not None
    assert need.category.code == "civil.hardship"
    assert "冬季取暖补贴未到账" in need.description
    assert (
        AuditEntry.objects.filter(
            object_type="care.homevisit", object_id=str(visits.get().pk), action="create"
        )
        .get()
        .actor_name
        == "gaobo"
    )
    done = TaskAssignment.objects.get(task=task, grid=grid)
    assert (done.state, done.completed_by.username) == ("done", "gaobo")
    answer = ScreeningReturn.objects.get(round=round_, grid=grid)
    assert (answer.state, answer.answered_by.username) == ("nil", "gaobo")
