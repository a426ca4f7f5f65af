from django.urls import path

from gridgov.events import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("new/", views.report, name="report"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("inbox/", views.inbox, name="inbox"),
    path("export.xlsx", views.event_export, name="export"),
    path("<int:event_id>/", views.detail, name="detail"),
    path("<int:event_id>/photos/<int:eventphoto_id>/", views.photo, name="photo"),
    path("<int:event_id>/transition/", views.transition, name="transition"),
]
