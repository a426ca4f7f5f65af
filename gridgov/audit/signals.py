"""Every save and delete of an audited model is logged, whichever door it came through
(page, API, admin, command): the log is written next to the data, not in each view.

A model opts in by being listed in AUDITED (or subclassing ScopedModel).
Bulk operations (`bulk_create`, `update`) bypass signals; code that uses them calls
`gridgov.audit.services.record` itself.
"""

from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from gridgov.audit import services
from gridgov.audit.models import Action, AuditEntry, ChainHead

_SKIP = {AuditEntry, ChainHead}
_SKIP_LABELS = {
    "sessions.session",
    "contenttypes.contenttype",
    "auth.permission",
    "admin.logentry",
    "accounts.loginfailure",
    "accounts.apitoken",
    "accounts.refreshtoken",
    "mobile.syncchange",
    "accounts.accessstamp",
    "registry.searchtoken",
    "events.idempotencykey",
    "audit.auditentry",
    "audit.chainhead",
    "migrations.migration",
}


def _audited(sender: type[models.Model]) -> bool:
    if sender in _SKIP or sender._meta.label_lower in _SKIP_LABELS:
        return False
    return sender.__module__.startswith("gridgov.") or sender._meta.label_lower == "auth.group"


def _before_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **_: Any) -> None:
    if raw or not _audited(sender):
        return
    before = None
    if instance.pk is not None and not instance._state.adding:
        old = sender._default_manager.filter(pk=instance.pk).first()
        before = services.field_values(old) if old is not None else None
    instance._audit_before = before  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw or not _audited(sender):
        return
    before = getattr(instance, "_audit_before", None)
    after = services.field_values(instance)
    changes = services.diff(before, after)
    if not created and not changes:
        return
    services.record(Action.CREATE if created else Action.UPDATE, instance, changes=changes)


def _after_delete(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    if not _audited(sender):
        return
    services.record(Action.DELETE, instance, changes=services.diff(services.field_values(instance), None))


def _m2m(sender: Any, instance: models.Model, action: str, pk_set: set[Any] | None, **_: Any) -> None:
    if action not in {"post_add", "post_remove", "post_clear"} or not _audited(type(instance)):
        return
    services.record(
        Action.UPDATE,
        instance,
        changes={sender._meta.label_lower: [action.removeprefix("post_"), sorted(pk_set or [])]},
    )


pre_save.connect(_before_save, dispatch_uid="audit_pre_save")
post_save.connect(_after_save, dispatch_uid="audit_post_save")
post_delete.connect(_after_delete, dispatch_uid="audit_post_delete")
m2m_changed.connect(_m2m, dispatch_uid="audit_m2m")
