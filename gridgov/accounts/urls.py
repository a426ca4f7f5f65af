from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.accounts import twofactor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", twofactor_views.TwoStepLoginView.as_view(), name="login"),
    path("login/verify/", twofactor_views.login_verify, name="login_verify"),
    path("2fa/", twofactor_views.two_factor, name="two_factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("nodes/<int:node_id>/staff/", views.node_staff, name="staff"),
    path("assignments/<int:roleassignment_id>/revoke/", views.revoke, name="revoke"),
    path("users/<int:user_id>/", views.person_detail, name="person"),
    path("users/<int:user_id>/active/", views.set_active, name="set_active"),
    path("devices/<int:device_id>/revoke/", views.revoke_device, name="revoke_device"),
]
