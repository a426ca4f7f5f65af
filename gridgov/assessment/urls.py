from django.urls import path

from gridgov.assessment import scheme_views, views

app_name = "assessment"
urlpatterns = [
    path("", views.index, name="index"),
    path("compute/", views.compute, name="compute"),
    path("scheme/", scheme_views.scheme, name="scheme"),
    path("approve/", views.approve_all, name="approve_all"),
    path("<int:assessment_id>/", views.detail, name="detail"),
    *(
        path(f"<int:assessment_id>/{action}/", views.act, {"action": action}, name=action)
        for action in ("propose", "review", "approve", "return", "appeal", "decide")
    ),
]
