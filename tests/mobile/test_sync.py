"""GET /api/v1/sync: the snapshot of a worker's own grid and the changes after it — scope (never
another grid's rows), pagination, changes, moves out and tombstones, masking, hostile cursors,
a changed or withdrawn role, and writes made while the snapshot is being sent."""

import gzip
import json
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from gridgov.accounts.models import RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.accounts.services import assign_role, issue_token
from gridgov.core.context import acting_as
from gridgov.hierarchy import services as hierarchy
from gridgov.hierarchy.models import Level, Node
from gridgov.mobile import sync
from gridgov.registry import life_events, pii
from gridgov.registry import services as registry
from gridgov.registry.models import Household, Resident
from gridgov.registry.rules import ACTIVE_STATUSES


def phone(username: str) -> Client:
    _token, raw = issue_token(User.objects.get(username=username))
    return Client(headers={"Authorization": f"Bearer {raw}"})


def get(client: Client, since: str | None = None, **params: Any) -> Any:
    query = {k: v for k, v in {"since": since, **params}.items() if v is not None}
    return client.get("/api/v1/sync", query)


def sync_all(
    client: Client, since: str | None = None, limit: int = 500
) -> tuple[dict[tuple[str, int], Any], set[tuple[str, int]], str, list[dict[str, Any]]]:
    """Follow `more` to the end: (records by (kind, id), removed, the last cursor, the answers)."""
    records: dict[tuple[str, int], Any] = {}
    removed: set[tuple[str, int]] = set()
    answers = []
    for _ in range(200):
        response = get(client, since, limit=limit)
        assert response.status_code == 200, response.content
        body = response.json()
        answers.append(body)
        if body["reset"]:
            records.clear()
        for item in body["records"]:
            records[(item["kind"], item["id"])] = item["data"]
            removed.discard((item["kind"], item["id"]))
        for item in body["removed"]:
            records.pop((item["kind"], item["id"]), None)
            removed.add((item["kind"], item["id"]))
        since = body["cursor"]
        if not body["more"]:
            return records, removed, since, answers
    raise AssertionError("sync never finished")


@pytest.fixture
def grid(node: Any) -> Node:
    return node("惠民社区第一网格")


def ids(records: dict[tuple[str, int], Any], kind: str) -> set[int]:
    return {pk for k, pk in records if k == kind}


def test_the_snapshot_is_the_worker_s_grid_and_nothing_else(db, grid):
    records, _removed, _cursor, _ = sync_all(phone("gaobo"))
    residents = set(
        Resident.objects.filter(path__startswith=grid.path, status__in=ACTIVE_STATUSES).values_list(
            "pk", flat=True
        )
    )
    assert residents, "the demo grid has residents"
    assert ids(records, "resident") == residents
    assert ids(records, "household") == set(
        Household.objects.filter(path__startswith=grid.path, status="active").values_list("pk", flat=True)
    )
    assert ids(records, "building") == set(
        Node.objects.filter(level=Level.BUILDING, parent=grid).values_list("pk", flat=True)
    )
    # Another grid's worker gets none of these rows (but the city-wide patrol rules).
    other, _removed, _cursor, _ = sync_all(phone("laogangfang_worker"))
    assert not {key for key in set(other) & set(records) if key[0] != "patrol_rule"}
    assert ids(other, "resident")


def test_no_full_id_number_or_phone_is_ever_sent(db):
    raw = get(phone("gaobo")).content.decode()
    body = json.loads(raw)
    residents = [r["data"] for r in body["records"] if r["kind"] == "resident"]
    assert any(r["id_number"] for r in residents)
    for r in residents:
        assert "*" in r["id_number"] or not r["id_number"]
        assert "*" in r["phone"] or not r["phone"]
    secrets = [pii.id_number_of(r) for r in Resident.objects.filter(pk__in=[r["id"] for r in residents])]
    secrets += [pii.resident_phone_of(r) for r in Resident.objects.exclude(phone_enc=None)]
    secrets += [pii.household_phone_of(h) for h in Household.objects.exclude(phone_enc=None)]
    assert len(secrets) > len(residents)
    for value in secrets:
        assert value not in raw
        assert value.replace("-", "") not in raw
    assert "special_tags" not in raw


