from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "gridgov.workforce"
    label = "workforce"
    verbose_name = "队伍建设"
