"""The ten duties in the admin (city administrators); tasks are read-only here (issued and
decided through the pages and the API, which notify and keep the admission record)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.core.admin import ScopedAdminMixin
from gridgov.events.admin import CityAdminOnly
from gridgov.tasks.models import Duty, Task


@admin.register(Duty)
class DutyAdmin(CityAdminOnly, admin.ModelAdmin[Duty]):
    list_display = ("order", "code", "name", "active")
    list_editable = ("name", "active")
    list_display_links = ("code",)


@admin.register(Task)
class TaskAdmin(ScopedAdminMixin, admin.ModelAdmin[Task]):
    list_display = ("title", "duty", "source", "deadline", "admission", "created_at")
    list_filter = ("admission", "source", "duty")
    raw_id_fields = ("node", "organisation", "issued_by", "decided_by")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
