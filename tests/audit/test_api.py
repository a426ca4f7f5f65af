"""The audit log over the API: auditors only, their subtree only, read-only, filtered by object,
actor, action and time, in words as well as codes."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry
from gridgov.audit.services import record
from gridgov.core.context import acting_as


@pytest.fixture
def rows(user: Any, node: Any) -> dict[str, AuditEntry]:
    inside, outside = node("惠民社区第一网格"), node("老缸房社区第一网格")
    with acting_as(user("gaobo"), channel="app"):
        mine = record(Action.READ_SENSITIVE, inside, message="api test inside")
    with acting_as(user("laogangfang_worker"), channel="page"):
        theirs = record(Action.READ_SENSITIVE, outside, message="api test outside")
    return {"inside": mine, "outside": theirs}


def test_an_auditor_filters_by_object_actor_action_and_time(api: Any, rows: Any) -> None:
    client = api("auditor")
    row = rows["inside"]
    found = client.get(
        "/api/v1/audit/entries",
        {
            "object_type": row.object_type,
            "object_id": row.object_id,
            "actor": "gaobo",
            "action": "read_sensitive",
        },
    ).json()["items"]
    assert [e["seq"] for e in found][:1] == [row.seq]
    first = found[0]
    assert first["channel_label"] == "手机应用"
    assert first["action_label"] == "查看敏感信息"
    assert first["object_type_label"] == "层级节点"
    by_id = client.get("/api/v1/audit/entries", {"actor_id": row.actor_id, "limit": 200}).json()["items"]
    assert row.seq in {e["seq"] for e in by_id}
    assert all(e["actor_id"] == row.actor_id for e in by_id)
    later = (row.at + timedelta(seconds=1)).isoformat()
    assert row.seq not in {
        e["seq"] for e in client.get("/api/v1/audit/entries", {"since": later}).json()["items"]
    }
    assert row.seq in {
        e["seq"]
        for e in client.get("/api/v1/audit/entries", {"until": later, "actor": "gaobo"}).json()["items"]
    }
    detail = client.get(f"/api/v1/audit/entries/{row.pk}").json()
    assert detail["hash"] == row.hash
    assert detail["prev_hash"] == row.prev_hash


def test_pages_go_back_by_sequence(api: Any, rows: Any) -> None:
    client = api("auditor")
    first = client.get("/api/v1/audit/entries", {"limit": 2}).json()
    assert len(first["items"]) == 2
    second = client.get("/api/v1/audit/entries", {"limit": 2, "before": first["next_before"]}).json()
    assert max(e["seq"] for e in second["items"]) < min(e["seq"] for e in first["items"])
    assert client.get("/api/v1/audit/entries", {"limit": 0}).status_code == 400
    assert client.get("/api/v1/audit/entries", {"before": 2**64}).status_code == 400
    assert client.get("/api/v1/audit/entries", {"since": "yesterday"}).status_code == 400


def test_a_county_auditor_sees_only_the_county(api: Any, user: Any, node: Any, rows: Any) -> None:
    from gridgov.accounts.models import User
    from gridgov.accounts.roles import Role
    from gridgov.accounts.services import assign_role

    person = User.objects.create(username="saihan_api_auditor", full_name="区审计员")
    assign_role(user=user("sysadmin"), person=person, role=Role.AUDITOR, node=node("赛罕区"))
    client = api("saihan_api_auditor")
    seqs = {e["seq"] for e in client.get("/api/v1/audit/entries", {"limit": 200}).json()["items"]}
    assert rows["inside"].seq in seqs
    assert rows["outside"].seq not in seqs
    assert client.get(f"/api/v1/audit/entries/{rows['outside'].pk}").status_code == 404


@pytest.mark.parametrize("username", ["gaobo", "huimin_admin", "city_admin", "sysadmin"])
def test_only_auditors_read_it(api: Any, rows: Any, username: str) -> None:
    client = api(username)
    response = client.get("/api/v1/audit/entries")
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有“查看审计日志”的权限。"
    assert client.get(f"/api/v1/audit/entries/{rows['inside'].pk}").status_code == 404


def test_nothing_writes(api: Any, rows: Any) -> None:
    client = api("auditor")
    url = f"/api/v1/audit/entries/{rows['inside'].pk}"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.generic(method, url, "{}", content_type="application/json").status_code == 405
    assert AuditEntry.objects.filter(pk=rows["inside"].pk, hash=rows["inside"].hash).exists()
    assert timezone.now() >= rows["inside"].at
