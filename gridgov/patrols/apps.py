from django.apps import AppConfig


class PatrolsConfig(AppConfig):
    name = "gridgov.patrols"
    label = "patrols"
    verbose_name = "巡网走格"

    def ready(self) -> None:
        from gridgov.mobile import changes
        from gridgov.patrols import sync

        # After the phone app's own kinds (the snapshot sends kinds in registration order), then
        # the change log follows the new kinds' models too (connecting again is a no-op).
        sync.register_kinds()
        changes.connect()
