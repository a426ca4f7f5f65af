"""Phones retry: same key and body → the same event; same key, other body → 409; a retry storm
creates exactly one event (threads on PostgreSQL; sequential retries everywhere)."""

import threading
import uuid
from typing import Any

import pytest
from django.db import connection, connections

from gridgov.accounts.models import User
from gridgov.core.errors import ConflictError
from gridgov.events import intake
from gridgov.events.models import Event, EventStep, IdempotencyKey
from gridgov.hierarchy.models import Node


def _report(
    story: Any, key: str, description: str = "管道爆裂", username: str = "gaobo"
) -> tuple[Event, bool]:
    return intake.report_event(
        user=story[username],
        category="heating.pipe_burst",
        description=description,
        lng=story.grid.lng,
        lat=story.grid.lat,
        idempotency_key=key,
    )


def test_same_key_same_body_returns_the_same_event(story: Any) -> None:
    first, created = _report(story, "key-1")
    assert created
    for _ in range(5):
        again, created = _report(story, "key-1")
        assert again.pk == first.pk
        assert not created
    assert Event.objects.filter(description="管道爆裂", reporter=story["gaobo"]).count() == 1
    assert EventStep.objects.filter(event=first).count() == 1
    assert IdempotencyKey.objects.filter(key="key-1").count() == 1


def test_same_key_different_body_is_refused(story: Any) -> None:
    first, _ = _report(story, "key-2")
    before = Event.objects.count()
    with pytest.raises(ConflictError) as exc:
        _report(story, "key-2", description="另一件事")
    assert "Idempotency-Key" in exc.value.message
    assert exc.value.extra["event_number"] == first.number
    assert Event.objects.count() == before


def test_keys_are_per_user(story: Any) -> None:
    mine, _ = _report(story, "shared-key")
    theirs, created = _report(story, "shared-key", username="huimin_admin")
    assert created
    assert theirs.pk != mine.pk


def test_a_refused_report_does_not_burn_the_key(story: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        intake.report_event(
            user=story["gaobo"],
            category="heating.pipe_burst",
            description="",
            grid=story.grid,
            idempotency_key="key-3",
        )
    assert not IdempotencyKey.objects.filter(key="key-3").exists()
    _event, created = _report(story, "key-3")
    assert created


def test_sequential_retry_storm(story: Any) -> None:
    results = [_report(story, "storm-seq") for _ in range(20)]
    assert sum(created for _e, created in results) == 1
    assert len({e.pk for e, _c in results}) == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL "
    "(the SQLite test database is in memory and locked by the test's transaction)",
)
def test_concurrent_retry_storm_creates_exactly_one_event(db: Any) -> None:
    """Twelve threads, each on its own connection, send the same report at the same moment.

    The seeded city is committed, so the threads see it; what they create is committed too and
    removed at the end by another connection (the test's own transaction would only roll back)."""
    key = f"storm-{uuid.uuid4().hex}"
    user = User.objects.get(username="gaobo")
    grid = Node.objects.get(name="惠民社区第一网格")
    threads_count = 12
    barrier = threading.Barrier(threads_count)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            barrier.wait(timeout=30)
            event, created = intake.report_event(
                user=user,
                category="heating.pipe_burst",
                description="风暴重试",
                lng=grid.lng,
                lat=grid.lat,
                idempotency_key=key,
            )
            with lock:
                results.append((event.pk, created))
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=send) for _ in range(threads_count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    try:
        assert not errors, errors
        assert len(results) == threads_count
        assert sum(created for _pk, created in results) == 1
        assert len({pk for pk, _created in results}) == 1
    finally:

        def cleanup() -> None:
            try:
                ids = list(IdempotencyKey.objects.filter(key=key).values_list("event_id", flat=True))
                IdempotencyKey.objects.filter(key=key).delete()
                Event.objects.filter(pk__in=[pk for pk in ids if pk]).delete()
            finally:
                connections.close_all()

        cleaner = threading.Thread(target=cleanup)
        cleaner.start()
        cleaner.join(timeout=60)
