from django.apps import AppConfig


class OverviewConfig(AppConfig):
    name = "gridgov.overview"
    label = "overview"
    verbose_name = "一屏统览"
