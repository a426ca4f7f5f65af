"""Care rules in the admin: city-wide settings, edited by city administrators; a saved or
removed rule brings every schedule in line. Visits are read-only (recorded by workers)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.care import schedules
from gridgov.care.models import CareRule, HomeVisit
from gridgov.core.admin import ScopedAdminMixin
from gridgov.events.admin import CityAdminOnly


@admin.register(CareRule)
class CareRuleAdmin(CityAdminOnly, admin.ModelAdmin[CareRule]):
    list_display = ("tag", "name", "interval_days", "active", "updated_at")
    list_editable = ("interval_days", "active")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        schedules.rebuild()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        schedules.rebuild()


@admin.register(HomeVisit)
class HomeVisitAdmin(ScopedAdminMixin, admin.ModelAdmin[HomeVisit]):
    list_display = ("visited_at", "resident", "method", "worker", "event")
    list_filter = ("method",)
    date_hierarchy = "visited_at"
    raw_id_fields = ("resident", "household", "grid", "worker", "event")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
