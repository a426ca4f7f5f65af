from django.apps import AppConfig


class AcademyConfig(AppConfig):
    name = "gridgov.academy"
    label = "academy"
    verbose_name = "网格学院"
