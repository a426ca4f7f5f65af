from django.urls import path

from gridgov.hierarchy import views

app_name = "hierarchy"
urlpatterns = [
    path("", views.home, name="home"),
    path("nodes/<int:node_id>/", views.node_detail, name="node"),
]
