from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "gridgov.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from gridgov.audit import signals  # noqa: F401
