"""On a phone: open a household, reveal an ID number (htmx, audited), correct a phone number."""

import pytest

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import pii
from tests.front.conftest import PHONE, browser_page, log_in, shared_live_server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_grid_worker_reveals_an_id_and_corrects_a_phone(shared_live_server, family, password):  # noqa: F811
    from playwright.sync_api import expect

    household, head = family["household"], family["head"]
    number = pii.id_number_of(head)  # database reads before the browser starts
    with browser_page(**PHONE) as (page, errors):
        log_in(
            page,
            f"{shared_live_server}/accounts/login/?next=/registry/households/{household.pk}/",
            "gaobo",
            password,
        )
        page.wait_for_url(f"**/registry/households/{household.pk}/")
        expect(page.locator("h1")).to_contain_text(household.address)
        page.locator(".members").get_by_role("link", name="张伟").click()

        pii_cell = page.locator(".pii").first
        expect(pii_cell).to_contain_text("********")
        pii_cell.get_by_role("button", name="显示").click()
        expect(page.locator(".pii.revealed").first).to_have_text(number)

        page.get_by_role("link", name="修改").click()
        page.fill("#id_phone", "139 0000 2222")
        page.click("button.primary")
        expect(page.locator(".messages")).to_contain_text("已保存")
        expect(page.locator("body")).to_contain_text("139****2222")
        assert not errors, errors  # no CSP violation, no script error
    head.refresh_from_db()
    assert pii.resident_phone_of(head) == "13900002222"
    assert AuditEntry.objects.filter(
        action=Action.READ_SENSITIVE, object_id=str(head.pk), actor_name="gaobo"
    ).exists()
