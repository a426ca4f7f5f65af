from django.apps import AppConfig


class WorklogConfig(AppConfig):
    name = "gridgov.worklog"
    label = "worklog"
    verbose_name = "民情日志与工作量"
