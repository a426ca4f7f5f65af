"""Events of a dispute category reported through any door (the events API, Open311, a page) get
their dispute record and risk rating once the report is committed."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from gridgov.events.models import Event


def _event_saved(sender: type[Event], instance: Event, created: bool, raw: bool = False, **_: Any) -> None:
    if raw or not created:
        return
    category = instance.category if instance.category_id else None
    if category is None or not category.is_dispute:
        return
    from gridgov.disputes.services import ensure_dispute_after_commit

    event_id = instance.pk
    # robust: a failure here is logged and must not turn the committed report into an HTTP 500.
    transaction.on_commit(lambda: ensure_dispute_after_commit(event_id), robust=True)


post_save.connect(_event_saved, sender=Event, dispatch_uid="disputes_event_saved")
