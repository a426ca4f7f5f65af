from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "gridgov.search"
    label = "search"
    verbose_name = "关键词检索"
