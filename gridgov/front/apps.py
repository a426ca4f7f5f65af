from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "gridgov.front"
    label = "front"
    verbose_name = "页面"
