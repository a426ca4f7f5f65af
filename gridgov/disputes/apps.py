from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "gridgov.disputes"
    label = "disputes"
    verbose_name = "矛盾纠纷"

    def ready(self) -> None:
        from gridgov.disputes import signals  # noqa: F401  creates dispute records for dispute events
