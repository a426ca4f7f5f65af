"""The one list-export writer: labels, masking outside the viewer's personal-data scope, the row
limit with a message naming the area filter, and the audit row."""

import datetime
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from gridgov.accounts.models import User
from gridgov.audit import exports
from gridgov.audit.exports import Column, cell, export_list
from gridgov.audit.models import Action, AuditEntry
from gridgov.events.models import Event, State


def test_cells_read_as_the_page_shows_them() -> None:
    assert cell(Column("state", "状态", choices=dict(State.choices)), State.CLOSED) == "已办结"
    assert cell(Column("overdue", "超期", yes_no=True), True) == "是"
    assert cell(Column("overdue", "超期", yes_no=True), False) == ""
    assert cell(Column("x", "x"), None) == ""
    at = datetime.datetime(2026, 12, 3, 16, 30, tzinfo=datetime.UTC)
    assert cell(Column("at", "时间"), at) == "2026-12-04 00:30"  # the city's time


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[0].values)


def test_free_text_is_masked_where_the_viewer_may_not_see_personal_data(db: Any) -> None:
    user = User.objects.get(username="city_admin")
    event = Event.objects.exclude(description="").first()
    assert event is not None
    Event.objects.filter(pk=event.pk).update(description="联系 13912345678，身份证 150105199001011234")
    rows = Event.objects.filter(pk=event.pk)
    columns = [Column("number", "编号"), Column("description", "描述", free_text=True)]
    shown, count = export_list(
        user,
        rows,
        title="事件",
        columns=columns,
        may_see_personal=lambda _path: True,
        object_type="events.event",
        noun="events",
        path="",
        filters={"state": "", "node_id": 5},
    )
    assert count == 1
    assert _sheet(shown)[1][1] == "联系 13912345678，身份证 150105199001011234"
    masked, _ = export_list(
        user,
        rows,
        title="事件",
        columns=columns,
        may_see_personal=lambda _path: False,
        object_type="events.event",
        noun="events",
        path="",
        filters={},
    )
    text = _sheet(masked)[1][1]
    assert "13912345678" not in text
    assert "150105199001011234" not in text
    entry = AuditEntry.objects.filter(action=Action.EXPORT, object_type="events.event").latest("seq")
    assert entry.changes == {"rows": 1, "filters": {}}
    assert entry.actor_id == user.pk


def test_a_list_too_long_for_one_request_is_refused_naming_the_area(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 1)
    user = User.objects.get(username="city_admin")
    before = AuditEntry.objects.filter(action=Action.EXPORT).count()
    with pytest.raises(ValidationError) as refused:
        export_list(
            user,
            Event.objects.all(),
            title="事件",
            columns=[Column("number", "编号")],
            may_see_personal=lambda _path: True,
            object_type="events.event",
            noun="events",
            path="",
            filters={},
        )
    assert "node" in refused.value.message_dict
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == before
