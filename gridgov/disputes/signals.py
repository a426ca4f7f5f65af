"""Events of a dispute category get their dispute record and risk rating once committed.

The events intake calls `rate_reported_events` for every batch it writes (registered in
DisputesConfig.ready); the post_save signal is the net for events made another way (the ORM).
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from gridgov.events.models import Event


def rate_reported_events(events: Sequence[Event]) -> None:
    for event in events:
        _rate_after_commit(event)


def _rate_after_commit(event: Event) -> None:
    category = event.category if event.category_id else None
    if category is None or not category.is_dispute:
        return
    from gridgov.disputes.services import ensure_dispute_after_commit

    event_id = event.pk
    # robust: a failure here is logged and must not turn the committed report into an HTTP 500.
    transaction.on_commit(lambda: ensure_dispute_after_commit(event_id), robust=True)


def _event_saved(sender: type[Event], instance: Event, created: bool, raw: bool = False, **_: Any) -> None:
    if not raw and created:
        _rate_after_commit(instance)


def connect() -> None:
    from gridgov.events import hooks

    hooks.on_reported(rate_reported_events)
    post_save.connect(_event_saved, sender=Event, dispatch_uid="disputes_event_saved")
