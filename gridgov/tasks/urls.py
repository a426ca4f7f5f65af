from django.urls import path

from gridgov.tasks import views

app_name = "tasks"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("burden/", views.burden, name="burden"),
    path("duties/", views.duties, name="duties"),
    path("grids/", views.grid_list, name="grids"),
    path("<int:task_id>/", views.task_detail, name="detail"),
    path("assignments/<int:taskassignment_id>/photos/<int:taskphoto_id>/", views.task_photo, name="photo"),
    path("<int:task_id>/admission/", views.decide, name="decide"),
]
