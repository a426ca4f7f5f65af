from django.urls import path

from gridgov.care import views

app_name = "care"
urlpatterns = [
    path("", views.due, name="due"),
    path("stale/", views.stale, name="stale"),
    path("rules/", views.rules, name="rules"),
]