def test_records_carry_the_server_tokenizer_s_tokens(db):
    from gridgov.search.tokens import name_tokens

    body = get(phone("gaobo")).json()
    resident = next(r["data"] for r in body["records"] if r["kind"] == "resident")
    assert set(name_tokens(resident["name"]).split()) <= set(resident["tokens"].split())
    if resident["phone"]:
        assert f"2t{resident['phone'][-4:]}" in resident["tokens"].split()


def test_pagination_sends_every_record_once(db):
    client = phone("gaobo")
    whole, _removed, _cursor, _ = sync_all(client)
    paged, _removed, _cursor, answers = sync_all(client, limit=37)
    assert paged.keys() == whole.keys()
    sent = [(item["kind"], item["id"]) for body in answers for item in body["records"]]
    assert len(sent) == len(set(sent))
    assert all(len(body["records"]) <= 37 for body in answers)


def test_the_answer_is_no_store_and_gzipped_when_accepted(db):
    response = phone("gaobo").get("/api/v1/sync", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.content))
    assert body["records"]


def edit(resident: Resident, who: str = "gaobo", **changes: Any) -> Resident:
    user = User.objects.get(username=who)
    with acting_as(user, channel="test"):
        return registry.update_resident(resident, user=user, version=resident.version, **changes)


def test_changes_after_the_snapshot_come_as_a_delta(db, grid):
    client = phone("gaobo")
    records, _removed, cursor, _ = sync_all(client)
    resident = Resident.objects.get(pk=next(pk for k, pk in records if k == "resident"))
    edit(resident, note="新的备注")
    body = get(client, cursor).json()
    assert body["snapshot"] is False
    assert [(r["kind"], r["id"], r["data"]["note"]) for r in body["records"]] == [
        ("resident", resident.pk, "新的备注")
    ]
    # Nothing new: an empty page and the same position.
    again = get(client, body["cursor"]).json()
    assert again["records"] == []
    assert again["removed"] == []
    assert again["more"] is False


def test_moving_out_and_death_send_tombstones(db, grid):
    client = phone("gaobo")
    records, _removed, cursor, _ = sync_all(client)
    first, second = sorted(pk for k, pk in records if k == "resident")[:2]
    gaobo = User.objects.get(username="gaobo")
    with acting_as(gaobo, channel="test"):
        life_events.move_out(
            Resident.objects.get(pk=first), user=gaobo, date=None, note="迁往外地", version=None
        )
        life_events.record_death(
            Resident.objects.get(pk=second), user=gaobo, date=None, note="", version=None
        )
    _records, removed, _cursor, _ = sync_all(client, cursor)
    assert {("resident", first), ("resident", second)} <= removed


def test_a_transfer_to_another_grid_is_a_move_out_for_one_and_a_new_record_for_the_other(db, grid, node):
    gaobo_phone, other_phone = phone("gaobo"), phone("laogangfang_worker")
    mine, _removed, my_cursor, _ = sync_all(gaobo_phone)
    _theirs, _removed, their_cursor, _ = sync_all(other_phone)
    resident = Resident.objects.get(pk=next(pk for k, pk in mine if k == "resident"))
    target = Household.objects.filter(
        path__startswith=node("老缸房社区第一网格").path, status="active"
    ).first()
    admin = User.objects.get(username="city_admin")
    with acting_as(admin, channel="test"):
        life_events.transfer(resident, target, user=admin, date=None, relation="", note="", version=None)
    _records, removed, _cursor, _ = sync_all(gaobo_phone, my_cursor)
    assert ("resident", resident.pk) in removed
    records, _removed, _cursor, _ = sync_all(other_phone, their_cursor)
    assert records[("resident", resident.pk)]["household_id"] == target.pk


def test_a_write_made_while_the_snapshot_is_sent_is_not_lost(db):
    client = phone("gaobo")
    first = get(client, limit=5).json()
    assert first["snapshot"]
    assert first["more"]
    # Written after the snapshot started, in a part the snapshot already sent.
    already = next(r for r in first["records"])
    building = Node.objects.get(pk=already["id"]) if already["kind"] == "building" else None
    assert building is not None
    user = User.objects.get(username="huimin_admin")
    with acting_as(user, channel="test"):
        hierarchy.update_node(building, user=user, version=building.version, name="改名的楼")
    records, _removed, _cursor, _ = sync_all(client, first["cursor"])
    assert records[("building", building.pk)]["name"] == "改名的楼"


