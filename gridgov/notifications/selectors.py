"""Reads of the inbox: a person's notices, with whether each still asks for an action."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from gridgov.accounts.models import User
from gridgov.notifications.models import Notice, state_field


@dataclass(frozen=True)
class NoticeView:
    id: int
    message: str
    url: str
    subject_type: str
    subject_id: int | None
    created_at: datetime
    read_at: datetime | None
    # Asks for an action now; False for a notice for information, or whose subject moved on.
    actionable: bool
    done: bool  # it asked for an action, and the subject has moved on since


def notices_of(user: User, *, unread_only: bool = False) -> QuerySet[Notice]:
    notices = Notice.objects.restrict(user)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    return notices.select_related("subject_type").order_by("-created_at", "-pk")


def unread_count(user: User | None) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notice.objects.restrict(user).filter(read_at__isnull=True).count()


def views_of(notices: list[Notice]) -> list[NoticeView]:
    """The notices as the inbox shows them: one query per kind of subject to see which still
    wait in the state their notice asked about."""
    waiting: dict[ContentType, list[Notice]] = defaultdict(list)
    for notice in notices:
        if notice.awaiting and notice.subject_type is not None and notice.subject_id:
            waiting[notice.subject_type].append(notice)
    current: dict[tuple[int, int], str] = {}
    for subject_type, group in waiting.items():
        model = subject_type.model_class()
        if model is None:
            continue
        rows = model._default_manager.filter(pk__in={n.subject_id for n in group}).values_list(
            "pk", state_field(model)
        )
        current.update({(subject_type.pk, pk): str(state) for pk, state in rows})
    views = []
    for notice in notices:
        asks = bool(notice.awaiting and notice.subject_id)
        state = current.get((notice.subject_type_id or 0, notice.subject_id or 0))
        actionable = asks and state == notice.awaiting
        views.append(
            NoticeView(
                id=notice.pk,
                message=notice.message,
                url=notice.url,
                subject_type=f"{notice.subject_type.app_label}.{notice.subject_type.model}"
                if notice.subject_type
                else "",
                subject_id=notice.subject_id,
                created_at=notice.created_at,
                read_at=notice.read_at,
                actionable=actionable,
                done=asks and not actionable,
            )
        )
    return views
