"""The inspection checklist in the admin (city administrators edit it: items per duty and their
points). Plans, inspections and rectifications are made through the pages and the API, which
check the inspectors, notify and keep each step."""

from django.contrib import admin

from gridgov.events.admin import CityAdminOnly
from gridgov.inspection.models import ChecklistItem


@admin.register(ChecklistItem)
class ChecklistItemAdmin(CityAdminOnly, admin.ModelAdmin[ChecklistItem]):
    list_display = ("duty", "order", "text", "max_points", "active")
    list_editable = ("text", "max_points", "active")
    list_display_links = ("duty",)
    list_filter = ("duty", "active")
