"""The one notice writer: once per person, not to who acted, about a subject, in one INSERT."""

from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.events.models import Event
from gridgov.notifications import selectors, services
from gridgov.notifications.models import Notice, state_field


def test_notify_once_per_person_and_not_to_who_acted(user: Any) -> None:
    gaobo, admin, chief = user("gaobo"), user("huimin_admin"), user("huimin_chief")
    event = Event.objects.filter(path__under=admin.principal.assignments[0].path).first()
    before = Notice.objects.count()
    with CaptureQueriesContext(connection) as queries:
        told = services.notify([gaobo, gaobo.pk, admin, chief], "测试通知", subject=event, exclude=chief)
    assert told == 2
    assert Notice.objects.count() == before + 2
    assert sum("INSERT" in q["sql"] for q in queries.captured_queries) == 1
    notice = Notice.objects.about(event).get(user=gaobo, message="测试通知")
    assert notice.url == f"/events/{event.pk}/"
    assert Notice.objects.filter(event=event, user=admin, message="测试通知").exists()


def test_messages_are_cut_to_the_column(user: Any) -> None:
    services.notify([user("gaobo")], "长" * 500)
    assert Notice.objects.filter(user=user("gaobo"), message="长" * 300).exists()


def test_mark_read_touches_only_ones_own_notices(user: Any) -> None:
    gaobo, admin = user("gaobo"), user("huimin_admin")
    services.notify([gaobo, admin], "读我")
    mine = Notice.objects.get(user=gaobo, message="读我")
    theirs = Notice.objects.get(user=admin, message="读我")
    assert services.mark_read(user=gaobo, notice_ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert selectors.unread_count(admin) >= 1
    services.mark_read(user=admin)
    assert selectors.unread_count(admin) == 0


def test_a_notice_stops_asking_once_its_subject_moved_on(user: Any) -> None:
    admin = user("huimin_admin")
    event = Event.objects.filter(state="reported").first()
    assert event is not None
    services.notify([admin], "请受理", subject=event, awaiting="reported")
    services.notify([admin], "仅供参考", subject=event)
    views = {v.message: v for v in selectors.views_of(list(selectors.notices_of(admin)[:50]))}
    assert views["请受理"].actionable
    assert not views["请受理"].done
    assert not views["仅供参考"].actionable
    assert not views["仅供参考"].done
    Event.objects.filter(pk=event.pk).update(state="accepted")
    views = {v.message: v for v in selectors.views_of(list(selectors.notices_of(admin)[:50]))}
    assert not views["请受理"].actionable
    assert views["请受理"].done


def test_a_notice_can_wait_only_on_a_state_its_subject_holds(user: Any) -> None:
    """Checked when written: an inbox read never meets a subject without that state."""
    admin = user("huimin_admin")
    event = Event.objects.first()
    assert event is not None
    with pytest.raises(ValueError, match="no state"):
        services.notify([admin], "x", subject=event, awaiting="no-such-state")
    with pytest.raises(FieldDoesNotExist):
        services.notify([admin], "x", subject=admin, awaiting="active")  # a user has no state
    with pytest.raises(ValueError, match="needs a subject"):
        services.notify([admin], "x", awaiting="reported")
    assert not Notice.objects.filter(message="x").exists()


def test_subjects_whose_state_has_another_name_are_read_by_it(user: Any) -> None:
    """A task waits on its admission, an assessment on its status, a dispute on its outcome."""
    from gridgov.assessment.models import Assessment
    from gridgov.disputes.models import Dispute
    from gridgov.tasks.models import Task

    admin = user("huimin_admin")
    subjects = [Task.objects.first(), Assessment.objects.first(), Dispute.objects.exclude(outcome="").first()]
    for subject in subjects:
        assert subject is not None, "the demo city has one of each"
        current = getattr(subject, state_field(type(subject)))
        services.notify([admin], f"等待 {subject._meta.label}", subject=subject, awaiting=str(current))
    views = {v.message: v for v in selectors.views_of(list(selectors.notices_of(admin)[:50]))}
    for subject in subjects:
        assert views[f"等待 {subject._meta.label}"].actionable
