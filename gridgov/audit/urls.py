from django.urls import path

from gridgov.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.entry_list, name="list"),
    path("<int:auditentry_id>/", views.entry_detail, name="detail"),
]
