from django.contrib import admin

from gridgov.core.admin import ScopedAdminMixin
from gridgov.events.admin import CityAdminOnly
from gridgov.patrols.models import CheckIn, Patrol, PatrolRule


@admin.register(PatrolRule)
class PatrolRuleAdmin(CityAdminOnly, admin.ModelAdmin[PatrolRule]):
    list_display = (
        "grid_kind",
        "period_days",
        "checkins_per_period",
        "radius_m",
        "patrols_per_week",
        "updated_at",
    )


@admin.register(Patrol)
class PatrolAdmin(ScopedAdminMixin, admin.ModelAdmin[Patrol]):
    list_display = ("id", "worker", "grid", "status", "started_at", "ended_at", "distance_m", "checkin_count")
    list_filter = ("status",)
    date_hierarchy = "started_at"
    # The track is seen on its page, where a superior's view is audited (PIPL), not here.
    exclude = ("track",)
    readonly_fields = [f.name for f in Patrol._meta.fields if f.name not in {"id", "track"}]
    raw_id_fields = ("worker", "grid")

    def has_add_permission(self, request: object) -> bool:
        return False  # started on the phone only: positions belong to a patrol its worker started


@admin.register(CheckIn)
class CheckInAdmin(ScopedAdminMixin, admin.ModelAdmin[CheckIn]):
    list_display = ("building", "worker", "at", "method", "distance_m")
    list_filter = ("method",)
    readonly_fields = [f.name for f in CheckIn._meta.fields if f.name not in {"id"}]

    def has_add_permission(self, request: object) -> bool:
        return False
