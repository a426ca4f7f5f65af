"""The background worker: overdue flag, automatic escalation up the chain, notifications. Time is
moved by passing `now`; nothing sleeps."""

from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from gridgov.events.models import Event
from gridgov.events.worker import run_once
from gridgov.notifications.models import Notice


def test_overdue_report_is_flagged_and_escalated_up_to_the_city(story: Any) -> None:
    start = timezone.now()
    event = story.report("heating.pipe_burst", now=start)  # calendar hours: 1 h to accept
    assert event.due_at == start + timedelta(hours=1)

    result = run_once(start + timedelta(minutes=30))
    event.refresh_from_db()
    assert not event.overdue
    assert event.number not in result.marked_overdue

    later = start + timedelta(hours=1, minutes=1)
    result = run_once(later)
    event.refresh_from_db()
    assert event.overdue
    assert event.number in result.marked_overdue
    assert event.number in result.escalated
    assert event.handling_node.name == "昭乌达南路街道"
    assert event.escalations == 1
    assert event.due_at == later + timedelta(hours=1)  # a fresh window for the street
    step = event.steps.order_by("-pk").first()
    assert step is not None
    assert step.action == "escalate"
    assert step.actor is None
    assert step.data["automatic"]
    assert Notice.objects.filter(event=event, user=story["huimin_admin"], message__contains="超期").exists()
    assert Notice.objects.filter(event=event, user=story["zhaowuda_admin"], message__contains="上报").exists()

    # Nothing more happens until the street's window passes too…
    assert event.number not in run_once(later + timedelta(minutes=30)).escalated
    # …then it climbs again: county, then city, and stops there.
    run_once(later + timedelta(hours=1, minutes=1))
    run_once(later + timedelta(hours=2, minutes=2))
    event.refresh_from_db()
    assert event.handling_node.name == "呼和浩特市"
    assert event.escalations == 3
    assert event.number not in run_once(later + timedelta(hours=10)).escalated
    event.refresh_from_db()
    assert event.escalations == 3
    assert event.overdue


def test_late_acknowledgement_escalates_and_tells_the_department(story: Any) -> None:
    start = timezone.now()
    event = story.in_state("dispatched", now=start)
    run_once(event.due_at + timedelta(minutes=1))
    event.refresh_from_db()
    assert event.overdue
    assert event.escalations == 1
    assert Notice.objects.filter(event=event, user=story["heating_staff"], message__contains="超期").exists()
    # Acknowledging late clears the flag: the next deadline (resolve) is still ahead.
    story.act(event, "acknowledge", "heating_staff", now=event.due_at)
    assert not event.overdue


def test_suspended_and_closed_events_are_left_alone(story: Any) -> None:
    start = timezone.now()
    suspended = story.in_state("suspended", now=start)
    closed = story.in_state("closed", now=start)
    result = run_once(start + timedelta(days=30))
    assert suspended.number not in result.marked_overdue
    assert closed.number not in result.marked_overdue
    suspended.refresh_from_db()
    assert not suspended.overdue
    assert suspended.escalations == 0


def test_a_co_handler_late_to_acknowledge_is_reminded_once(story: Any) -> None:
    start = timezone.now()
    event = story.in_state("in_progress", now=start)
    co = event.assignments.get(role="co")
    moment = co.ack_due_at + timedelta(minutes=1)
    assert run_once(moment).reminded_co_handlers == 1
    assert run_once(moment + timedelta(minutes=5)).reminded_co_handlers == 0
    assert Notice.objects.filter(
        event=event, user=story["huimin_security"], message__contains="协办"
    ).exists()


def test_worker_command_once(story: Any) -> None:
    event = story.report(now=timezone.now() - timedelta(hours=3))
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "marked_overdue" in out.getvalue()
    assert Event.objects.get(pk=event.pk).overdue
