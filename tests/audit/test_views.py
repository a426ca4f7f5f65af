"""The audit log pages: auditors read their subtree's rows; nobody else does; nothing writes."""

import json

import pytest
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.services import assign_role
from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.hierarchy import services as hierarchy


@pytest.fixture
def county_auditor(user, node):
    person = User.objects.create(username="saihan_auditor", full_name="区审计员")
    assign_role(user=user("sysadmin"), person=person, role=Role.AUDITOR, node=node("赛罕区"))
    return person


def test_auditor_sees_a_page_write_in_the_log(login, node):
    grid = node("惠民社区第二网格")
    login("huimin_admin").post(
        f"/nodes/{grid.pk}/edit/",
        {
            "version": grid.version,
            "name": "惠民社区二网格",
            "grid_kind": "basic",
            "boundary": json.dumps(grid.boundary),
        },
    )
    row = AuditEntry.objects.filter(action=Action.UPDATE, object_id=str(grid.pk)).latest("seq")
    client = login("auditor")
    page = client.get("/audit/").content.decode()
    assert "惠民社区二网格" in page
    assert "huimin_admin" in page
    detail = client.get(f"/audit/{row.pk}/").content.decode()
    assert "惠民社区第二网格" in detail
    assert "惠民社区二网格" in detail
    # Words, not codes: the channel, the model and the changed field.
    assert "网页" in detail
    assert ">hierarchy.node" not in detail
    assert "名称" in detail
    assert "<td>page</td>" not in page
    assert "网页" in page
    assert ">hierarchy.node" not in page


@pytest.mark.parametrize("username", ["gaobo", "huimin_admin", "city_admin", "sysadmin"])
def test_users_without_view_audit_are_refused(login, username):
    row = AuditEntry.objects.order_by("-seq").first()
    client = login(username)
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{row.pk}/").status_code == 404
    assert client.post(f"/audit/{row.pk}/").status_code == 404


def test_filters(login, user, node):
    grid = node("惠民社区第二网格")
    login("huimin_admin").post(
        f"/nodes/{grid.pk}/edit/",
        {
            "version": grid.version,
            "name": "惠民二格",
            "grid_kind": "basic",
            "boundary": json.dumps(grid.boundary),
        },
    )
    client = login("auditor")
    rows = client.get("/audit/", {"action": Action.UPDATE, "actor": "huimin_admin"}).context["rows"]
    assert rows
    assert all(r.action == Action.UPDATE and r.actor_name == "huimin_admin" for r in rows)
    rows = client.get("/audit/", {"object_type": "hierarchy.node", "success": "1"}).context["rows"]
    assert rows
    assert all(r.object_type == "hierarchy.node" and r.success for r in rows)
    # The city's date (Asia/Shanghai): from 16:00 UTC it is already tomorrow there.
    today = timezone.localdate(AuditEntry.objects.latest("seq").at).isoformat()
    assert client.get("/audit/", {"date_from": today, "date_to": today}).context["rows"]
    assert not client.get("/audit/", {"date_to": "2000-01-01"}).context["rows"]


def test_paging_by_sequence(login, user, node, monkeypatch):
    from gridgov.audit import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    grid = node("惠民社区第二网格")
    for n in range(3):
        hierarchy.update_node(grid, user=user("huimin_admin"), name=f"二格{n}")
    client = login("auditor")
    first = client.get("/audit/")
    rows, next_before = first.context["rows"], first.context["next_before"]
    assert len(rows) == 2
    assert next_before == rows[-1].seq
    older = client.get("/audit/", {"before": next_before}).context["rows"]
    assert len(older) == 2
    assert older[0].seq < rows[-1].seq


def test_county_auditor_sees_only_their_county(login, user, node, county_auditor):
    head = ChainHead.objects.get().seq
    hierarchy.update_node(node("惠民社区第二网格"), user=user("city_admin"), name="惠民二格")
    hierarchy.update_node(node("老缸房社区"), user=user("city_admin"), name="老缸房")
    saihan_row = AuditEntry.objects.get(seq__gt=head, object_id=str(node("惠民二格").pk))
    xincheng_row = AuditEntry.objects.get(seq__gt=head, object_id=str(node("老缸房").pk))
    client = login("saihan_auditor")
    rows = client.get("/audit/").context["rows"]
    assert rows
    assert all(r.path.startswith(node("赛罕区").path) for r in rows)
    assert client.get(f"/audit/{saihan_row.pk}/").status_code == 200
    assert client.get(f"/audit/{xincheng_row.pk}/").status_code == 404
    # The city auditor sees both.
    city = login("auditor")
    assert city.get(f"/audit/{xincheng_row.pk}/").status_code == 200


def test_nobody_can_write_through_the_audit_pages(login):
    row = AuditEntry.objects.order_by("-seq").first()
    client = login("auditor")
    assert client.post("/audit/", {"action": "delete"}).status_code == 405
    assert client.post(f"/audit/{row.pk}/", {}).status_code == 405
    assert client.get(f"/audit/{row.pk}/").content.decode().count('method="post"') == 1  # the logout button
