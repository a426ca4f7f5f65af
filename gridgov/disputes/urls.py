from django.urls import path

from gridgov.disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("export.xlsx", views.dispute_export, name="export"),
    path("new/", views.dispute_report, name="report"),
    path("warnings/", views.warnings, name="warnings"),
    path("<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("<int:dispute_id>/parties/reveal/", views.parties_reveal, name="parties_reveal"),
    path("<int:dispute_id>/team/", views.team_add, name="team_add"),
    path("<int:dispute_id>/team/<int:user_id>/role/", views.team_role, name="team_role"),
    path("<int:dispute_id>/team/<int:user_id>/remove/", views.team_remove, name="team_remove"),
    path("<int:dispute_id>/visits/", views.visit_add, name="visit_add"),
    path("<int:dispute_id>/outcome/", views.outcome_set, name="outcome"),
    path("<int:dispute_id>/risk/", views.risk_set, name="risk"),
    path("<int:dispute_id>/follow-ups/", views.follow_up_plan, name="follow_up_plan"),
    path("<int:dispute_id>/follow-ups/<int:item_id>/done/", views.follow_up_done, name="follow_up_done"),
    path(
        "<int:dispute_id>/follow-ups/<int:item_id>/cancel/", views.follow_up_cancel, name="follow_up_cancel"
    ),
]
