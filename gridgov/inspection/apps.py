from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "gridgov.inspection"
    label = "inspection"
    verbose_name = "督导检查"

    def ready(self) -> None:
        from gridgov.inspection import phone

        phone.register_kinds()  # the worker's open rectifications on the phone