def test_events_reported_in_the_grid_arrive_and_closed_ones_leave(db, grid):
    from gridgov.events.intake import report_event

    client = phone("gaobo")
    _records, _removed, cursor, _ = sync_all(client)
    gaobo = User.objects.get(username="gaobo")
    with acting_as(gaobo, channel="test"):
        event, _created = report_event(
            user=gaobo,
            category="heating.pipe_burst",
            description="同步测试",
            grid=grid,
            idempotency_key="k-sync",
        )
    records, _removed, cursor, _ = sync_all(client, cursor)
    assert records[("event", event.pk)]["mine"] is True
    event.is_open = False
    event.state = "closed"
    event.save()
    _records, removed, _cursor, _ = sync_all(client, cursor)
    assert ("event", event.pk) in removed


# --- hostile cursors, changed scope ---------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["garbage", "", "1:2:3", "x" * 5000, "eyJhIjoxfQ:1abc:def"])
def test_damaged_or_forged_cursors_are_400(db, cursor):
    response = get(phone("gaobo"), cursor or "!")
    assert response.status_code == 400
    assert "since" in response.json()["errors"]


def test_a_cursor_signed_with_another_key_or_of_another_user_is_refused(db):
    forged = signing.dumps([1, "x", 0, 0, 0, -1, 0], salt="gridgov.mobile.sync", key="not-the-key")
    assert get(phone("gaobo"), forged).status_code == 400
    theirs = get(phone("laogangfang_worker")).json()["cursor"]
    response = get(phone("gaobo"), theirs)
    assert response.status_code == 400


def test_a_withdrawn_role_answers_wipe(db):
    client = phone("gaobo")
    cursor = get(client).json()["cursor"]
    RoleAssignment.objects.filter(user__username="gaobo").delete()
    response = get(client, cursor)
    assert response.status_code == 403
    assert response.json()["code"] == "wipe"


def test_users_without_a_grid_role_have_nothing_to_sync(db):
    response = get(phone("huimin_admin"))
    assert response.status_code == 403
    assert response.json()["code"] == "wipe"


def test_a_new_grid_for_the_worker_resets_the_phone(db, node):
    client = phone("gaobo")
    _records, _removed, cursor, _ = sync_all(client)
    admin = User.objects.get(username="sysadmin")
    with acting_as(admin, channel="test"):
        assign_role(
            user=admin,
            person=User.objects.get(username="gaobo"),
            node=node("老缸房社区第一网格"),
            role=Role.PART_TIME_WORKER,
        )
    records, _removed, _cursor, answers = sync_all(client, cursor)
    assert answers[0]["reset"] is True
    assert any(r["id"] for r in answers[0]["records"])
    assert ids(records, "resident") >= set(
        Resident.objects.filter(
            path__startswith=node("老缸房社区第一网格").path, status__in=ACTIVE_STATUSES
        ).values_list("pk", flat=True)
    )


def test_a_building_moved_out_of_the_grid_resets_the_phone(db, grid):
    client = phone("gaobo")
    _records, _removed, cursor, _ = sync_all(client)
    building = Node.objects.filter(level=Level.BUILDING, parent=grid).first()
    other_grid = Node.objects.filter(level=Level.GRID, parent=grid.parent).exclude(pk=grid.pk).first()
    admin = User.objects.get(username="sysadmin")
    with acting_as(admin, channel="test"):
        hierarchy.move_node(building, other_grid, user=admin)
    records, _removed, _cursor, answers = sync_all(client, cursor)
    assert answers[0]["reset"] is True
    assert ("building", building.pk) not in records


def test_an_old_cursor_resets(db, settings):
    client = phone("gaobo")
    cursor = sync.Cursor.decode(get(client).json()["cursor"])
    cursor.issued -= settings.SYNC_CHANGE_RETENTION_DAYS * 86400
    assert get(client, cursor.encode()).json()["reset"] is True


def test_sync_needs_a_login(db):
    assert Client().get("/api/v1/sync").status_code == 401


def test_the_worker_prunes_old_changes(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from gridgov.mobile import changes
    from gridgov.mobile.models import SyncChange

    changes.log("resident", 1, "150100")
    SyncChange.objects.update(at=timezone.now() - timedelta(days=settings.SYNC_CHANGE_RETENTION_DAYS + 1))
    changes.log("resident", 2, "150100")
    assert changes.prune() >= 1
    assert list(SyncChange.objects.values_list("object_id", flat=True)) == [2]
