"""Writes of the work log: the worker's note for a day (one per day, replaced when saved again)."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import deny, require
from gridgov.audit.models import Action
from gridgov.audit.services import logs_failures
from gridgov.care.selectors import own_grid_ids
from gridgov.hierarchy.models import Node
from gridgov.worklog.models import WorkLogNote

MAX_NOTE = 2000


@logs_failures(Action.UPDATE)
@transaction.atomic
def save_note(*, user: Any, day: date, text: str) -> WorkLogNote:
    """The worker's own note for a day in his log (his grid's chief and instructor read it)."""
    if day > timezone.localdate() or day < timezone.localdate() - timedelta(days=31):
        raise ValidationError({"day": "只能记录最近 31 天的日志"})
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError({"text": f"最多 {MAX_NOTE} 字"})
    grid_ids = own_grid_ids(user)
    if not grid_ids:
        deny(user, "work log notes are kept by grid staff")
        raise PermissionDenied("只有网格工作人员记录民情日志")
    grid = Node.objects.get(pk=grid_ids[0])
    require(user, Cap.REPORT_EVENT, grid.path, grid)
    note = WorkLogNote.objects.select_for_update().filter(worker=user, day=day).first()
    if note is None:
        return WorkLogNote.objects.create(
            worker=user, grid=grid, path=grid.path, county_code=grid.county_code, day=day, text=text
        )
    if note.text != text:
        note.text = text
        note.save(update_fields=["text", "updated_at"])
    return note
