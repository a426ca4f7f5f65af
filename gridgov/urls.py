from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from gridgov.api.urls import api

urlpatterns = [
    # The admin logs in through the one login page, with its second step (gridgov.accounts.twofactor).
    path("admin/login/", RedirectView.as_view(url="/accounts/login/", query_string=True), name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("gridgov.accounts.urls")),
    path("open311/", include("gridgov.open311.urls")),
    path("registry/", include("gridgov.registry.urls")),
    path("search/", include("gridgov.search.urls")),
    path("events/", include("gridgov.events.urls")),
    path("notifications/", include("gridgov.notifications.urls")),
    path("disputes/", include("gridgov.disputes.urls")),
    path("audit/", include("gridgov.audit.urls")),
    path("patrols/", include("gridgov.patrols.urls")),
    path("app/", include("gridgov.mobile.urls")),
    path("workforce/", include("gridgov.workforce.urls")),
    path("assessment/", include("gridgov.assessment.urls")),
    path("academy/", include("gridgov.academy.urls")),
    path("overview/", include("gridgov.overview.urls")),
    path("screen/", include("gridgov.overview.screen_urls")),
    path("care/", include("gridgov.care.urls")),
    path("tasks/", include("gridgov.tasks.urls")),
    path("screening/", include("gridgov.screening.urls")),
    path("worklog/", include("gridgov.worklog.urls")),
    path("inspection/", include("gridgov.inspection.urls")),
    path("", include("gridgov.hierarchy.urls")),
    path("", include("gridgov.front.urls")),
]

handler403 = "gridgov.front.errors.forbidden"
handler404 = "gridgov.front.errors.not_found"
handler500 = "gridgov.front.errors.server_error"
