from django.urls import path

from gridgov.front import views

app_name = "front"
urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
]
