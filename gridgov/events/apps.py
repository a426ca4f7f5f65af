from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "gridgov.events"
    label = "events"
    verbose_name = "事件与派遣"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gridgov.events.deadlines import invalidate_calendar
        from gridgov.events.models import Category, Holiday
        from gridgov.events.selectors import invalidate_catalog

        def _calendar_changed(**_: object) -> None:
            invalidate_calendar()

        # Deadlines must follow an edited holiday calendar at once, whichever door edited it.
        post_save.connect(_calendar_changed, sender=Holiday, dispatch_uid="events_holiday_saved", weak=False)
        post_delete.connect(
            _calendar_changed, sender=Holiday, dispatch_uid="events_holiday_deleted", weak=False
        )

        def _catalog_changed(**_: object) -> None:
            invalidate_catalog()

        post_save.connect(_catalog_changed, sender=Category, dispatch_uid="events_category_saved", weak=False)
        post_delete.connect(
            _catalog_changed, sender=Category, dispatch_uid="events_category_deleted", weak=False
        )

        from gridgov.hierarchy.models import Node

        def _places_changed(**_: object) -> None:
            from gridgov.events.intake import forget_cached_rows

            forget_cached_rows()

        # Grid nodes (with their community) are cached for reporting; drop them when the tree changes.
        post_save.connect(_places_changed, sender=Node, weak=False, dispatch_uid="events_forget_node_saved")
        post_delete.connect(
            _places_changed, sender=Node, weak=False, dispatch_uid="events_forget_node_deleted"
        )
