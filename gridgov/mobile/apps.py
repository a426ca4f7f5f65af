from django.apps import AppConfig


class MobileConfig(AppConfig):
    name = "gridgov.mobile"
    label = "mobile"
    verbose_name = "手机应用"

    def ready(self) -> None:
        from gridgov.events import hooks
        from gridgov.mobile import changes, kinds

        kinds.register_builtin()
        changes.connect()
        hooks.on_reported(changes.log_created)
