from django.urls import path

from gridgov.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("answers/", views.answer_list, name="answers"),
    path("<int:screeninground_id>/", views.round_detail, name="detail"),
]
