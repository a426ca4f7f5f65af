"""The inbox over the API: `GET /inbox`, `POST /inbox/read`."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from gridgov.accounts.models import User
from gridgov.api.params import Page
from gridgov.notifications import selectors, services

router = Router(tags=["inbox"])


class NoticeOut(Schema):
    id: int
    message: str
    url: str
    subject_type: str
    subject_id: int | None
    event_id: int | None
    actionable: bool
    done: bool
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    unread: int
    items: list[NoticeOut]


class ReadIn(Schema):
    ids: list[int] | None = None


class ReadOut(Schema):
    marked: int


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the API's auth has checked
    return request.user


@router.get("/inbox", response=InboxOut)
def inbox(request: HttpRequest, page: Query[Page], unread: bool = False) -> dict[str, Any]:
    """The user's notices (newest first), whether each still asks for an action, and the unread count."""
    user = _user(request)
    notices = list(selectors.notices_of(user, unread_only=unread)[page.offset : page.offset + page.limit])
    items = [
        {**view.__dict__, "event_id": view.subject_id if view.subject_type == "events.event" else None}
        for view in selectors.views_of(notices)
    ]
    return {"unread": selectors.unread_count(user), "items": items}


@router.post("/inbox/read", response=ReadOut)
def mark_read(request: HttpRequest, body: ReadIn) -> dict[str, int]:
    """Mark notices read (all unread ones when `ids` is omitted)."""
    return {"marked": services.mark_read(user=_user(request), notice_ids=body.ids)}
