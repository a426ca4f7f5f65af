from django.urls import path

from gridgov.overview import views

app_name = "overview"
urlpatterns = [
    path("", views.home, name="home"),
    path("<int:node_id>/", views.node_page, name="node"),
    path("<int:node_id>/displays/", views.displays, name="displays"),
    path("displays/<int:displaylink_id>/revoke/", views.revoke_display, name="revoke_display"),
    path("<int:node_id>/reports/", views.report_list, name="reports"),
    path("reports/<int:monthlyreport_id>.pdf", views.report_pdf, name="report_pdf"),
    path("reports/<int:monthlyreport_id>.xlsx", views.report_xlsx, name="report_xlsx"),
]
