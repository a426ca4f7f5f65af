from django.urls import path

from gridgov.worklog import views

app_name = "worklog"
urlpatterns = [
    path("", views.worklog, name="log"),
    path("load/", views.load, name="load"),
]
