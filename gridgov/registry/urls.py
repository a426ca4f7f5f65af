from django.urls import path

from gridgov.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.home, name="home"),
    path("nodes/<int:node_id>/", views.node_page, name="node"),
    path("nodes/<int:node_id>/households/new/", views.household_create, name="household_create"),
    path("nodes/<int:node_id>/export.xlsx", views.node_export, name="export"),
    path("exports/", views.export_jobs, name="export_jobs"),
    path("exports/<int:job_id>/file.xlsx", views.export_job_file, name="export_job_file"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("households/<int:household_id>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:household_id>/reveal/", views.household_reveal, name="household_reveal"),
    path("households/<int:household_id>/residents/new/", views.resident_create, name="resident_create"),
    path("households/<int:household_id>/births/new/", views.birth_create, name="birth_create"),
    path("households/<int:household_id>/move-out/", views.household_move_out, name="household_move_out"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident"),
    path("residents/<int:resident_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:resident_id>/reveal/<str:field>/", views.resident_reveal, name="resident_reveal"),
    path("residents/<int:resident_id>/move-out/", views.resident_move_out, name="resident_move_out"),
    path("residents/<int:resident_id>/transfer/", views.resident_transfer, name="resident_transfer"),
    path("residents/<int:resident_id>/death/", views.resident_death, name="resident_death"),
    path("import/", views.import_page, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
