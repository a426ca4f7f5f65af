"""The patrol API as the phone and a leader use it: retries change nothing, refusals are 4xx
naming the field, a track is the worker's and their superiors' only, and a superior's view is
audited."""

import json
import uuid
from datetime import timedelta

from django.utils import timezone

from gridgov.audit.models import AuditEntry
from gridgov.events.models import Event
from gridgov.patrols import codes
from gridgov.patrols.models import Finding, Patrol, TrackPoint

from .conftest import walk


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def start(client, grid, key=None):
    started_at = (timezone.now() - timedelta(minutes=20)).isoformat()
    return post(
        client,
        "/api/v1/patrols",
        {"key": key or str(uuid.uuid4()), "grid_id": grid.pk, "started_at": started_at},
    )


def test_a_patrol_from_start_to_end_with_retries(api, grid, buildings):
    phone = api("gaobo")
    key = str(uuid.uuid4())
    first = start(phone, grid, key)
    assert first.status_code == 201, first.content
    assert start(phone, grid, key).status_code == 200  # the start sent again
    patrol_id = first.json()["id"]
    t0 = timezone.now() - timedelta(minutes=10)
    batch = {"seq": 0, "points": walk(buildings[0], 30, t0)}
    assert post(phone, f"/api/v1/patrols/{patrol_id}/points", batch).json()["duplicate"] is False
    assert post(phone, f"/api/v1/patrols/{patrol_id}/points", batch).json()["duplicate"] is True
    b = buildings[0]
    checkin = {"building_id": b.pk, "lng": b.lng, "lat": b.lat, "accuracy": 12}
    assert post(phone, f"/api/v1/patrols/{patrol_id}/checkins", checkin).status_code == 201
    assert post(phone, f"/api/v1/patrols/{patrol_id}/checkins", checkin).status_code == 200
    qr = post(phone, f"/api/v1/patrols/{patrol_id}/checkins", {"code": codes.qr_payload(buildings[1].code)})
    assert qr.status_code == 201
    assert qr.json()["method"] == "qr"
    ended = post(phone, f"/api/v1/patrols/{patrol_id}/end", {})
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["checkin_count"] == 2
    assert ended.json()["point_count"] == 30
    late = post(
        phone, f"/api/v1/patrols/{patrol_id}/points", {"seq": 1, "points": walk(b, 2, timezone.now())}
    )
    assert late.status_code == 409
    assert TrackPoint.objects.filter(patrol_id=patrol_id).count() == 30
    track = phone.get(f"/api/v1/patrols/{patrol_id}/track")
    assert track.status_code == 200
    assert track["Cache-Control"] == "no-store"
    assert len(track.json()["line"]) >= 2
    assert len(track.json()["checkins"]) == 2


def test_bad_input_is_a_400_naming_the_field(api, grid):
    phone = api("gaobo")
    assert post(phone, "/api/v1/patrols", {"grid_id": "x"}).json()["errors"].keys() == {"grid_id"}
    assert "key" in post(phone, "/api/v1/patrols", {"grid_id": grid.pk, "key": "nope"}).json()["errors"]
    patrol_id = start(phone, grid).json()["id"]
    bad = post(phone, f"/api/v1/patrols/{patrol_id}/points", {"seq": "one", "points": []})
    assert bad.status_code == 400
    assert "seq" in bad.json()["errors"]
    bad = phone.post(f"/api/v1/patrols/{patrol_id}/points", b"not json", content_type="application/json")
    assert bad.status_code == 400
    assert "body" in bad.json()["errors"]
    bad = post(phone, f"/api/v1/patrols/{patrol_id}/checkins", {"code": "hello"})
    assert bad.status_code == 400
    assert "code" in bad.json()["errors"]
    bad = post(phone, f"/api/v1/patrols/{patrol_id}/checkins", {})
    assert bad.status_code == 400
    assert "building_id" in bad.json()["errors"]


def test_a_check_in_outside_the_grid_is_a_403(api, grid, node):
    phone = api("gaobo")
    patrol_id = start(phone, grid).json()["id"]
    other = node("老缸房社区第一网格").children.filter(level="building").first()
    refused = post(phone, f"/api/v1/patrols/{patrol_id}/checkins", {"code": codes.qr_payload(other.code)})
    assert refused.status_code == 403
    assert "不在本次巡查的网格内" in refused.json()["detail"]


def test_a_track_is_hidden_from_outsiders_and_colleagues_and_audited_for_superiors(api, grid, buildings):
    phone = api("gaobo")
    patrol_id = start(phone, grid).json()["id"]
    post(
        phone,
        f"/api/v1/patrols/{patrol_id}/points",
        {"seq": 0, "points": walk(buildings[0], 5, timezone.now() - timedelta(minutes=5))},
    )
    url = f"/api/v1/patrols/{patrol_id}/track"
    for stranger in ("laogangfang_worker", "huimin_volunteer", "auditor"):
        assert api(stranger).get(url).status_code == 404, stranger
    # nobody else may add positions to it
    assert (
        post(
            api("laogangfang_worker"), f"/api/v1/patrols/{patrol_id}/points", {"seq": 1, "points": []}
        ).status_code
        == 404
    )
    chief = post(api("huimin_chief"), f"/api/v1/patrols/{patrol_id}/points", {"seq": 1, "points": []})
    assert chief.status_code == 403
    before = AuditEntry.objects.filter(action="read_sensitive", object_type="patrols.patrol").count()
    phone.get(url)  # the worker's own view is not a view of another person's track
    assert AuditEntry.objects.filter(action="read_sensitive", object_type="patrols.patrol").count() == before
    for superior in ("huimin_chief", "huimin_instructor", "huimin_admin", "saihan_admin"):
        assert api(superior).get(url).status_code == 200, superior
    viewed = AuditEntry.objects.filter(
        action="read_sensitive", object_type="patrols.patrol", object_id=str(patrol_id)
    )
    assert viewed.count() == before + 4


