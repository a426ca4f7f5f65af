"""Disputes in the admin: read-only and scoped. Changes go through the dispute pages and API
(services), which keep the event timeline, the risk rating and the alerts consistent."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gridgov.accounts.roles import Cap
from gridgov.core.admin import ScopedAdminMixin
from gridgov.disputes.models import Dispute, FollowUp, Party, TeamMember, Visit


class _ReadOnlyInline(admin.TabularInline[Any, Dispute]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PartyInline(_ReadOnlyInline):
    model = Party
    # Phones are encrypted and shown (masked, audited) on the dispute page only.
    fields = ("name", "role", "resident", "note")
    readonly_fields = fields


class TeamInline(_ReadOnlyInline):
    model = TeamMember
    fields = ("user", "role", "organisation", "added_by", "added_at")
    readonly_fields = fields


class VisitInline(_ReadOnlyInline):
    model = Visit
    fields = ("kind", "visited_at", "summary", "recorded_by")
    readonly_fields = fields


class FollowUpInline(_ReadOnlyInline):
    model = FollowUp
    fields = ("due_on", "purpose", "done_at", "done_by", "done_note")
    readonly_fields = fields


@admin.register(Dispute)
class DisputeAdmin(ScopedAdminMixin, admin.ModelAdmin[Dispute]):
    manage_cap = Cap.HANDLE_EVENT
    list_display = ("event", "dispute_type", "risk_level", "outcome", "created_at")
    list_filter = ("risk_level", "dispute_type", "outcome")
    search_fields = ("event__number",)
    readonly_fields = (
        "event",
        "dispute_type",
        "risk_level",
        "computed_risk",
        "risk_reasons",
        "risk_override",
        "risk_override_reason",
        "risk_override_by",
        "risk_override_at",
        "alerted_level",
        "outcome",
        "outcome_terms",
        "outcome_at",
        "outcome_by",
        "created_at",
        "path",
    )
    exclude = ("address_key",)
    inlines = [PartyInline, TeamInline, VisitInline, FollowUpInline]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
