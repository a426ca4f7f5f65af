"""The one writer of notices: every app tells people something through `notify`."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.notifications.models import Notice, state_field

Recipient = int | User


@dataclass(frozen=True)
class Draft:
    """One notice to write: to whom, what, about which subject (model label and id)."""

    user_id: int
    message: str
    subject_label: str = ""
    subject_id: int | None = None
    url: str = ""
    awaiting: str = ""


def _user_id(person: Recipient | None) -> int | None:
    if person is None:
        return None
    return person if isinstance(person, int) else person.pk


def drafts(
    recipients: Iterable[Recipient],
    message: str,
    *,
    subject: models.Model | None = None,
    url: str = "",
    awaiting: str = "",
    exclude: Recipient | None = None,
) -> list[Draft]:
    """One draft per person (users or user ids, each once), not to `exclude` (who acted)."""
    skip = _user_id(exclude)
    if awaiting:
        _check_awaiting(subject, awaiting)
    label = subject._meta.label_lower if subject is not None else ""
    subject_id = subject.pk if subject is not None else None
    if not url and subject is not None and hasattr(subject, "get_absolute_url"):
        url = subject.get_absolute_url()
    seen: dict[int, Draft] = {}
    for person in recipients:
        pk = _user_id(person)
        if pk is None or pk == skip or pk in seen:
            continue
        seen[pk] = Draft(pk, message[:300], label, subject_id, url[:200], awaiting)
    return list(seen.values())


def _check_awaiting(subject: models.Model | None, awaiting: str) -> None:
    """A notice that waits on its subject's state must name a state the subject can hold: checked
    when written (a programming error, caught by the caller's tests), never when an inbox is read."""
    if subject is None:
        raise ValueError("a notice awaiting a state needs a subject")
    field = subject._meta.get_field(state_field(type(subject)))  # FieldDoesNotExist if unnamed
    choices = {str(value) for value, _label in getattr(field, "flatchoices", None) or []}
    if choices and awaiting not in choices:
        raise ValueError(f"{subject._meta.label}.{field.name} has no state {awaiting!r}")


def send(notices: Iterable[Draft]) -> int:
    """Write drafted notices in one INSERT (the intake writes a batch of events' notices at once).

    Notices are not audit rows of their own: each is a consequence of an audited action, which
    the log already holds with its actor.
    """
    types: dict[str, ContentType] = {}
    rows = []
    for draft in notices:
        subject_type = None
        if draft.subject_label:
            subject_type = types.get(draft.subject_label)
            if subject_type is None:
                app_label, model = draft.subject_label.split(".")
                subject_type = types[draft.subject_label] = ContentType.objects.get_by_natural_key(
                    app_label, model
                )
        rows.append(
            Notice(
                user_id=draft.user_id,
                message=draft.message,
                subject_type=subject_type,
                subject_id=draft.subject_id,
                url=draft.url,
                awaiting=draft.awaiting,
            )
        )
    Notice.objects.bulk_create(rows)
    return len(rows)


def notify(
    recipients: Iterable[Recipient],
    message: str,
    *,
    subject: models.Model | None = None,
    url: str = "",
    awaiting: str = "",
    exclude: Recipient | None = None,
) -> int:
    """Tell each of these people something (once each, not `exclude`); returns how many were told.

    `subject` is what the notice is about (its page is the link unless `url` is given);
    `awaiting` is the subject's state in which the notice asks for an action (see `Notice`).
    """
    return send(drafts(recipients, message, subject=subject, url=url, awaiting=awaiting, exclude=exclude))


def mark_read(*, user: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when no ids are given)."""
    unread = Notice.objects.restrict(user).filter(read_at__isnull=True)
    if notice_ids is not None:
        unread = unread.filter(pk__in=list(notice_ids))
    return unread.update(read_at=timezone.now())
