from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "gridgov.disputes"
    label = "disputes"
    verbose_name = "矛盾纠纷"

    def ready(self) -> None:
        from gridgov.disputes import signals

        signals.connect()  # dispute events get their dispute record and risk rating
