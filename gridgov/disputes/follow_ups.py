"""Follow-up plans (回访计划): after the outcome, a dispute is visited again on several planned
dates. Each planned date is due on its day, overdue after it, and done with a note (or by a
follow-up visit, which fulfils the earliest open one); the worker tells the team and the centre
once when one becomes overdue. Every change is on the event's timeline.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures, record
from gridgov.core.errors import ConflictError
from gridgov.disputes.access import require_work
from gridgov.disputes.models import Dispute, FollowUp
from gridgov.disputes.services import step_fields
from gridgov.events.models import EventStep
from gridgov.events.selectors import centre_user_ids
from gridgov.notifications.services import notify

MAX_OPEN = 12  # open planned dates per dispute
MAX_AHEAD_DAYS = 730
BATCH = 500


def _dates(dates: Iterable[date]) -> str:
    return "、".join(f"{d:%Y-%m-%d}" for d in dates)


def clean_dates(dispute: Dispute, dates: Sequence[date | None], today: date) -> list[date]:
    """The new planned dates, checked: at least one, none in the past or more than two years
    ahead, none twice or already planned, and at most MAX_OPEN open at once."""
    wanted = sorted({d for d in dates if d is not None})
    if not wanted:
        raise ValidationError({"dates": "请至少填写一个回访日期"})
    if len(wanted) < len([d for d in dates if d is not None]):
        raise ValidationError({"dates": "回访日期重复"})
    for day in wanted:
        if day < today:
            raise ValidationError({"dates": f"回访日期 {day:%Y-%m-%d} 早于今天"})
        if day > today + timedelta(days=MAX_AHEAD_DAYS):
            raise ValidationError({"dates": f"回访日期 {day:%Y-%m-%d} 太远（最多两年内）"})
    if dispute.pk:
        taken = set(dispute.follow_ups.filter(due_on__in=wanted).values_list("due_on", flat=True))
        if taken:
            raise ValidationError({"dates": f"{_dates(sorted(taken))} 已在回访计划中"})
        open_now = dispute.follow_ups.filter(done_at__isnull=True).count()
    else:
        open_now = 0
    if open_now + len(wanted) > MAX_OPEN:
        raise ValidationError({"dates": f"同一纠纷最多安排 {MAX_OPEN} 次未完成的回访"})
    return wanted


def create_items(
    dispute: Dispute, dates: Sequence[date], *, user: Any, purpose: str, now: datetime
) -> list[FollowUp]:
    """Rows for checked dates (one save each, so the audit log records every one)."""
    return [
        FollowUp.objects.create(
            dispute=dispute,
            due_on=day,
            purpose=purpose[:200],
            created_by=user if getattr(user, "pk", None) else None,
            created_at=now,
        )
        for day in dates
    ]


def _locked(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update().select_related("event").get(pk=dispute.pk)


def _open_item(dispute: Dispute, item_id: int) -> FollowUp:
    item = dispute.follow_ups.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise ValidationError({"follow_up": "该回访计划不存在"})
    if item.done_at is not None:
        raise ConflictError(f"{item.due_on:%Y-%m-%d} 的回访已完成")
    return item


@logs_failures(Action.UPDATE)
@transaction.atomic
def plan_follow_ups(
    dispute: Dispute,
    *,
    user: Any,
    dates: Sequence[date | None],
    purpose: str = "",
    now: datetime | None = None,
) -> list[FollowUp]:
    """Add planned follow-up dates to a dispute that has its outcome."""
    dispute = _locked(dispute)
    require_work(user, dispute, "安排回访")
    if not dispute.outcome:
        raise ConflictError("登记化解结果之后才能安排回访")
    now = now or timezone.now()
    purpose = (purpose or "").strip()
    wanted = clean_dates(dispute, dates, timezone.localdate(now))
    items = create_items(dispute, wanted, user=user, purpose=purpose, now=now)
    EventStep.objects.create(
        action="dispute_follow_up_planned",
        **step_fields(
            dispute.event,
            user=user,
            at=now,
            note=f"安排回访：{_dates(wanted)}" + (f"（{purpose[:200]}）" if purpose else ""),
            dates=[d.isoformat() for d in wanted],
        ),
    )
    return items


@logs_failures(Action.UPDATE)
@transaction.atomic
def complete_follow_up(
    dispute: Dispute, *, user: Any, item_id: int, note: str, now: datetime | None = None
) -> FollowUp:
    """Mark one planned follow-up done, with what was found."""
    dispute = _locked(dispute)
    require_work(user, dispute, "登记回访")
    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationError({"note": "请填写回访情况"})
    item = _open_item(dispute, item_id)
    now = now or timezone.now()
    item.done_at = now
    item.done_by = user
    item.done_note = note[:2000]
    item.save()
    late = (timezone.localdate(now) - item.due_on).days
    EventStep.objects.create(
        action="dispute_follow_up_done",
        **step_fields(
            dispute.event,
            user=user,
            at=now,
            note=f"完成{item.due_on:%Y-%m-%d}的回访"
            + (f"（逾期{late}天）" if late > 0 else "")
            + f"：{note[:500]}",
            follow_up_id=item.pk,
            due_on=item.due_on.isoformat(),
        ),
    )
    return item


@logs_failures(Action.UPDATE)
@transaction.atomic
def cancel_follow_up(dispute: Dispute, *, user: Any, item_id: int, reason: str) -> None:
    """Take an open planned date off the plan, with the reason."""
    dispute = _locked(dispute)
    require_work(user, dispute, "调整回访计划")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明取消原因"})
    item = _open_item(dispute, item_id)
    due_on = item.due_on
    item.delete()
    EventStep.objects.create(
        action="dispute_follow_up_cancelled",
        **step_fields(
            dispute.event,
            user=user,
            note=f"取消{due_on:%Y-%m-%d}的回访：{reason[:200]}",
            due_on=due_on.isoformat(),
        ),
    )


# ------------------------------------------------------------------------------------ worker


@dataclass
class OverdueResult:
    notified: list[str] = field(default_factory=list)  # "<event number> <due date>"


def notify_overdue(now: datetime | None = None) -> OverdueResult:
    """Tell the team and the centre holding the event, once, of each planned follow-up whose
    day has passed without it being done."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = OverdueResult()
    late = (
        FollowUp.objects.filter(done_at__isnull=True, due_on__lt=today, overdue_notified_at__isnull=True)
        .select_related("dispute__event__handling_node", "dispute__event__grid")
        .order_by("due_on", "pk")[:BATCH]
    )
    for item in late:
        with transaction.atomic():
            # Conditional: a follow-up done meanwhile, or another worker's pass, wins.
            changed = FollowUp.objects.filter(
                pk=item.pk, done_at__isnull=True, overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            if not changed:
                continue
            event = item.dispute.event
            record(
                Action.UPDATE,
                item,
                changes={"overdue_notified_at": [None, now.isoformat()]},
                message="worker: planned follow-up overdue",
            )
            ids = [*item.dispute.team.values_list("user_id", flat=True)]
            if event.handling_node_id:
                ids += centre_user_ids(event.handling_node)
            recipients = list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))
            days = (today - item.due_on).days
            message = (
                f"{event.number} 回访已逾期{days}天：计划于{item.due_on:%Y-%m-%d}回访（{event.grid.name}）"
            )
            notify(recipients, message, subject=event)
            notified = [u.username for u in recipients]
            EventStep.objects.create(
                action="dispute_follow_up_overdue",
                **step_fields(
                    event,
                    user=None,
                    at=now,
                    note=f"回访逾期：计划于{item.due_on:%Y-%m-%d}，已通知{len(notified)}人",
                    follow_up_id=item.pk,
                    notified=notified,
                ),
            )
        result.notified.append(f"{event.number} {item.due_on:%Y-%m-%d}")
    return result
