from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "gridgov.care"
    label = "care"
    verbose_name = "入户走访与关爱"

    def ready(self) -> None:
        from gridgov.care import phone, signals

        signals.connect()  # a resident's care tags, status or home change: the schedule follows
        phone.register_kinds()  # due visits on the worker's phone
