"""Patrol rules: start, positions in idempotent batches, check-ins by position or code, end,
findings, and the refusals (another's patrol, after the end, outside the grid, too far)."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.audit.models import AuditEntry
from gridgov.core.errors import ConflictError
from gridgov.hierarchy.models import Node
from gridgov.patrols import codes, services
from gridgov.patrols.models import BuildingCoverage, CheckIn, Patrol, PatrolRule, TrackPoint

from .conftest import walk


def test_start_is_idempotent_by_the_phones_key(gaobo, grid):
    key = str(uuid.uuid4())
    first, created = services.start_patrol(user=gaobo, grid=grid, key=key)
    again, created_again = services.start_patrol(user=gaobo, grid=grid, key=key)
    assert created
    assert not created_again
    assert first.pk == again.pk
    assert (first.path, first.county_code) == (grid.path, grid.county_code)
    assert Patrol.objects.filter(worker=gaobo, key=key).count() == 1


def test_a_worker_cannot_patrol_another_grid(user, node):
    with pytest.raises(PermissionDenied):
        services.start_patrol(user=user("laogangfang_worker"), grid=node("惠民社区第一网格"))


def test_a_new_patrol_ends_the_one_left_open(gaobo, started):
    old = started(minutes_ago=120)
    new = started(minutes_ago=5)
    old.refresh_from_db()
    assert old.status == "ended"
    assert new.status == "active"


def test_a_batch_sent_twice_is_stored_once(gaobo, started, buildings):
    patrol = started()
    points = walk(buildings[0], 20, patrol.started_at + timedelta(minutes=1))
    first = services.add_points(user=gaobo, patrol=patrol, seq=1, points=points)
    again = services.add_points(user=gaobo, patrol=patrol, seq=1, points=points)
    assert (first.stored, first.duplicate, again.duplicate) == (20, False, True)
    assert TrackPoint.objects.filter(patrol=patrol).count() == 20
    assert again.point_count == 20
    # 19 steps of about 2 m
    assert 30 < first.distance_m < 45
    with pytest.raises(ConflictError):
        services.add_points(user=gaobo, patrol=patrol, seq=1, points=points[:5])


def test_a_large_batch_is_stored_whole_and_continues_the_walk(gaobo, started, buildings):
    """A batch above one INSERT statement's rows is stored whole; the next batch's distance
    starts from the last stored position; one audit row per batch, not per position."""
    patrol = started(minutes_ago=60)
    points = walk(
        buildings[0], 2 * services.INSERT_ROWS + 50, patrol.started_at + timedelta(minutes=1), step_s=1
    )
    audit_before = AuditEntry.objects.filter(object_type="patrols.patrol", object_id=str(patrol.pk)).count()
    first = services.add_points(user=gaobo, patrol=patrol, seq=1, points=points[:-10])
    second = services.add_points(user=gaobo, patrol=patrol, seq=2, points=points[-10:])
    assert (first.stored, second.stored) == (len(points) - 10, 10)
    assert TrackPoint.objects.filter(patrol=patrol).count() == len(points) == second.point_count
    stored = list(TrackPoint.objects.filter(patrol=patrol).order_by("at").values_list("lng", "accuracy_m"))
    assert stored[0] == (points[0]["lng"], 8.0)
    assert stored[-1][0] == pytest.approx(points[-1]["lng"])
    # every 2 m step counted once, the step between the two batches too
    assert second.distance_m == pytest.approx(2.0 * (len(points) - 1), rel=0.03)
    ended = services.end_patrol(user=gaobo, patrol=patrol)
    assert ended.distance_m == pytest.approx(second.distance_m, rel=0.001)
    audit_after = AuditEntry.objects.filter(object_type="patrols.patrol", object_id=str(patrol.pk)).count()
    assert audit_after - audit_before == 3  # two batches and the end


def test_positions_only_during_the_workers_own_patrol(gaobo, user, started, buildings):
    patrol = started()
    points = walk(buildings[0], 3, patrol.started_at + timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        services.add_points(user=user("huimin_chief"), patrol=patrol, seq=1, points=points)
    with pytest.raises(ValidationError) as error:
        services.add_points(
            user=gaobo,
            patrol=patrol,
            seq=2,
            points=walk(buildings[0], 2, patrol.started_at - timedelta(hours=2)),
        )
    assert "points[0].at" in error.value.message_dict
    services.end_patrol(user=gaobo, patrol=patrol)
    with pytest.raises(ConflictError):
        services.add_points(user=gaobo, patrol=patrol, seq=3, points=points)
    assert TrackPoint.objects.filter(patrol=patrol).count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "points"),
        ("x", "points"),
        ([{"at": "yesterday", "lng": 111, "lat": 40}], "points[0].at"),
        ([{"at": None, "lng": 111, "lat": 40}], "points[0].at"),
        ([{"at": "NOW", "lng": 500, "lat": 40}], "points[0].lng"),
        ([{"at": "NOW", "lng": 111, "lat": "north"}], "points[0].lat"),
    ],
)
def test_bad_positions_are_named(gaobo, started, body, field):
    patrol = started()
    if isinstance(body, list):
        body = [{**p, "at": timezone.now().isoformat()} if p.get("at") == "NOW" else p for p in body]
    with pytest.raises(ValidationError) as error:
        services.add_points(user=gaobo, patrol=patrol, seq=1, points=body)
    assert field in error.value.message_dict


def test_end_computes_distance_and_a_simplified_track(gaobo, started, buildings):
    patrol = started()
    # a straight line: simplified to its two ends
    services.add_points(user=gaobo, patrol=patrol, seq=1, points=walk(buildings[0], 50, patrol.started_at))
    ended = services.end_patrol(user=gaobo, patrol=patrol)
    assert ended.status == "ended"
    assert ended.point_count == 50
    assert 90 < ended.distance_m < 110
    assert len(ended.track) == 2
    assert ended.duration_s is not None
    assert ended.duration_s >= 490
    assert services.end_patrol(user=gaobo, patrol=patrol).version == ended.version  # again: nothing changes


def test_check_in_by_position_within_the_rules_radius(gaobo, started, buildings):
    patrol = started()
    b = buildings[0]
    seeded = BuildingCoverage.objects.filter(building=b).values_list("checkins", flat=True).first() or 0
    checkin, created = services.check_in(
        user=gaobo, patrol=patrol, building_id=b.pk, lng=b.lng, lat=b.lat, accuracy=10
    )
    again, created_again = services.check_in(
        user=gaobo, patrol=patrol, building_id=b.pk, lng=b.lng, lat=b.lat
    )
    assert created
    assert not created_again
    assert checkin.pk == again.pk
    assert (checkin.method, checkin.path) == ("geofence", b.path)
    coverage = BuildingCoverage.objects.get(building=b)
    assert coverage.checkins == seeded + 1
    assert coverage.grid_id == patrol.grid_id
    assert coverage.last_checkin_at == checkin.at
    patrol.refresh_from_db()
    assert patrol.checkin_count == 1


def test_check_in_too_far_is_refused_naming_the_distance(gaobo, started, buildings):
    patrol = started()
    b = buildings[1]
    far = b.lng + 300 / 85_000  # ~300 m east
    with pytest.raises(ValidationError) as error:
        services.check_in(user=gaobo, patrol=patrol, building_id=b.pk, lng=far, lat=b.lat, accuracy=5)
    assert "lng" in error.value.message_dict
    assert "米" in error.value.message_dict["lng"][0]
    # a larger radius for this grid kind lets it in
    PatrolRule.objects.filter(grid_kind=patrol.grid.grid_kind or "basic").update(radius_m=400)
    services.check_in(user=gaobo, patrol=patrol, building_id=b.pk, lng=far, lat=b.lat, accuracy=5)


def test_check_in_by_qr_or_typed_code(gaobo, started, buildings):
    patrol = started()
    scanned, _ = services.check_in(user=gaobo, patrol=patrol, code=codes.qr_payload(buildings[0].code))
    typed, _ = services.check_in(
        user=gaobo, patrol=patrol, code=codes.display_short(buildings[1].code).lower()
    )
    assert (scanned.building_id, scanned.method) == (buildings[0].pk, "qr")
    assert (typed.building_id, typed.method) == (buildings[1].pk, "code")
    forged = f"{codes.PREFIX}:{buildings[2].code}:AAAAAA"
    with pytest.raises(ValidationError):
        services.check_in(user=gaobo, patrol=patrol, code=forged)


def test_check_in_outside_the_grid_is_refused_and_logged(gaobo, started, node):
    patrol = started()
    other = Node.objects.filter(parent=node("老缸房社区第一网格"), level="building").first()
    before = AuditEntry.objects.filter(action="denied").count()
    with pytest.raises(PermissionDenied) as error:
        services.check_in(user=gaobo, patrol=patrol, code=codes.qr_payload(other.code))
    assert "不在本次巡查的网格内" in str(error.value)
    with pytest.raises(PermissionDenied):
        services.check_in(user=gaobo, patrol=patrol, building_id=other.pk, lng=other.lng, lat=other.lat)
    assert AuditEntry.objects.filter(action="denied").count() > before
    assert not CheckIn.objects.filter(patrol=patrol).exists()


def test_no_check_in_after_the_end(gaobo, started, buildings):
    patrol = started()
    services.end_patrol(user=gaobo, patrol=patrol)
    with pytest.raises(ConflictError):
        services.check_in(user=gaobo, patrol=patrol, code=codes.qr_payload(buildings[0].code))


def test_purge_removes_old_positions_and_keeps_the_statistics(gaobo, started, buildings, settings):
    settings.PATROL_TRACK_KEEP_DAYS = 90
    patrol = started()
    services.add_points(user=gaobo, patrol=patrol, seq=1, points=walk(buildings[0], 10, patrol.started_at))
    services.check_in(user=gaobo, patrol=patrol, code=codes.qr_payload(buildings[0].code))
    services.end_patrol(user=gaobo, patrol=patrol)
    services.purge_tracks(now=timezone.now() + timedelta(days=89))  # older (seeded) patrols go
    patrol.refresh_from_db()
    assert not patrol.track_purged
    assert TrackPoint.objects.filter(patrol=patrol).count() == 10
    assert services.purge_tracks(now=timezone.now() + timedelta(days=91)) >= 1
    patrol.refresh_from_db()
    assert patrol.track == []
    assert patrol.track_purged
    assert not TrackPoint.objects.filter(patrol=patrol).exists()
    assert patrol.distance_m > 0
    assert CheckIn.objects.filter(patrol=patrol).count() == 1
    assert AuditEntry.objects.filter(object_type="patrols.trackpoint", action="delete").exists()
