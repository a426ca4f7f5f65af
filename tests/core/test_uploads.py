"""Uploaded photos are private: no public URL, served only to viewers in scope, never cached.

Every FileField of the project is listed here (a new one fails the inventory until it has a scoped
view), then event and task photos are read as insiders, as outsiders and anonymously.
"""

from typing import Any

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from gridgov.core.uploads import PrivateUploadStorage
from gridgov.tasks import services as tasks
from gridgov.tasks.models import AssignmentState, TaskAssignment
from tests.events.conftest import PNG, story  # noqa: F401  (fixture)

# Each model with an uploaded file, and the view that serves it after the scope check.
SERVED_BY = {
    "events.eventphoto": "events:photo",
    "tasks.taskphoto": "tasks:photo",
    "inspection.inspectionphoto": "inspection:photo",
}


@pytest.fixture(autouse=True)
def _media(tmp_path: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_every_file_field_has_a_scoped_view() -> None:
    found = {
        model._meta.label_lower
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, models.FileField)
    }
    assert found == set(SERVED_BY), "a new upload needs a view that checks scope (gridgov.core.uploads)"
    for name in SERVED_BY.values():
        assert reverse(name, args=[1, 1] if name != "inspection:photo" else [1])


def test_uploads_have_no_public_url(settings: Any) -> None:
    assert isinstance(default_storage, PrivateUploadStorage)
    with pytest.raises(ValueError, match="no public URL"):
        default_storage.url("events/2026/01/a.png")
    with pytest.raises(Resolver404):
        resolve("/media/events/2026/01/a.png")


def test_production_settings_keep_uploads_private() -> None:
    from gridgov import settings_production

    assert settings_production.STORAGES["default"]["BACKEND"] == "gridgov.core.uploads.PrivateUploadStorage"


def _assert_image(response: Any, url: str) -> None:
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_event_photo_page_and_api_for_those_who_see_the_event(story: Any, login: Any) -> None:  # noqa: F811
    event = story.in_state("dispatched")
    story.act(event, "acknowledge", "heating_staff")
    story.act(event, "start", "heating_staff")
    story.act(
        event,
        "handle",
        "heating_staff",
        result="已更换管道",
        photos=[SimpleUploadedFile("done.png", PNG, "image/png")],
    )
    photo = event.photos.get()
    page_url = f"/events/{event.pk}/photos/{photo.pk}/"
    api_url = f"/api/v1/events/{event.pk}/photos/{photo.pk}"
    for username in ("gaobo", "huimin_admin", "heating_staff", "saihan_admin"):
        client = login(username)
        detail = client.get(f"/events/{event.pk}/")
        assert page_url in detail.content.decode()
        assert "/media/" not in detail.content.decode()
        _assert_image(client.get(page_url), page_url)
        assert client.get(f"/api/v1/events/{event.pk}").json()["photos"] == [api_url]
        _assert_image(client.get(api_url), api_url)
    outsider = login("laogangfang_worker")
    assert outsider.get(page_url).status_code == 404
    assert outsider.get(api_url).status_code == 404
    # Another event's photo id under an event one may see: 404 too (no id walking).
    other = story.report(dx=0.0005)
    assert login("huimin_admin").get(f"/events/{other.pk}/photos/{photo.pk}/").status_code == 404
    anonymous = Client().get(page_url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert Client().get(api_url).status_code == 401


def test_a_missing_file_is_a_404_not_a_500(story: Any, login: Any) -> None:  # noqa: F811
    event = story.report(photos=[SimpleUploadedFile("a.png", PNG, "image/png")])
    photo = event.photos.get()
    default_storage.delete(photo.image.name)
    assert login("huimin_admin").get(f"/events/{event.pk}/photos/{photo.pk}/").status_code == 404


def test_task_photo_shown_on_the_task_and_hidden_outside(user: Any, login: Any, node: Any) -> None:
    assignment = TaskAssignment.objects.filter(
        grid=node("惠民社区第一网格"), state=AssignmentState.OPEN
    ).first()
    assert assignment is not None, "the demo seed gives 惠民社区第一网格 open tasks"
    tasks.complete_task(
        user=user("gaobo"),
        assignment=assignment,
        result="已张贴通知",
        photos=[SimpleUploadedFile("a.png", PNG, "image/png")],
    )
    photo = assignment.photos.get()
    url = f"/tasks/assignments/{assignment.pk}/photos/{photo.pk}/"
    leader = login("huimin_admin")
    assert url in leader.get(f"/tasks/{assignment.task_id}/").content.decode()
    _assert_image(leader.get(url), url)
    assert login("laogangfang_worker").get(url).status_code == 404
