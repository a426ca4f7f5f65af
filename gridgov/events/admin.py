"""Whistle and report in the admin.

The catalog (categories, deadlines) and the holiday calendar are city-wide settings: only city
administrators (MANAGE_HIERARCHY on the city) and superusers edit them. Organisations and their
staff are scoped by the area they serve. Events are read-only here: they move only through the
workflow (pages and API), which keeps the timeline.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can
from gridgov.core.admin import ScopedAdminMixin
from gridgov.events.models import Category, Event, EventStep, Holiday, Organisation, OrgMember


def is_city_admin(user: Any) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or can(user, Cap.MANAGE_HIERARCHY, settings.GRIDGOV_CITY_CODE))


class CityAdminOnly:
    """City-wide settings: visible and editable by city administrators only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_city_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_city_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_city_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_city_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Categories with events are protected by the foreign key; deactivate them instead.
        return is_city_admin(request.user)


@admin.register(Category)
class CategoryAdmin(CityAdminOnly, admin.ModelAdmin[Category]):
    list_display = (
        "code",
        "name",
        "parent",
        "owner_kind",
        "severity",
        "ack_hours",
        "resolve_hours",
        "time_basis",
        "is_dispute",
        "active",
    )
    list_filter = ("owner_kind", "time_basis", "is_dispute", "active")
    search_fields = ("code", "name")
    list_editable = ("ack_hours", "resolve_hours", "time_basis", "active")


@admin.register(Holiday)
class HolidayAdmin(CityAdminOnly, admin.ModelAdmin[Holiday]):
    list_display = ("date", "name", "is_workday")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


class OrgMemberInline(admin.TabularInline[OrgMember, Organisation]):
    model = OrgMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(ScopedAdminMixin, admin.ModelAdmin[Organisation]):
    list_display = ("name", "kind", "area", "phone", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    raw_id_fields = ("area",)
    inlines = (OrgMemberInline,)
    manage_cap = Cap.MANAGE_STAFF

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.path, obj.county_code = obj.area.path, obj.area.county_code
        super().save_model(request, obj, form, change)


class EventStepInline(admin.TabularInline[EventStep, Event]):
    model = EventStep
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_state", "to_state", "actor", "organisation", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ScopedAdminMixin, admin.ModelAdmin[Event]):
    list_display = (
        "number",
        "category",
        "state",
        "overdue",
        "supervision",
        "handling_node",
        "lead_org",
        "created_at",
    )
    list_filter = ("state", "overdue", "supervision", "category__owner_kind")
    search_fields = ("number",)
    view_cap = Cap.HANDLE_EVENT
    inlines = (EventStepInline,)
    list_select_related = ("category", "handling_node", "lead_org")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
