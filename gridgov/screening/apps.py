from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "gridgov.screening"
    label = "screening"
    verbose_name = "矛盾纠纷排查"

    def ready(self) -> None:
        from gridgov.screening import phone

        phone.register_kinds()  # the rounds a grid has still to answer, on the worker's phone
