"""Queued intake: `queue_report` checks a report and stores it with its key; `write_queued_reports`
(the worker) writes the queue in batches as the same events `report_event` makes, as the reporter,
under the request the report came in with."""

import os
import threading
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.audit.models import AuditEntry
from gridgov.core.context import acting_as
from gridgov.core.errors import ConflictError
from gridgov.disputes.models import Dispute
from gridgov.events import intake, queue
from gridgov.events.models import Category, Event, EventPhoto, EventStep, IdempotencyKey, State
from gridgov.hierarchy.models import Node
from gridgov.notifications.models import Notice
from gridgov.registry.models import Resident


def _queue(
    story: Any,
    key: str,
    *,
    username: str = "gaobo",
    ip: str = "10.0.0.7",
    request_id: str = "req-1",
    **extra: Any,
) -> intake.Receipt:
    """Queue gaobo's report the way the API does: under the request's actor context."""
    args: dict[str, Any] = {
        "category": "heating.pipe_burst",
        "description": "6号楼供热管道爆裂",
        "lng": story.grid.lng,
        "lat": story.grid.lat,
        "channel": "api",
        **extra,
    }
    with acting_as(story[username], channel="api", ip=ip, request_id=request_id):
        return queue.queue_report(user=story[username], idempotency_key=key, **args)


def _write(limit: int = queue.QUEUE_BATCH) -> queue.QueueResult:
    """Run the worker's write under its own context (not the reporter's)."""
    with acting_as(None, channel="worker", username="system:worker", request_id="worker-pass"):
        return queue.write_queued_reports(limit)


def _counts() -> tuple[int, int]:
    return IdempotencyKey.objects.count(), Event.objects.count()


def _stored_files(settings: Any) -> list[str]:
    root = str(settings.MEDIA_ROOT)
    if not os.path.exists(root):
        return []
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _s, files in os.walk(root) for f in files)


def test_a_queued_report_is_written_as_report_event_would_write_it(story: Any) -> None:
    accepted = timezone.now() - timedelta(minutes=3)
    receipt = _queue(story, "q-1", now=accepted)
    assert receipt == intake.Receipt(key="q-1", state="queued", accepted_at=accepted)
    row = IdempotencyKey.objects.get(user=story["gaobo"], key="q-1")
    assert row.event_id is None
    assert row.payload is not None
    assert row.error == ""
    assert not Event.objects.filter(reporter=story["gaobo"], created_at=accepted).exists()

    result = _write()
    assert result.written == 1
    assert result.failed == 0
    row.refresh_from_db()
    assert row.event_id is not None
    assert row.payload is None
    assert row.error == ""
    event = Event.objects.select_related("grid", "handling_node", "category").get(pk=row.event_id)

    # The same report made synchronously at the same moment, for comparison.
    direct, created = intake.report_event(
        user=story["gaobo"],
        category="heating.pipe_burst",
        description="6号楼供热管道爆裂",
        lng=story.grid.lng,
        lat=story.grid.lat,
        channel="api",
        now=accepted,
    )
    assert created
    fields = [
        "category_id",
        "description",
        "severity",
        "state",
        "is_open",
        "grid_id",
        "handling_node_id",
        "path",
        "county_code",
        "lng",
        "lat",
        "address",
        "reporter_id",
        "channel",
        "created_at",
        "due_at",
        "resolve_due_at",
        "overdue",
        "version",
    ]
    assert {f: getattr(event, f) for f in fields} == {f: getattr(direct, f) for f in fields}
    assert event.category.code == "heating.pipe_burst"
    assert event.grid == story.grid
    assert event.handling_node.name == "惠民社区"
    assert event.handling_node == story.grid.parent
    assert event.path == story.grid.path
    assert event.county_code == story.grid.county_code
    assert event.state == State.REPORTED
    assert event.channel == "api"
    assert event.reporter == story["gaobo"]
    assert event.created_at == accepted
    assert event.due_at == accepted + timedelta(hours=event.category.ack_hours)  # calendar hours
    assert event.resolve_due_at == accepted + timedelta(hours=event.category.resolve_hours)
    assert event.number.startswith("SJ")
    assert event.number != direct.number

    step = EventStep.objects.get(event=event)
    assert (step.action, step.from_state, step.to_state, step.at, step.actor_id) == (
        "report",
        "",
        State.REPORTED,
        accepted,
        story["gaobo"].pk,
    )
    assert step.data == {"channel": "api"}
    assert Notice.objects.filter(
        event=event, user=story["huimin_admin"], message__contains=event.number
    ).exists()

    for object_type, pk in (("events.event", event.pk), ("events.eventstep", step.pk)):
        entry = AuditEntry.objects.get(object_type=object_type, object_id=str(pk), action="create")
        assert entry.success
        assert (entry.actor_id, entry.actor_name) == (story["gaobo"].pk, "gaobo")
        assert (entry.request_id, entry.ip, entry.channel) == ("req-1", "10.0.0.7", "api")
    # Nothing of the report is logged as the worker.
    assert not AuditEntry.objects.filter(request_id="worker-pass").exists()


