from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "gridgov.mobile"
    label = "mobile"
    verbose_name = "手机应用"

    def ready(self) -> None:
        from gridgov.mobile import changes, kinds

        kinds.register_builtin()
        changes.connect()
