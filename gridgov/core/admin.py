"""The Django admin, in Chinese and scoped like every other door into the data.

Admin access is not granted through Django's model permissions: a staff user sees and changes
what their role assignments allow (`gridgov.accounts.scope`), nothing else. Every app's
ModelAdmin for a row that belongs to a place mixes in `ScopedAdminMixin`; writes that have a
service go through it with `ServiceAdminForm` (so codes, paths and rules stay correct, and a
refused write shows its message on the form instead of failing after validation).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import allows, can, deny, has, restrict, rule_for
from gridgov.audit.models import Action
from gridgov.audit.services import record_failure
from gridgov.core.forms import add_service_errors

admin.site.site_header = _("网格化服务管理 · 管理后台")
admin.site.site_title = _("gridgov 管理后台")
admin.site.index_title = _("数据管理")
admin.site.site_url = "/"


class ScopedAdminMixin:
    """Scope an admin through the one door (`gridgov.accounts.scope`), as the pages and the API are.

    Rows are listed and viewable as the model's rule says for `view_cap` (None: the rule's own
    capability, what the pages and the API use); `manage_cap` decides which may be added,
    changed and deleted, over the path `object_path()` reads from an instance.
    """

    view_cap: str | None = None
    manage_cap: str = Cap.MANAGE_HIERARCHY
    path_attribute: str = "path"

    def object_path(self, obj: Any) -> str:
        value = obj
        for part in self.path_attribute.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return ""
        return str(value)

    def _view_cap(self) -> str:
        return self.view_cap or rule_for(self.model).default_cap  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return restrict(queryset, request.user, self.view_cap)

    def has_scope(self, request: HttpRequest, cap: str) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and has(user, cap))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_scope(request, self._view_cap())

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.has_change_permission(request, obj):
            return True
        if not self.has_scope(request, self._view_cap()):
            return False
        return obj is None or allows(request.user, obj, self.view_cap)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_scope(request, self.manage_cap)

    def covers(self, request: HttpRequest, cap: str, obj: Any) -> bool:
        if not self.has_scope(request, cap):
            return False
        return obj is None or can(request.user, cap, self.object_path(obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.covers(request, self.manage_cap, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.covers(request, self.manage_cap, obj)


class _DryRun(Exception):
    """Raised inside a savepoint to undo a trial write."""


class ServiceAdminForm(forms.ModelForm[Any]):
    """An admin form whose write is a service call.

    `clean()` tries the write in a savepoint that is always rolled back, so that the service's
    ValidationError (or PermissionDenied) lands on the form; `save_model` of the admin then does
    it for real with `write()`. Subclasses implement `write(user, change)` returning the saved row.
    """

    request_user: Any = None

    def write(self, user: Any, change: bool) -> models.Model:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.write(self.request_user, change=self.instance.pk is not None)
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as exc:
            # The service logged its refusal inside the trial; that row was rolled back with it.
            record_failure(
                Action.UPDATE if self.instance.pk else Action.CREATE,
                self.instance if self.instance.pk else None,
                object_type=self._meta.model._meta.label_lower,
                changes={"errors": exc.message_dict if hasattr(exc, "error_dict") else exc.messages},
                message=f"admin refused: {'; '.join(exc.messages)}",
            )
            add_service_errors(self, exc)
        except PermissionDenied as exc:
            # The trial's own log row was rolled back with it: record the refusal here.
            deny(self.request_user, f"admin: {exc}", self.instance if self.instance.pk else None)
            self.add_error(None, _("超出您的管理范围"))
        return data

    def validate_unique(self) -> None:
        # The service has checked (with clearer messages); don't pile generic ones on top.
        if not self.errors:
            super().validate_unique()


class ServiceAdminMixin:
    """Bind the request's user to a ServiceAdminForm and save through its `write()`."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        return type(form.__name__, (form,), {"request_user": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = form.write(request.user, change=change)
        adopt(obj, saved)


def adopt(target: models.Model, source: models.Model) -> None:
    """Make the admin's unsaved instance the row a service saved (pk, derived fields, state)."""
    for key, value in source.__dict__.items():
        if not key.startswith("_"):
            target.__dict__[key] = value
    target._state.adding = False
    target._state.db = source._state.db
