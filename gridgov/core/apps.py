from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from gridgov.core import commands, lookups  # noqa: F401  lookups registers the `under` lookup

        commands.install()
