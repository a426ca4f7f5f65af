from django.urls import path

from gridgov.inspection import views

app_name = "inspection"
urlpatterns = [
    path("", views.plan_list, name="plans"),
    path("plan-form/", views.plan_form_part, name="plan_form_part"),
    path("draw-preview/", views.draw_preview, name="draw_preview"),
    path("<int:inspectionplan_id>/", views.plan_detail, name="plan"),
    path("<int:inspectionplan_id>/close/", views.plan_close, name="plan_close"),
    path("visits/<int:inspectionvisit_id>/", views.visit_detail, name="visit"),
    path("visits/<int:inspectionvisit_id>/findings/", views.add_finding, name="add_finding"),
    path("findings/<int:inspectionfinding_id>/rectify/", views.rectify, name="rectify"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("rectifications/<int:rectification_id>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:rectification_id>/report/", views.rectification_report, name="report"),
    path("rectifications/<int:rectification_id>/review/", views.rectification_review, name="review"),
    path("photos/<int:inspectionphoto_id>/", views.photo, name="photo"),
    path("scores/", views.scores, name="scores"),
    path("scores.xlsx", views.scores_xlsx, name="scores_xlsx"),
]
