from django.apps import AppConfig


class HierarchyConfig(AppConfig):
    name = "gridgov.hierarchy"
    label = "hierarchy"
    verbose_name = "网格层级"
