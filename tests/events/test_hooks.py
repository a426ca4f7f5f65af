"""The intake's side effects are explicit: an audit row per written row as its reporter, and the
handlers other apps registered (disputes, the phone app's change log) for every batch."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.audit.models import AuditEntry
from gridgov.core.context import acting_as
from gridgov.events import hooks
from gridgov.events.models import EventPhoto, EventStep
from tests.events.conftest import PNG


def test_a_report_audits_each_row_it_writes_as_the_reporter(story: Any) -> None:
    before = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    with acting_as(story["gaobo"], channel="api"):
        event = story.report(photos=[SimpleUploadedFile("a.png", PNG, "image/png")])
    rows = AuditEntry.objects.filter(seq__gt=before, action="create")
    step = EventStep.objects.get(event=event, action="report")
    photo = EventPhoto.objects.get(event=event)
    logged = {(r.object_type, r.object_id) for r in rows}
    assert {
        ("events.event", str(event.pk)),
        ("events.eventstep", str(step.pk)),
        ("events.eventphoto", str(photo.pk)),
    } <= logged
    event_row = rows.get(object_type="events.event", object_id=str(event.pk))
    assert event_row.actor_name == "gaobo"
    assert event_row.changes["number"] == [None, event.number]
    # Written once, not once by the service and again by a model signal.
    assert rows.filter(object_type="events.event", object_id=str(event.pk)).count() == 1


def test_registered_handlers_see_every_reported_batch(story: Any) -> None:
    seen: list[list[int]] = []

    def handler(events: Any) -> None:
        seen.append([e.pk for e in events])

    hooks.on_reported(handler)
    try:
        event = story.report()
    finally:
        hooks._on_reported.remove(handler)
    assert seen == [[event.pk]]


def test_the_apps_above_events_registered_their_handlers() -> None:
    names = {f"{h.__module__}.{h.__qualname__}" for h in hooks._on_reported}
    assert "gridgov.disputes.signals.rate_reported_events" in names
    assert "gridgov.mobile.changes.log_created" in names