def test_retries_of_a_queued_report_get_the_same_receipt_then_the_event(story: Any) -> None:
    first = _queue(story, "q-retry")
    later = timezone.now() + timedelta(seconds=5)
    for _ in range(3):
        again = _queue(story, "q-retry", now=later, request_id="req-retry")
        assert again == first
        assert again.state == "queued"
        assert again.event is None
    assert IdempotencyKey.objects.filter(key="q-retry").count() == 1
    assert intake.receipt_for(story["gaobo"], "q-retry") == first

    assert _write().written == 1
    receipt = intake.receipt_for(story["gaobo"], "q-retry")
    assert receipt is not None
    assert receipt.state == "created"
    assert receipt.event is not None
    assert receipt.accepted_at == first.accepted_at
    assert receipt.error == ""
    event = receipt.event
    # A retry after the write answers with that event; nothing more is queued or written.
    replayed = _queue(story, "q-retry")
    assert replayed.state == "created"
    assert replayed.event is not None
    assert replayed.event.pk == event.pk
    assert IdempotencyKey.objects.filter(key="q-retry").count() == 1
    assert _write().written == 0
    assert Event.objects.filter(reporter=story["gaobo"], description="6号楼供热管道爆裂").count() == 1
    # The synchronous path replays it too.
    again, created = intake.report_event(
        user=story["gaobo"],
        category="heating.pipe_burst",
        description="6号楼供热管道爆裂",
        lng=story.grid.lng,
        lat=story.grid.lat,
        idempotency_key="q-retry",
        channel="api",
    )
    assert again.pk == event.pk
    assert not created


def test_same_key_with_another_body_is_refused(story: Any) -> None:
    _queue(story, "q-conflict")
    before = _counts()
    with pytest.raises(ConflictError) as exc:
        _queue(story, "q-conflict", description="另一件事")
    assert "Idempotency-Key" in exc.value.message
    assert exc.value.extra["idempotency_key"] == "q-conflict"
    assert _counts() == before
    # Also after the first one is written (the error then names its event).
    _write()
    with pytest.raises(ConflictError) as exc:
        _queue(story, "q-conflict", description="另一件事")
    assert exc.value.extra["event_number"] == IdempotencyKey.objects.get(key="q-conflict").event.number


