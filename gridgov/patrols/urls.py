from django.urls import path

from gridgov.patrols import views

app_name = "patrols"
urlpatterns = [
    path("", views.coverage, name="coverage"),
    path("weekly/", views.weekly, name="weekly"),
    path("grids/<int:node_id>/", views.grid_page, name="grid"),
    path("grids/<int:node_id>/codes.pdf", views.qr_sheet, name="qr_sheet"),
    path("<int:patrol_id>/", views.patrol_page, name="patrol"),
]
