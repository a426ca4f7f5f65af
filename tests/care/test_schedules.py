"""Schedules follow the rules and the registry: shortest interval of a resident's tags, due at
once when never visited, last visit + interval afterwards, gone when the tags or the home go."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from gridgov.care import schedules, services
from gridgov.care.models import CareRule, CareSchedule
from gridgov.core.context import acting_as
from gridgov.registry import life_events
from gridgov.registry import services as registry


def test_a_tagged_resident_gets_the_shortest_interval_and_is_due_at_once(tagged):
    resident = tagged(["subsistence", "alone"])
    schedule = CareSchedule.objects.get(resident=resident)
    assert schedule.interval_days == 7
    assert schedule.tags == ["alone", "subsistence"]
    assert schedule.next_due == timezone.localdate()
    assert schedule.path == resident.path
    assert schedule.grid_id == resident.household.grid_id


def test_tags_without_a_rule_make_no_schedule(tagged):
    resident = tagged(["veteran"])
    assert not CareSchedule.objects.filter(resident=resident).exists()


def test_schedule_follows_tag_changes_and_leaving(tagged, user):
    gaobo = user("gaobo")
    resident = tagged(["subsistence"])
    assert CareSchedule.objects.get(resident=resident).interval_days == 90
    with acting_as(gaobo, channel="api"):
        registry.update_resident(resident, user=gaobo, version=resident.version, care_tags=["disabled"])
    assert CareSchedule.objects.get(resident=resident).interval_days == 30
    resident.refresh_from_db()
    with acting_as(gaobo, channel="api"):
        registry.update_resident(resident, user=gaobo, version=resident.version, care_tags=[])
    assert not CareSchedule.objects.filter(resident=resident).exists()
    resident.refresh_from_db()
    with acting_as(gaobo, channel="api"):
        registry.update_resident(resident, user=gaobo, version=resident.version, care_tags=["alone"])
    resident.refresh_from_db()
    assert CareSchedule.objects.filter(resident=resident).exists()
    with acting_as(gaobo, channel="api"):
        life_events.move_out(resident, user=gaobo, version=resident.version)
    assert not CareSchedule.objects.filter(resident=resident).exists()


def test_next_due_is_last_visit_plus_interval(db):
    today = timezone.localdate()
    last = timezone.now() - timedelta(days=10)
    assert schedules.next_due(last, 7, today) == timezone.localdate(last) + timedelta(days=7)
    assert schedules.next_due(None, 7, today) == today


def test_a_changed_rule_moves_every_schedule_and_only_city_admins_change_rules(tagged, user):
    resident = tagged(["subsistence"])
    rule = CareRule.objects.get(tag="subsistence")
    with pytest.raises(PermissionDenied):
        services.update_rule(rule, user=user("huimin_admin"), interval_days=60)
    services.update_rule(rule, user=user("city_admin"), interval_days=60)
    assert CareSchedule.objects.get(resident=resident).interval_days == 60
    services.update_rule(rule, user=user("city_admin"), active=False)
    assert not CareSchedule.objects.filter(resident=resident).exists()


def test_rebuild_agrees_with_the_registry(db):
    schedules.rebuild()
    again = schedules.rebuild()
    assert (again.created, again.updated, again.removed) == (0, 0, 0)
    assert CareSchedule.objects.count() > 100