def test_a_report_during_the_patrol_is_linked_by_its_key(api, grid):
    phone = api("gaobo")
    patrol_id = start(phone, grid).json()["id"]
    report_key = str(uuid.uuid4())
    # the link may arrive before the report is written (the phone sends both when signal returns)
    link = post(phone, f"/api/v1/patrols/{patrol_id}/findings", {"kind": "event", "report_key": report_key})
    assert link.status_code == 201
    assert link.json()["event_id"] is None
    assert (
        post(
            phone, f"/api/v1/patrols/{patrol_id}/findings", {"kind": "event", "report_key": report_key}
        ).status_code
        == 200
    )
    report = post(
        phone,
        "/api/v1/events",
        {"category": "city.garbage", "description": "3号楼门口垃圾堆积", "grid_id": grid.pk},
        **{"Idempotency-Key": report_key},
    )
    assert report.status_code in (200, 201), report.content
    from gridgov.patrols.services import link_reported_findings

    assert link_reported_findings() == 1
    finding = Finding.objects.get(patrol_id=patrol_id)
    assert finding.event == Event.objects.get(pk=report.json()["id"])
    track = phone.get(f"/api/v1/patrols/{patrol_id}/track").json()
    assert track["findings"][0]["event_number"] == finding.event.number


def test_a_registry_update_is_linked_and_checked(api, grid):
    from gridgov.registry.models import Resident

    phone = api("gaobo")
    patrol_id = start(phone, grid).json()["id"]
    resident = Resident.objects.filter(path__startswith=grid.path).first()
    made = post(
        phone, f"/api/v1/patrols/{patrol_id}/findings", {"kind": "registry", "resident_id": resident.pk}
    )
    assert made.status_code == 201
    outsider = Resident.objects.exclude(path__startswith=grid.path[:12]).first()
    refused = post(
        phone, f"/api/v1/patrols/{patrol_id}/findings", {"kind": "registry", "resident_id": outsider.pk}
    )
    assert refused.status_code == 400
    assert "resident_id" in refused.json()["errors"]
    assert post(phone, f"/api/v1/patrols/{patrol_id}/findings", {"kind": "gossip"}).status_code == 400


def test_due_list_and_coverage(api, grid, buildings):
    phone = api("gaobo")
    patrol_id = start(phone, grid).json()["id"]
    due = phone.get("/api/v1/patrols/due").json()
    mine = next(g for g in due if g["grid_id"] == grid.pk)
    before = mine["due"]
    post(phone, f"/api/v1/patrols/{patrol_id}/checkins", {"code": codes.qr_payload(buildings[0].code)})
    mine = next(g for g in phone.get("/api/v1/patrols/due").json() if g["grid_id"] == grid.pk)
    assert mine["due"] == max(0, before - 1) or mine["due"] == before - 1
    assert next(b for b in mine["buildings"] if b["id"] == buildings[0].pk)["due"] is False
    # coverage: superiors only
    community = grid.parent
    assert phone.get(f"/api/v1/patrol-coverage?node_id={community.pk}").status_code in (403, 404)
    answer = api("huimin_admin").get(f"/api/v1/patrol-coverage?node_id={community.pk}")
    assert answer.status_code == 200, answer.content
    row = next(g for g in answer.json()["grids"] if g["grid_id"] == grid.pk)
    assert row["buildings"] == len(buildings)
    assert row["buildings_checked"] >= 1
    assert any(w["name"] == "高波" for w in answer.json()["workers"])
    bad = api("huimin_admin").get(f"/api/v1/patrol-coverage?node_id={community.pk}&start=2026-13-01")
    assert bad.status_code == 400
    assert "start" in bad.json()["errors"]
    assert Patrol.objects.filter(pk=patrol_id).exists()


def test_weekly_coverage_api(api, grid, node):
    community = grid.parent
    answer = api("huimin_admin").get(
        f"/api/v1/patrol-coverage/weekly?node_id={community.pk}&start=2026-11-02&end=2026-11-29"
    )
    assert answer.status_code == 200, answer.content
    assert "no-store" in answer["Cache-Control"]
    body = answer.json()
    assert body["weeks"] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    row = next(r for r in body["rows"] if r["node_id"] == grid.pk)
    assert row["kind"] == "grid"
    assert len(row["weeks"]) == 4
    assert len(body["totals"]) == 4
    assert all(0 <= c["share"] <= 1 for c in row["weeks"])
    township = node("昭乌达南路街道")
    county = api("zhaowuda_admin").get(f"/api/v1/patrol-coverage/weekly?node_id={township.parent_id}")
    assert county.status_code in (403, 404)  # a street's leader does not see the county
    area = api("zhaowuda_admin").get(f"/api/v1/patrol-coverage/weekly?node_id={township.pk}")
    assert area.status_code == 200
    assert {r["kind"] for r in area.json()["rows"]} <= {"grid"}
    for query, field in (
        ("start=2026-13-01", "start"),
        ("start=2026-12-01&end=2026-11-01", "start"),
        ("end=x", "end"),
        ("start=2024-01-01&end=2026-01-01", "start"),
    ):
        bad = api("huimin_admin").get(f"/api/v1/patrol-coverage/weekly?node_id={community.pk}&{query}")
        assert bad.status_code == 400, query
        assert field in bad.json()["errors"], query
    assert api("gaobo").get(f"/api/v1/patrol-coverage/weekly?node_id={community.pk}").status_code in (
        403,
        404,
    )
