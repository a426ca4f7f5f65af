from django.urls import path

from gridgov.search import views

app_name = "search"
urlpatterns = [
    path("", views.search_page, name="search"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("grants/", views.grants_page, name="grants"),
    path("grants/<int:breakglassgrant_id>/decide/", views.grant_decide, name="grant_decide"),
    path("grants/<int:breakglassgrant_id>/close/", views.grant_close, name="grant_close"),
]
