"""Reporting: the grid from the GPS point, photos, duplicates, scopes, and every bad input with
nothing stored."""

import os
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.accounts import scope
from gridgov.audit.models import AuditEntry
from gridgov.events import intake, selectors
from gridgov.events.models import Event, EventPhoto, EventStep, IdempotencyKey, State
from gridgov.notifications.models import Notice
from gridgov.registry.models import Resident


def counts() -> tuple[int, ...]:
    return (
        Event.objects.count(),
        EventStep.objects.count(),
        EventPhoto.objects.count(),
        IdempotencyKey.objects.count(),
        Notice.objects.count(),
    )


def stored_files(settings: Any) -> list[str]:
    root = settings.MEDIA_ROOT
    return (
        [os.path.join(d, f) for d, _s, files in os.walk(root) for f in files] if os.path.exists(root) else []
    )


def test_report_finds_the_grid_from_the_point(story: Any) -> None:
    event = story.report()
    assert event.grid == story.grid
    assert event.path == story.grid.path
    assert event.handling_node.name == "惠民社区"
    assert event.county_code == "150105"
    assert event.state == State.REPORTED
    assert event.severity == "high"
    assert event.number.startswith("SJ")
    assert event.due_at is not None
    assert list(event.steps.values_list("action", flat=True)) == ["report"]
    # The community centre is told.
    assert Notice.objects.filter(event=event, user=story["huimin_admin"]).exists()


