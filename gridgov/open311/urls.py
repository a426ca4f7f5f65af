from django.urls import path, register_converter

from gridgov.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311format")

app_name = "open311"
urlpatterns = [
    path("v2/discovery.<open311format:format>", views.discovery, name="discovery"),
    path("v2/services.<open311format:format>", views.service_list, name="services"),
    path("v2/services/<str:service_code>.<open311format:format>", views.service_definition, name="service"),
    path("v2/requests.<open311format:format>", views.requests, name="requests"),
    path("v2/requests/<str:service_request_id>.<open311format:format>", views.request_detail, name="request"),
    path("v2/tokens/<str:token>.<open311format:format>", views.token, name="token"),
]
