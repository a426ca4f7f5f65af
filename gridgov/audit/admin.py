from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from gridgov.audit import selectors
from gridgov.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """View-only for auditors of the rows' subtree. Nobody adds, changes or deletes a row here,
    superusers included (they also hold no audit scope unless given an auditor role)."""

    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_repr", "channel", "success")
    list_filter = ("action", "success", "channel")
    search_fields = ("actor_name", "object_repr", "request_id")
    ordering = ("-seq",)
    actions = None
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return selectors.entries_for(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in AuditEntry._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(
            request.user.is_active and request.user.is_staff and selectors.can_view_audit(request.user)
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or selectors.entries_for(request.user).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
