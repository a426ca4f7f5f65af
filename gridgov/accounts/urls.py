from django.contrib.auth import views as auth_views
from django.urls import path

from gridgov.accounts import views
from gridgov.accounts.forms import LoginForm

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("nodes/<int:node_id>/staff/", views.node_staff, name="staff"),
    path("assignments/<int:roleassignment_id>/revoke/", views.revoke, name="revoke"),
    path("users/<int:user_id>/", views.person_detail, name="person"),
    path("users/<int:user_id>/active/", views.set_active, name="set_active"),
    path("devices/<int:device_id>/revoke/", views.revoke_device, name="revoke_device"),
]
