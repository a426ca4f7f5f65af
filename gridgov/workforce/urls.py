from django.urls import path

from gridgov.workforce import file_views, settings_views, views

app_name = "workforce"
urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.me, name="me"),
    path("workers/new/", file_views.open_file, name="open_file"),
    path("workers/<int:workerfile_id>/", views.worker, name="worker"),
    path("workers/<int:workerfile_id>/edit/", file_views.edit_file, name="edit_file"),
    path("workers/<int:workerfile_id>/depart/", views.worker_action, {"action": "depart"}, name="depart"),
    path("workers/<int:workerfile_id>/grade/", views.worker_action, {"action": "grade"}, name="adjust_grade"),
    path("workers/<int:workerfile_id>/record/", views.worker_action, {"action": "record"}, name="add_record"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:promotionrun_id>/", views.run, name="run"),
    path("runs/<int:promotionrun_id>/refresh/", views.run_action, {"action": "refresh"}, name="refresh_run"),
    path("runs/<int:promotionrun_id>/approve/", views.run_action, {"action": "approve"}, name="approve_run"),
    path("runs/<int:promotionrun_id>/cancel/", views.run_action, {"action": "cancel"}, name="cancel_run"),
    path("budget/", views.budget_page, name="budget"),
    path("budget.xlsx", views.budget_export, name="budget_export"),
    path("budget/pay/", settings_views.pay_scale, name="pay_scale"),
    path("budget/rates/", settings_views.contribution_rates, name="contribution_rates"),
]