def test_keys_are_per_user(story: Any) -> None:
    mine = _queue(story, "shared")
    theirs = _queue(story, "shared", username="huimin_admin", description="别人的事")
    assert mine.state == theirs.state == "queued"
    assert IdempotencyKey.objects.filter(key="shared").count() == 2
    assert _write().written == 2
    assert intake.receipt_for(story["gaobo"], "shared").event.reporter == story["gaobo"]  # type: ignore[union-attr]
    assert intake.receipt_for(story["huimin_admin"], "shared").event.reporter == story["huimin_admin"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("extra", "error", "field"),
    [
        ({"category": "no.such.category"}, ValidationError, "category"),
        ({"lng": 116.4, "lat": 39.9}, ValidationError, "location"),  # Beijing, outside the city
        ({"lng": None, "lat": None}, ValidationError, "location"),
        ({"description": "  "}, ValidationError, "description"),
        ({"description": "长" * 2001}, ValidationError, "description"),
        (
            {"photos": [SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")]},
            ValidationError,
            "photos",
        ),
        ({"resident_ids": [999999999]}, ValidationError, "resident_ids"),
        ({"idempotency_key": None}, ValidationError, "idempotency_key"),
        ({"idempotency_key": "   "}, ValidationError, "idempotency_key"),
        ({"idempotency_key": "k" * 101}, ValidationError, "idempotency_key"),
    ],
)
def test_bad_input_is_refused_at_once_and_nothing_is_stored(
    story: Any, settings: Any, extra: dict[str, Any], error: type[Exception], field: str
) -> None:
    before, files = _counts(), _stored_files(settings)
    args: dict[str, Any] = {
        "user": story["gaobo"],
        "category": "heating.pipe_burst",
        "description": "管道爆裂",
        "lng": story.grid.lng,
        "lat": story.grid.lat,
        "idempotency_key": "q-bad",
        **extra,
    }
    with pytest.raises(ValidationError) as exc:
        queue.queue_report(**args)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert all(exc.value.message_dict[field]), exc.value.message_dict
    assert _counts() == before
    assert _stored_files(settings) == files
    assert intake.receipt_for(story["gaobo"], str(args["idempotency_key"] or "q-bad")) is None


def test_a_grid_outside_the_reporters_scope_is_refused(
    story: Any, node: Any, settings: Any, images: Any
) -> None:
    before = _counts()
    other = node("惠民社区第二网格")
    with pytest.raises(PermissionDenied) as exc:
        queue.queue_report(
            user=story["gaobo"],
            category="water.leak",
            description="漏水",
            grid=other,
            idempotency_key="q-scope",
            photos=[SimpleUploadedFile("a.png", images["png"])],
        )
    assert "惠民社区第二网格" in str(exc.value)
    outside = node("老缸房社区第一网格")
    with pytest.raises(PermissionDenied):
        queue.queue_report(
            user=story["gaobo"],
            category="water.leak",
            description="漏水",
            lng=outside.lng,
            lat=outside.lat,
            idempotency_key="q-scope",
        )
    # Department staff report nothing.
    with pytest.raises(PermissionDenied):
        queue.queue_report(
            user=story["heating_staff"],
            category="water.leak",
            description="漏水",
            grid=story.grid,
            idempotency_key="q-scope",
        )
    assert _counts() == before
    assert _stored_files(settings) == []


def test_a_report_that_cannot_be_written_is_marked_failed(story: Any, settings: Any, images: Any) -> None:
    good = _queue(story, "q-good")
    _queue(
        story,
        "q-bad-grid",
        request_id="req-bad",
        description="另一件事",
        photos=[SimpleUploadedFile("a.png", images["png"], "image/png")],
    )
    assert len(_stored_files(settings)) == 1
    bad_row = IdempotencyKey.objects.get(key="q-bad-grid")
    bad_row.payload = {**bad_row.payload, "grid": 999999999}  # the grid went away meanwhile
    bad_row.save(update_fields=["payload"])
    events_before = Event.objects.count()

    result = _write()
    assert (result.written, result.failed) == (1, 1)
    assert Event.objects.count() == events_before + 1
    written = intake.receipt_for(story["gaobo"], "q-good")
    assert written is not None
    assert written.state == "created"
    assert written.accepted_at == good.accepted_at

    bad_row.refresh_from_db()
    assert bad_row.payload is None
    assert bad_row.event_id is None
    assert "网格已被删除" in bad_row.error
    receipt = intake.receipt_for(story["gaobo"], "q-bad-grid")
    assert receipt is not None
    assert receipt.state == "failed"
    assert receipt.event is None
    assert "网格已被删除" in receipt.error
    # The reporter is told, the log has an unsuccessful row, and the photo file is removed.
    notice = Notice.objects.get(user=story["gaobo"], message__contains="q-bad-grid")
    assert notice.subject_id is None
    assert "未能写入" in notice.message
    assert "网格已被删除" in notice.message
    failure = AuditEntry.objects.get(success=False, object_repr="queued report q-bad-grid")
    assert failure.action == "create"
    assert "网格已被删除" in failure.message
    assert _stored_files(settings) == []
    # It stays failed: the next pass leaves it alone, a retry gets the failed receipt.
    assert (_write().written, _write().failed) == (0, 0)
    assert (
        _queue(
            story,
            "q-bad-grid",
            description="另一件事",
            photos=[SimpleUploadedFile("a.png", images["png"], "image/png")],
        ).state
        == "failed"
    )
    with pytest.raises(ConflictError) as exc:
        intake.report_event(
            user=story["gaobo"],
            category="heating.pipe_burst",
            description="另一件事",
            lng=story.grid.lng,
            lat=story.grid.lat,
            channel="api",
            idempotency_key="q-bad-grid",
            photos=[SimpleUploadedFile("a.png", images["png"], "image/png")],
        )
    assert exc.value.extra["state"] == "failed"


def test_a_deleted_category_fails_only_its_report(story: Any) -> None:
    _queue(story, "q-cat-ok")
    _queue(story, "q-cat-gone", description="分类没了")
    row = IdempotencyKey.objects.get(key="q-cat-gone")
    row.payload = {**row.payload, "category": 999999999}
    row.save(update_fields=["payload"])
    result = _write()
    assert (result.written, result.failed) == (1, 1)
    receipt = intake.receipt_for(story["gaobo"], "q-cat-gone")
    assert receipt is not None
    assert receipt.state == "failed"
    assert "事件分类已被删除" in receipt.error
    # Refused before writing, and still logged as the reporter's request, not the worker's.
    failure = AuditEntry.objects.filter(success=False, object_repr__contains="q-cat-gone").get()
    assert (failure.actor_id, failure.request_id, failure.ip, failure.channel) == (
        story["gaobo"].pk,
        "req-1",
        "10.0.0.7",
        "api",
    )


def test_a_report_failing_while_the_batch_is_written_is_retried_alone(story: Any) -> None:
    """A report that passes the worker's checks but breaks the batch's INSERT: the batch is rolled
    back, each report is written on its own, and only the broken one fails (logged as its reporter)."""
    for n in range(3):
        _queue(story, f"q-batch-{n}", description=f"第{n}件事", request_id=f"req-batch-{n}")
    row = IdempotencyKey.objects.get(key="q-batch-1")
    row.payload = {**row.payload, "lng": "east"}  # not a number: the Event INSERT raises
    row.save(update_fields=["payload"])
    result = _write()
    assert (result.written, result.failed) == (2, 1)
    states = {
        key: intake.receipt_for(story["gaobo"], key).state
        for key in ("q-batch-0", "q-batch-1", "q-batch-2")  # type: ignore[union-attr]
    }
    assert states == {"q-batch-0": "created", "q-batch-1": "failed", "q-batch-2": "created"}
    assert not Event.objects.filter(description="第1件事").exists()
    assert Event.objects.filter(description__in=["第0件事", "第2件事"]).count() == 2
    # Each written event has exactly one step and one audit row of its creation (the rolled-back
    # batch left none behind).
    for description in ("第0件事", "第2件事"):
        event = Event.objects.get(description=description)
        assert event.steps.count() == 1
        assert (
            AuditEntry.objects.filter(
                object_type="events.event", object_id=str(event.pk), action="create"
            ).count()
            == 1
        )
    failure = AuditEntry.objects.get(success=False, object_repr="queued report q-batch-1")
    assert failure.actor_id == story["gaobo"].pk
    assert failure.request_id == "req-batch-1"


def test_photos_are_stored_at_once_and_attached_when_written(story: Any, settings: Any, images: Any) -> None:
    _queue(story, "q-photo", photos=[SimpleUploadedFile("a.png", images["png"], "image/png")])
    files = _stored_files(settings)
    assert len(files) == 1
    assert files[0].endswith(".png")
    with open(os.path.join(settings.MEDIA_ROOT, files[0]), "rb") as stored:
        assert stored.read() == images["png"]
    assert EventPhoto.objects.filter(image=files[0]).count() == 0
    # A retry stores nothing more.
    _queue(story, "q-photo", photos=[SimpleUploadedFile("b.png", images["png"], "image/png")])
    assert _stored_files(settings) == files

    assert _write().written == 1
    event = intake.receipt_for(story["gaobo"], "q-photo").event  # type: ignore[union-attr]
    assert event is not None
    photo = EventPhoto.objects.get(event=event)
    assert photo.image.name == files[0].replace(os.sep, "/")
    assert (photo.content_type, photo.size, photo.uploaded_by_id) == (
        "image/png",
        len(images["png"]),
        story["gaobo"].pk,
    )
    assert photo.step == EventStep.objects.get(event=event, action="report")
    assert _stored_files(settings) == files


def test_a_queued_dispute_gets_its_dispute_record(
    story: Any, django_capture_on_commit_callbacks: Any
) -> None:
    category = Category.objects.filter(is_dispute=True, active=True).order_by("code").first()
    assert category is not None
    _queue(story, "q-dispute", category=category.code, description="楼上楼下因漏水争吵")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _write().written == 1
    assert callbacks
    event = intake.receipt_for(story["gaobo"], "q-dispute").event  # type: ignore[union-attr]
    assert event is not None
    assert event.category == category
    dispute = Dispute.objects.get(event=event)
    assert dispute.path == event.path
    assert dispute.created_at == event.created_at


def test_an_ordinary_category_gets_no_dispute(story: Any, django_capture_on_commit_callbacks: Any) -> None:
    _queue(story, "q-no-dispute")
    with django_capture_on_commit_callbacks(execute=True):
        assert _write().written == 1
    event = intake.receipt_for(story["gaobo"], "q-no-dispute").event  # type: ignore[union-attr]
    assert not Dispute.objects.filter(event=event).exists()


def test_residents_are_linked_to_the_written_event(story: Any) -> None:
    residents = list(Resident.objects.filter(path__startswith=story.grid.path).order_by("pk")[:2])
    assert residents
    _queue(story, "q-people", resident_ids=[r.pk for r in reversed(residents)])
    assert _write().written == 1
    event = intake.receipt_for(story["gaobo"], "q-people").event  # type: ignore[union-attr]
    assert event is not None
    assert list(event.residents.order_by("pk")) == residents
    # The link is logged as the reporter, too.
    link = AuditEntry.objects.get(object_type="events.event", object_id=str(event.pk), action="update")
    assert link.actor_id == story["gaobo"].pk
    assert link.request_id == "req-1"


def test_a_synchronous_report_with_a_key_still_queued_is_a_conflict(story: Any) -> None:
    _queue(story, "q-sync")
    before = _counts()
    with pytest.raises(ConflictError) as exc:
        intake.report_event(
            user=story["gaobo"],
            category="heating.pipe_burst",
            description="6号楼供热管道爆裂",
            lng=story.grid.lng,
            lat=story.grid.lat,
            channel="api",
            idempotency_key="q-sync",
        )
    assert exc.value.extra["state"] == "queued"
    assert exc.value.extra["idempotency_key"] == "q-sync"
    assert _counts() == before
    assert _write().written == 1


def test_a_batch_is_written_in_a_few_statements(story: Any, django_assert_max_num_queries: Any) -> None:
    # What one report costs the worker.
    _queue(story, "q-one")
    with CaptureQueriesContext(connection) as one:
        assert _write().written == 1
    single = len(one.captured_queries)
    assert single > 0

    for n in range(5):
        _queue(story, f"q-many-{n}", description=f"批量第{n}件", request_id=f"req-many-{n}")
    with django_assert_max_num_queries(single + 3):
        result = _write()
    assert result.written == 5
    assert result.failed == 0
    events = Event.objects.filter(description__startswith="批量第")
    assert events.count() == 5
    assert len({e.number for e in events}) == 5
    assert EventStep.objects.filter(event__in=events, action="report").count() == 5
    assert Notice.objects.filter(event__in=events, user=story["huimin_admin"]).count() == 5
    assert not IdempotencyKey.objects.filter(payload__isnull=False).exists()
    # The queue is empty now: the next look writes nothing, in one query.
    with django_assert_max_num_queries(1):
        again = _write()
    assert (again.written, again.failed) == (0, 0)


def test_the_limit_caps_one_pass_oldest_first(story: Any) -> None:
    for n in range(3):
        _queue(story, f"q-limit-{n}", description=f"限量第{n}件")
    assert _write(limit=2).written == 2
    assert [
        intake.receipt_for(story["gaobo"], f"q-limit-{n}").state  # type: ignore[union-attr]
        for n in range(3)
    ] == ["created", "created", "queued"]
    assert _write(limit=2).written == 1


def test_the_worker_command_writes_the_queue(story: Any) -> None:
    _queue(story, "q-cmd-1")
    _queue(story, "q-cmd-2", description="第二件")
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "wrote 2 queued reports, 0 failed" in out.getvalue()
    for key in ("q-cmd-1", "q-cmd-2"):
        receipt = intake.receipt_for(story["gaobo"], key)
        assert receipt is not None
        assert receipt.state == "created"
        assert receipt.event is not None
    assert not IdempotencyKey.objects.filter(payload__isnull=False).exists()


def _in_threads(count: int, target: Any) -> list[BaseException]:
    """Run `target(n)` in `count` threads, each on its own connection; the errors they raised."""
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            target(n)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL "
    "(the SQLite test database is in memory and locked by the test's transaction)",
)
def test_concurrent_retries_and_workers_side_by_side(db: Any) -> None:
    """Twelve threads queue the same report at once (one row, one receipt), six more reports are
    queued, then three workers write the queue side by side (SKIP LOCKED: each row once).

    What the threads write is committed; another connection removes it at the end."""
    prefix = f"q-conc-{uuid.uuid4().hex}"
    user = User.objects.get(username="gaobo")
    grid = Node.objects.get(name="惠民社区第一网格")
    barrier = threading.Barrier(12)
    receipts: list[intake.Receipt] = []
    written: list[int] = []
    lock = threading.Lock()

    def send(n: int, key: str, description: str, wait: bool) -> None:
        if wait:
            barrier.wait(timeout=30)
        with acting_as(user, channel="api", ip="10.0.0.7", request_id=f"req-conc-{n}"):
            receipt = queue.queue_report(
                user=user,
                category="heating.pipe_burst",
                description=description,
                lng=grid.lng,
                lat=grid.lat,
                idempotency_key=key,
                channel="api",
            )
        with lock:
            receipts.append(receipt)

    def work(_n: int) -> None:
        with acting_as(None, channel="worker", username="system:worker"):
            while True:
                result = queue.write_queued_reports(limit=2)
                with lock:
                    written.append(result.written)
                if not result.written:
                    return

    try:
        assert not _in_threads(12, lambda n: send(n, f"{prefix}-storm", "并发重试", True))
        assert len(receipts) == 12
        assert len({r.accepted_at for r in receipts}) == 1
        assert {r.state for r in receipts} == {"queued"}
        assert not _in_threads(6, lambda n: send(n, f"{prefix}-{n}", f"并发第{n}件", False))
        assert not _in_threads(3, work)
        assert sum(written) == 7
        rows = list(IdempotencyKey.objects.filter(key__startswith=prefix))
        assert len(rows) == 7
        assert all(r.payload is None and r.event_id and not r.error for r in rows)
        assert len({r.event_id for r in rows}) == 7
        assert Event.objects.filter(pk__in=[r.event_id for r in rows], reporter=user).count() == 7
    finally:

        def cleanup(_n: int) -> None:
            ids = list(
                IdempotencyKey.objects.filter(key__startswith=prefix).values_list("event_id", flat=True)
            )
            IdempotencyKey.objects.filter(key__startswith=prefix).delete()
            Event.objects.filter(pk__in=[pk for pk in ids if pk]).delete()

        _in_threads(1, cleanup)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs committed transactions on other connections "
    "(the SQLite test database is in memory and locked by the test's transaction)",
)
def test_a_constraint_failing_at_commit_fails_only_its_report(db: Any) -> None:
    """Foreign keys are checked at COMMIT: a queued report naming a resident that is gone (a
    deletion after it was checked) rolls the batch back; its reports are then written one per
    transaction and only the bad one fails, so the queue moves on. Committed; removed at the end."""
    prefix = f"q-fk-{uuid.uuid4().hex}"
    user = User.objects.get(username="gaobo")
    grid = Node.objects.get(name="惠民社区第一网格")
    results: list[queue.QueueResult] = []

    def send(n: int) -> None:
        with acting_as(user, channel="api", ip="10.0.0.8", request_id=f"req-fk-{n}"):
            queue.queue_report(
                user=user,
                category="heating.pipe_burst",
                description=f"外键第{n}件",
                lng=grid.lng,
                lat=grid.lat,
                idempotency_key=f"{prefix}-{n}",
                channel="api",
            )

    def corrupt(_n: int) -> None:
        row = IdempotencyKey.objects.get(key=f"{prefix}-1")
        row.payload = {**(row.payload or {}), "residents": [999999999]}
        row.save(update_fields=["payload"])

    def work(_n: int) -> None:
        with acting_as(None, channel="worker", username="system:worker"):
            results.append(queue.write_queued_reports())

    try:
        for n in range(3):
            assert not _in_threads(1, lambda _t, n=n: send(n))
        assert not _in_threads(1, corrupt)
        assert not _in_threads(1, work)
        assert [(r.written, r.failed) for r in results] == [(2, 1)]
        rows = {r.key: r for r in IdempotencyKey.objects.filter(key__startswith=prefix)}
        assert rows[f"{prefix}-1"].error
        assert rows[f"{prefix}-1"].payload is None
        assert rows[f"{prefix}-1"].event_id is None
        assert all(rows[f"{prefix}-{n}"].event_id and not rows[f"{prefix}-{n}"].error for n in (0, 2))
        assert not IdempotencyKey.objects.filter(key__startswith=prefix, payload__isnull=False).exists()
    finally:

        def cleanup(_n: int) -> None:
            ids = list(
                IdempotencyKey.objects.filter(key__startswith=prefix).values_list("event_id", flat=True)
            )
            IdempotencyKey.objects.filter(key__startswith=prefix).delete()
            Event.objects.filter(pk__in=[pk for pk in ids if pk]).delete()
            Notice.objects.filter(user=user, event__isnull=True, message__contains=prefix).delete()

        _in_threads(1, cleanup)
