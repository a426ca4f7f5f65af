"""Recording a visit: the schedule moves on, the household is verified, a need becomes an event,
bad input names its field, outsiders are refused and logged."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry
from gridgov.care import selectors, services
from gridgov.care.models import CareSchedule, HomeVisit, Verification
from gridgov.core.errors import ConflictError


def test_a_visit_moves_the_schedule_and_verifies_the_household(tagged, user):
    resident = tagged(["alone"])
    visit = services.record_visit(user=user("gaobo"), resident=resident, method="in_person", found="身体健康")
    schedule = CareSchedule.objects.get(resident=resident)
    assert schedule.last_visit_at == visit.visited_at
    assert schedule.next_due == timezone.localdate() + timedelta(days=7)
    assert Verification.objects.get(household=resident.household).verified_at == visit.visited_at
    assert AuditEntry.objects.filter(
        action=Action.CREATE, object_type="care.homevisit", object_id=str(visit.pk)
    ).exists()


def test_a_need_becomes_an_event_of_the_grid(tagged, user):
    resident = tagged(["alone", "elderly"])
    visit = services.record_visit(user=user("gaobo"), resident=resident, method="phone", needs="需要助餐服务")
    assert visit.event is not None
    assert visit.event.grid_id == resident.household.grid_id
    assert visit.event.category.code == "civil.elderly"
    assert list(visit.event.residents.values_list("pk", flat=True)) == [resident.pk]


def test_bad_input_names_the_field(tagged, user):
    resident = tagged(["alone"])
    gaobo = user("gaobo")
    cases = [
        ({"method": "letter", "found": "x"}, "method"),
        ({"method": "phone"}, "found"),
        ({"method": "phone", "found": "x", "visited_at": timezone.now() + timedelta(hours=2)}, "visited_at"),
        ({"method": "phone", "found": "x", "visited_at": timezone.now() - timedelta(days=200)}, "visited_at"),
        ({"method": "phone", "needs": "x", "need_category": "nope"}, "need_category"),
    ]
    for kwargs, name in cases:
        with pytest.raises(ValidationError) as caught:
            services.record_visit(user=gaobo, resident=resident, **kwargs)
        assert name in caught.value.message_dict, (kwargs, caught.value)
    assert not HomeVisit.objects.filter(resident=resident).exists()


def test_an_outsider_is_refused_and_logged(tagged, user):
    resident = tagged(["alone"])
    with pytest.raises(PermissionDenied):
        services.record_visit(user=user("laogangfang_worker"), resident=resident, method="phone", found="x")
    assert AuditEntry.objects.filter(
        action=Action.DENIED, object_type="registry.resident", object_id=str(resident.pk)
    ).exists()


def test_a_visit_typed_offline_earlier_does_not_move_the_schedule_back(tagged, user):
    resident = tagged(["alone"])
    gaobo = user("gaobo")
    services.record_visit(user=gaobo, resident=resident, method="phone", found="今天")
    due = CareSchedule.objects.get(resident=resident).next_due
    services.record_visit(
        user=gaobo,
        resident=resident,
        method="in_person",
        found="上周",
        visited_at=timezone.now() - timedelta(days=6),
    )
    assert CareSchedule.objects.get(resident=resident).next_due == due
    assert HomeVisit.objects.filter(resident=resident).count() == 2


def test_a_resident_who_left_cannot_be_visited(tagged, user):
    from gridgov.core.context import acting_as
    from gridgov.registry import life_events

    resident = tagged(["alone"])
    gaobo = user("gaobo")
    with acting_as(gaobo, channel="api"):
        life_events.move_out(resident, user=gaobo, version=resident.version)
    with pytest.raises(ConflictError):
        services.record_visit(user=gaobo, resident=resident, method="phone", found="x")


def test_overdue_and_due_per_grid_and_worker(tagged, user, node):
    resident = tagged(["alone"])
    CareSchedule.objects.filter(resident=resident).update(next_due=timezone.localdate() - timedelta(days=3))
    rows = {r.node.name: r for r in selectors.due_by_child(user("huimin_admin"), node("惠民社区"))}
    first = rows["惠民社区第一网格"]
    assert first.overdue >= 1
    assert first.worker  # the grid's full-time worker
    due = list(selectors.due_visits(user("gaobo")))
    assert due[0].next_due <= timezone.localdate() - timedelta(days=3)
    assert resident.pk in {s.resident_id for s in due}
    # Outside the caller's scope nothing is counted.
    assert selectors.due_by_child(user("laogangfang_worker"), node("惠民社区")) == []


def test_stale_list_and_a_check_take_a_household_off_it(user, grid, household):
    gaobo = user("gaobo")
    services.stamp_verified(household, at=timezone.now() - timedelta(days=400), user=gaobo, source="check")
    Verification.objects.filter(household=household).update(verified_at=timezone.now() - timedelta(days=400))
    stale = selectors.stale_households(gaobo, grid)
    assert household in stale
    assert household not in selectors.stale_households(gaobo, grid, days=500)
    services.verify_household(user=gaobo, household=household)
    assert household not in selectors.stale_households(gaobo, grid)
    with pytest.raises(PermissionDenied):
        services.verify_household(user=user("laogangfang_worker"), household=household)


def test_a_hand_edit_stamps_the_household(tagged, user):
    from gridgov.core.context import acting_as
    from gridgov.registry import services as registry

    resident = tagged(["veteran"])
    Verification.objects.filter(household=resident.household).delete()
    gaobo = user("gaobo")
    with acting_as(gaobo, channel="api"):
        registry.update_resident(resident, user=gaobo, version=resident.version, note="电话已更新")
    assert Verification.objects.get(household=resident.household).source == "registry"


def test_hand_edits_stamp_a_household_once_a_day(tagged, user):
    """Correcting a household's members one after another verifies it once that day (one row
    and one audit entry, not one per edit); an older stamp is brought to today; a check or a
    visit stamps each time."""
    from gridgov.core.context import acting_as
    from gridgov.registry import services as registry

    first, second = tagged(["veteran"]), tagged(["veteran"])
    household = first.household
    Verification.objects.filter(household=household).delete()
    gaobo = user("gaobo")
    with acting_as(gaobo, channel="api"):
        registry.update_resident(first, user=gaobo, version=first.version, note="电话已更新")
        stamp = Verification.objects.get(household=household)
        assert stamp.verified_by == gaobo
        registry.update_resident(second, user=gaobo, version=second.version, note="已核对")
    again = Verification.objects.get(household=household)
    assert again.verified_at == stamp.verified_at
    assert AuditEntry.objects.filter(object_type="care.verification", object_id=str(stamp.pk)).count() == 1
    Verification.objects.filter(pk=stamp.pk).update(verified_at=timezone.now() - timedelta(days=2))
    with acting_as(gaobo, channel="api"):
        registry.update_resident(first, user=gaobo, version=first.version + 1, note="再次核对")
    assert timezone.localdate(Verification.objects.get(pk=stamp.pk).verified_at) == timezone.localdate()
    checked = services.verify_household(user=gaobo, household=household)
    assert checked.source == "check"
    assert checked.verified_at > stamp.verified_at
