"""Overdue visits are told to the grid's worker by the background worker: once per schedule per
due date, one notice per worker per pass, again when the next due date is missed too."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from gridgov.accounts.models import RoleAssignment
from gridgov.accounts.roles import Role
from gridgov.care import services
from gridgov.care.models import CareSchedule
from gridgov.notifications.models import Notice


@pytest.fixture(autouse=True)
def _seeded_schedules_already_told(db) -> None:
    """The demo's own overdue schedules are taken as told, so each test sees only its own."""
    CareSchedule.objects.update(overdue_notified_for=F("next_due"))


def _overdue(resident, days: int) -> CareSchedule:
    schedule = CareSchedule.objects.get(resident=resident)
    schedule.next_due = timezone.localdate() - timedelta(days=days)
    schedule.save()
    return schedule


def _worker_of(grid):
    return RoleAssignment.objects.get(node=grid, role=Role.GRID_WORKER).user


def test_an_overdue_visit_is_told_to_the_grid_worker_once(tagged, grid):
    worker = _worker_of(grid)
    resident = tagged(["alone"])
    schedule = _overdue(resident, 3)
    before = Notice.objects.filter(user=worker).count()
    assert services.notify_overdue_visits() == 1
    notice = Notice.objects.filter(user=worker).latest("pk")
    assert Notice.objects.filter(user=worker).count() == before + 1
    assert resident.name in notice.message
    assert "逾期" in notice.message
    assert notice.url == f"/app/#/visit/{schedule.pk}"
    assert notice.subject == schedule
    schedule.refresh_from_db()
    assert schedule.overdue_notified_for == schedule.next_due
    # The next passes tell nobody again about the same due date.
    assert services.notify_overdue_visits() == 0
    assert services.notify_overdue_visits(today=timezone.localdate() + timedelta(days=5)) == 0


def test_a_missed_next_due_date_is_told_again(tagged, grid, user):
    worker = _worker_of(grid)
    resident = tagged(["alone"])
    _overdue(resident, 2)
    assert services.notify_overdue_visits() == 1
    services.record_visit(user=user("gaobo"), resident=resident, method="phone", found="电话问候，一切正常")
    assert services.notify_overdue_visits() == 0  # visited: not overdue
    schedule = CareSchedule.objects.get(resident=resident)
    later = schedule.next_due + timedelta(days=1)
    assert services.notify_overdue_visits(today=later) == 1
    assert Notice.objects.filter(user=worker).latest("pk").message.count(resident.name) == 1


def test_several_overdue_visits_make_one_notice_naming_them(tagged, grid):
    worker = _worker_of(grid)
    people = [tagged(["alone"]) for _ in range(3)]
    for i, resident in enumerate(people):
        _overdue(resident, i + 1)
    assert services.notify_overdue_visits() == 1
    notice = Notice.objects.filter(user=worker).latest("pk")
    assert notice.message.startswith("3 位关爱对象走访已逾期")
    assert all(p.name in notice.message for p in people)
    assert notice.url == "/app/#/visits"


def test_a_grid_without_a_worker_tells_its_chief(tagged, grid):
    RoleAssignment.objects.filter(node=grid, role=Role.GRID_WORKER).delete()
    chief = RoleAssignment.objects.get(node=grid, role=Role.GRID_CHIEF).user
    resident = tagged(["alone"])
    _overdue(resident, 1)
    assert services.notify_overdue_visits() == 1
    assert resident.name in Notice.objects.filter(user=chief).latest("pk").message


def test_the_background_worker_sends_them(tagged, grid):
    worker = _worker_of(grid)
    resident = tagged(["alone"])
    _overdue(resident, 1)
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "'visit_overdue_notices': 1" in out.getvalue()
    assert resident.name in Notice.objects.filter(user=worker).latest("pk").message
