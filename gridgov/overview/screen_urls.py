"""The big screen behind a display link (/screen/<token>/): the token is the credential."""

from django.urls import path

from gridgov.overview import views

app_name = "screen"
urlpatterns = [
    path("<str:token>/", views.screen, name="screen"),
    path("<str:token>/map.json", views.screen_map, name="screen_map"),
]
