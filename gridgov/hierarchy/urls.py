from django.urls import path

from gridgov.hierarchy import views

app_name = "hierarchy"
urlpatterns = [
    path("", views.home, name="home"),
    path("nodes/<int:node_id>/", views.node_detail, name="node"),
    path("nodes/<int:node_id>/new/", views.node_create, name="node_create"),
    path("nodes/<int:node_id>/edit/", views.node_edit, name="node_edit"),
    path("nodes/<int:node_id>/move/", views.node_move, name="node_move"),
    path("map/", views.map_page, name="map"),
    path("map/grids.geojson", views.map_geojson, name="map_geojson"),
    path("staffing/gaps/", views.staffing_gaps, name="staffing_gaps"),
]
