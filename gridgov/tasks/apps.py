from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "gridgov.tasks"
    label = "tasks"
    verbose_name = "十项职责与任务准入"

    def ready(self) -> None:
        from gridgov.tasks import phone

        phone.register_kinds()  # the worker's open tasks on the phone
