from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "gridgov.disputes"
    label = "disputes"
    verbose_name = "矛盾纠纷"