def test_report_with_photos_and_residents(story: Any, settings: Any, images: dict[str, bytes]) -> None:
    JPEG, PNG, WEBP = images["jpeg"], images["png"], images["webp"]
    resident = Resident.objects.filter(path__startswith=story.grid.path).first()
    photos = [
        SimpleUploadedFile("a.jpg", JPEG, "image/jpeg"),
        SimpleUploadedFile("b.png", PNG, "image/png"),
        SimpleUploadedFile("c.webp", WEBP, "image/webp"),
    ]
    event = story.report(photos=photos, resident_ids=[resident.pk] if resident else [])
    assert sorted(event.photos.values_list("content_type", flat=True)) == [
        "image/jpeg",
        "image/png",
        "image/webp",
    ]
    assert len(stored_files(settings)) == 3
    if resident:
        assert list(event.residents.all()) == [resident]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"category": "no.such.category"}, "category"),
        ({"category": ""}, "category"),
        ({"lng": 100.0, "lat": 30.0}, "location"),  # far outside Hohhot
        ({"lng": None, "lat": None}, "location"),
        ({"lng": 999.0, "lat": 40.5}, "location"),
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"photos": [SimpleUploadedFile("x.jpg", b"%PDF-1.4 not an image", "image/jpeg")]}, "photos"),
        (
            {
                "photos": [
                    SimpleUploadedFile(
                        "big.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (5 * 1024 * 1024), "image/jpeg"
                    )
                ]
            },
            "photos",
        ),
        ({"resident_ids": [999999999]}, "resident_ids"),
        ({"household_ids": [999999999]}, "household_ids"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    story: Any, settings: Any, kwargs: dict[str, Any], field: str
) -> None:
    before, files_before = counts(), stored_files(settings)
    args: dict[str, Any] = {
        "user": story["gaobo"],
        "category": "heating.pipe_burst",
        "description": "管道爆裂",
        "lng": story.grid.lng,
        "lat": story.grid.lat,
        "idempotency_key": "bad-input",
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as exc:
        intake.report_event(**args)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert all(message for message in exc.value.message_dict[field])
    assert counts() == before
    assert stored_files(settings) == files_before


def test_a_good_photo_is_not_kept_when_a_later_one_is_bad(story: Any, settings: Any, images: Any) -> None:
    PNG = images["png"]
    before = counts()
    photos = [
        SimpleUploadedFile("ok.png", PNG, "image/png"),
        SimpleUploadedFile("bad.gif", b"GIF89a....", "image/gif"),
    ]
    with pytest.raises(ValidationError):
        story.report(photos=photos)
    assert counts() == before
    assert stored_files(settings) == []


def test_failure_after_writing_leaves_nothing_half_created(
    story: Any, settings: Any, monkeypatch: Any, images: Any
) -> None:
    """A failure late in the transaction rolls back the event and removes the photo files already written."""
    PNG = images["png"]
    before = counts()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("notification service down")

    # The centre's staff are looked up for the notice, after the event, its step and photos.
    monkeypatch.setattr(intake, "centre_user_ids", broken)
    with pytest.raises(RuntimeError):
        story.report(photos=[SimpleUploadedFile("ok.png", PNG, "image/png")], idempotency_key="late-failure")
    assert counts() == before
    assert stored_files(settings) == []


def test_grid_outside_the_reporters_scope(story: Any, node: Any) -> None:
    before = counts()
    other = node("惠民社区第二网格")
    with pytest.raises(PermissionDenied) as exc:
        intake.report_event(user=story["gaobo"], category="water.leak", description="漏水", grid=other)
    assert "惠民社区第二网格" in str(exc.value)
    outsider_grid = node("老缸房社区第一网格")
    with pytest.raises(PermissionDenied):
        intake.report_event(
            user=story["gaobo"],
            category="water.leak",
            description="漏水",
            lng=outsider_grid.lng,
            lat=outsider_grid.lat,
        )
    # Department staff report nothing (no REPORT_EVENT capability).
    with pytest.raises(PermissionDenied):
        intake.report_event(
            user=story["heating_staff"],
            category="water.leak",
            description="漏水",
            lng=story.grid.lng,
            lat=story.grid.lat,
        )
    assert counts() == before
    assert AuditEntry.objects.filter(action="denied", success=False).exists()


def test_a_community_admin_reports_anywhere_in_the_community(story: Any, node: Any) -> None:
    other = node("惠民社区第二网格")
    event, created = intake.report_event(
        user=story["huimin_admin"], category="water.leak", description="漏水", lng=other.lng, lat=other.lat
    )
    assert created
    assert event.grid == other


def test_category_by_id_and_inactive_category(story: Any) -> None:
    from gridgov.events.models import Category

    category = Category.objects.get(code="water.leak")
    event, _ = intake.report_event(
        user=story["gaobo"], category=category.pk, description="漏水", grid=story.grid
    )
    assert event.category == category
    category.active = False
    category.save()
    with pytest.raises(ValidationError) as exc:
        intake.report_event(user=story["gaobo"], category="water.leak", description="漏水", grid=story.grid)
    assert "category" in exc.value.message_dict


def test_possible_duplicates_nearby_same_category_recent(story: Any) -> None:
    first = story.report()
    near = story.report(metres=40)
    far = story.report(metres=300)  # beyond the 200 m a duplicate may be from the original
    other_category = story.report("water.leak", "漏水", dx=0.0002)
    found = [e for e, _d in selectors.duplicates_of(near)]
    assert first in found
    assert far not in found
    assert other_category not in found
    distances = {e.pk: d for e, d in selectors.duplicates_of(near)}
    assert 30 <= distances[first.pk] <= 60


@pytest.mark.parametrize("few", [1000, 0], ids=["ids named", "subquery"])
def test_department_staff_see_only_their_inbox(story: Any, monkeypatch: Any, few: int) -> None:
    # Both ways of naming an organisation's events (few: a list of ids; many: a subquery).
    monkeypatch.setattr(scope, "FEW_EVENTS", few)
    event = story.in_state("dispatched")
    other = story.report("water.leak", "漏水")
    heating = Event.objects.restrict(story["heating_staff"])
    assert event in heating
    assert other not in heating
    assert event in selectors.inbox_for(story["heating_staff"])
    assert event in Event.objects.restrict(story["huimin_security"])  # co-handler
    water = Event.objects.restrict(story["water_staff"])
    assert event not in water
    assert other not in water
    story.act(event, "acknowledge", "heating_staff")
    story.act(event, "start", "heating_staff")
    story.act(event, "handle", "heating_staff", result="修好")
    assert event not in selectors.inbox_for(story["heating_staff"])  # done: out of the inbox
    assert event in Event.objects.restrict(story["heating_staff"])  # still visible


def test_officials_see_their_subtree(story: Any) -> None:
    event = story.report()
    assert event in Event.objects.restrict(story["gaobo"])
    assert event in Event.objects.restrict(story["huimin_volunteer"])
    assert event in Event.objects.restrict(story["saihan_admin"])
    assert event in Event.objects.restrict(story["city_admin"])
    assert event not in Event.objects.restrict(story["laogangfang_worker"])


def test_list_is_overdue_first_then_nearest_deadline(story: Any) -> None:
    a, b, c = story.report(), story.report(metres=80), story.report(metres=160)
    Event.objects.filter(pk=b.pk).update(overdue=True)
    Event.objects.filter(pk=c.pk).update(due_at=a.due_at - __import__("datetime").timedelta(minutes=5))
    page = selectors.list_events(story["huimin_admin"], selectors.EventFilter(state="reported"), limit=50)
    order = [e.pk for e in page if e.pk in (a.pk, b.pk, c.pk)]
    assert order == [b.pk, c.pk, a.pk]
    overdue_only = selectors.list_events(story["huimin_admin"], selectors.EventFilter(overdue=True), limit=50)
    assert all(e.overdue for e in overdue_only)
    heating = selectors.list_events(
        story["huimin_admin"], selectors.EventFilter(category="heating"), limit=50
    )
    assert {e.pk for e in heating} >= {a.pk, b.pk, c.pk}  # a parent category includes its children
