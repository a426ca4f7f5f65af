"""A patrol on a phone in Chromium, offline: start, check in at a building by standing at it and
at another by its typed code, end; when the network returns, each write reaches the server
once, as the worker."""

from pathlib import Path
from typing import Any

import pytest

from gridgov.audit.models import AuditEntry
from gridgov.hierarchy.models import Node
from gridgov.patrols import codes
from gridgov.patrols.models import CheckIn, Patrol, TrackBatch
from tests.mobile.test_browser import controlled, network, phone, sign_in

pytestmark = pytest.mark.browser


def test_a_patrol_with_check_ins_offline_then_online(
    shared_live_server: str, node: Any, password: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    grid = node("惠民社区第一网格")
    first, second = list(Node.objects.filter(parent=grid, level="building").order_by("code"))[:2]
    before = set(Patrol.objects.filter(worker__username="gaobo").values_list("pk", flat=True))
    short = codes.display_short(second.code)
    base = shared_live_server
    with (
        sync_playwright() as playwright,
        phone(
            playwright,
            tmp_path / "p",
            geolocation={"longitude": first.lng, "latitude": first.lat, "accuracy": 8},
            permissions=["geolocation"],
        ) as (context, page, errors),
    ):
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, base, password)
        controlled(page)
        network(context, page, online=False)
        page.click(".tabs a[data-tab=patrol]")
        page.click(f"button[data-grid='{grid.pk}']")
        page.wait_for_url("**#/patrol/run")
        here = page.locator(f"button[data-building='{first.pk}']")
        expect(here).to_be_enabled(timeout=20000)
        box = here.bounding_box()
        assert box is not None
        assert box["height"] >= 44
        assert box["width"] >= 44
        here.click()
        expect(page.locator(f"button[data-building='{first.pk}']")).to_have_text("已签到")
        page.click("text=扫码签到")
        page.fill("input[autocomplete=off]", short)
        page.click("button[type=submit]")
        page.wait_for_url("**#/patrol/run")
        page.click("text=结束巡查")
        page.wait_for_url("**#/patrol")
        expect(page.locator("#outbox-badge")).to_be_visible()
        network(context, page, online=True)
        page.evaluate("GG.outbox.schedule(0)")
        expect(page.locator("#outbox-badge")).to_be_hidden(timeout=60000)
        assert not errors, errors

    patrol = Patrol.objects.filter(worker__username="gaobo").exclude(pk__in=before).get()
    assert patrol.status == "ended"
    assert patrol.grid_id == grid.pk
    checkins = {c.building_id: c.method for c in CheckIn.objects.filter(patrol=patrol)}
    assert checkins == {first.pk: "geofence", second.pk: "code"}
    assert TrackBatch.objects.filter(patrol=patrol).count() >= 1
    assert patrol.point_count >= 1
    created = AuditEntry.objects.filter(object_type="patrols.checkin", action="create")
    assert set(
        created.filter(object_id__in=[str(c.pk) for c in patrol.checkins.all()]).values_list(
            "actor_name", flat=True
        )
    ) == {"gaobo"}
