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
        post_delete.connect(_calendar_changed, sender=Holiday, dispatch_uid="events_holiday_deleted", weak=False)

        def _catalog_changed(**_: object) -> None:
            invalidate_catalog()

        post_save.connect(_catalog_changed, sender=Category, dispatch_uid="events_category_saved", weak=False)
        post_delete.connect(_catalog_changed, sender=Category, dispatch_uid="events_category_deleted", weak=False)

        from gridgov.accounts.models import RoleAssignment
        from gridgov.hierarchy.models import Node

        def _people_or_places_changed(**_: object) -> None:
            from gridgov.events.services import forget_cached_rows

            forget_cached_rows()

        # Who staffs a centre, and where a grid hangs, are cached for reporting; drop them on change.
        for model in (RoleAssignment, Node):
            post_save.connect(_people_or_places_changed, sender=model, weak=False,
                              dispatch_uid=f"events_forget_{model._meta.label_lower}_saved")
            post_delete.connect(_people_or_places_changed, sender=model, weak=False,
                                dispatch_uid=f"events_forget_{model._meta.label_lower}_deleted")
