"""What other apps do when events are reported, called explicitly by the intake.

`intake.write_reports` calls `events_reported(events)` in the transaction that wrote them, on every
path (a page, the API, the queue, Open311). Apps above events (disputes rate dispute events, the
phone app's change log records them) register a handler in their AppConfig.ready(). A bulk insert
sends no model signal, and a report is one action with its side effects named in one place; the
model signals those apps also listen to are the net for rows made through the admin or the ORM.
"""

from collections.abc import Callable, Sequence

from gridgov.events.models import Event

ReportedHandler = Callable[[Sequence[Event]], None]
_on_reported: list[ReportedHandler] = []


def on_reported(handler: ReportedHandler) -> ReportedHandler:
    """Register `handler` (once) to be called with every batch of newly reported events."""
    if handler not in _on_reported:
        _on_reported.append(handler)
    return handler


def events_reported(events: Sequence[Event]) -> None:
    for handler in _on_reported:
        handler(events)
