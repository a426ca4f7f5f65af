"""The background worker's work: keep the overdue flag, escalate overdue events, notify.

`run_once(now)` is one pass; `gridgov worker` calls it in a loop (and `gridgov serve` starts that).
Time is a parameter so tests move it instead of sleeping.

An event whose current deadline (`due_at`) has passed is marked overdue and the people concerned
are told (the centre holding it and, once dispatched, the lead organisation). It then climbs one
level (community → township → county → city centre) unless it already climbed after that
deadline was set; the centre above gets a fresh acknowledge window, and if that passes too the
event climbs again, up to the city. Co-handlers late to acknowledge are reminded once, and so
are the teams of disputes whose planned follow-up date has passed, and the worker and inspector
of an inspection rectification past its deadline (once per deadline).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gridgov.audit.models import Action as AuditAction
from gridgov.audit.services import record
from gridgov.core.errors import ConflictError
from gridgov.events import selectors, transitions
from gridgov.events.models import AssignmentRole, Event, EventAssignment
from gridgov.events.workflow import CLOCK_STATES, Action
from gridgov.hierarchy.models import Level
from gridgov.notifications.models import Notice
from gridgov.notifications.services import notify

BATCH = 500


@dataclass
class PassResult:
    marked_overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    reminded_co_handlers: int = 0
    follow_ups_overdue: list[str] = field(default_factory=list)
    rectifications_overdue: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "marked_overdue": len(self.marked_overdue),
            "escalated": len(self.escalated),
            "reminded_co_handlers": self.reminded_co_handlers,
            "follow_ups_overdue": len(self.follow_ups_overdue),
            "rectifications_overdue": len(self.rectifications_overdue),
            "errors": self.errors,
        }


def _mark_overdue(now: datetime, result: PassResult) -> None:
    late = (
        Event.objects.filter(state__in=CLOCK_STATES, is_open=True, overdue=False, due_at__lt=now)
        .select_related("handling_node", "category")
        .order_by("due_at")[:BATCH]
    )
    for event in late:
        with transaction.atomic():
            # Conditional update: a concurrent transition that moved the deadline wins.
            changed = Event.objects.filter(
                pk=event.pk, overdue=False, due_at__lt=now, state__in=CLOCK_STATES
            ).update(overdue=True)
            if not changed:
                continue
            record(
                AuditAction.UPDATE,
                event,
                changes={"overdue": [False, True]},
                message="worker: deadline passed",
            )
            recipients = selectors.centre_user_ids(event.handling_node)
            if event.lead_org_id:
                recipients += selectors.org_user_ids([event.lead_org_id])
            notify(
                recipients,
                f"{event.number} 已超期：{event.category.name}",
                subject=event,
                awaiting=event.state,
            )
        result.marked_overdue.append(event.number)


def _escalate(now: datetime, result: PassResult) -> None:
    due = (
        Event.objects.filter(state__in=CLOCK_STATES, is_open=True, overdue=True, due_at__lt=now)
        .filter(Q(escalated_at__isnull=True) | Q(escalated_at__lt=F("due_at")))
        .exclude(handling_node__level=Level.CITY)
        .order_by("due_at")[:BATCH]
    )
    for event in due:
        try:
            transitions.transition(
                event, Action.ESCALATE, user=None, now=now, note="超过时限，系统自动上报上一级"
            )
        except ConflictError as exc:
            result.errors.append(f"{event.number}: {exc.message}")
            continue
        result.escalated.append(event.number)


def _remind_co_handlers(now: datetime, result: PassResult) -> None:
    late = EventAssignment.objects.filter(
        active=True,
        role=AssignmentRole.CO,
        acknowledged_at__isnull=True,
        ack_due_at__lt=now,
        event__state__in=CLOCK_STATES,
    ).select_related("event", "organisation")[:BATCH]
    for assignment in late:
        message = f"{assignment.event.number} 协办签收已超期：{assignment.organisation.name}"
        if Notice.objects.about(assignment.event).filter(message=message).exists():
            continue
        result.reminded_co_handlers += notify(
            selectors.org_user_ids([assignment.organisation_id]), message, subject=assignment.event
        )


def run_once(now: datetime | None = None) -> PassResult:
    """One pass over the clocks at `now` (default: the current time)."""
    now = now or timezone.now()
    result = PassResult()
    _mark_overdue(now, result)
    _escalate(now, result)
    _remind_co_handlers(now, result)
    # Dispute follow-up plans (gridgov.disputes builds on events, so it is imported here).
    from gridgov.disputes.follow_ups import notify_overdue

    result.follow_ups_overdue = notify_overdue(now).notified
    # Inspection rectifications past their deadline (gridgov.inspection).
    from gridgov.inspection.services import remind_overdue

    result.rectifications_overdue = remind_overdue(now)
    return result
