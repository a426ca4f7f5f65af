"""The schedule follows the registry: a resident's save (tags, status, household) refreshes their
care schedule, an Excel import rebuilds the schedules of the grid it wrote to; a save of a resident made by a person through a page or the API
stamps the household verified (the worker has just seen its data). A household's own saves do
not: a renamed building or grid rewrites every address under it, which nobody verified."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from gridgov.core.context import current_actor

# Channels where a person edits the registry by hand (not an import command or the seed).
HAND_CHANNELS = ("page", "api")


def _resident_saved(sender: Any, instance: Any, raw: bool = False, **_: Any) -> None:
    if raw:
        return
    from gridgov.care import schedules

    schedules.refresh_resident(instance)
    _stamp(instance)


def _stamp(resident: Any) -> None:
    ctx = current_actor()
    household_id = resident.household_id
    if household_id is None or ctx.user_id is None or ctx.channel not in HAND_CHANNELS:
        return
    from django.utils import timezone

    from gridgov.care.models import VerifySource
    from gridgov.care.services import stamp_verified
    from gridgov.registry.choices import HouseholdStatus
    from gridgov.registry.models import Household

    # The household the registry's service loaded (and locked) with the resident, if it did.
    household = resident._state.fields_cache.get("household")
    if household is None or household.pk != household_id:
        household = Household.objects.filter(pk=household_id).first()
    if household is not None and household.status == HouseholdStatus.ACTIVE:
        with transaction.atomic():
            stamp_verified(
                household, at=timezone.now(), user=ctx.user_id, source=VerifySource.REGISTRY, once_a_day=True
            )


def _residents_imported(sender: Any, path: str, **_: Any) -> None:
    """An import wrote residents without signals: the schedules under its grid are rebuilt."""
    from gridgov.care import schedules

    schedules.rebuild(path)


def connect() -> None:
    from gridgov.registry.models import Resident
    from gridgov.registry.signals import residents_imported

    post_save.connect(_resident_saved, sender=Resident, weak=False, dispatch_uid="care_resident_saved")
    residents_imported.connect(_residents_imported, weak=False, dispatch_uid="care_residents_imported")
