"""The catalog and the holiday calendar are edited by city administrators in the admin."""

from typing import Any

from gridgov.events.models import Category
from gridgov.hierarchy.models import Node


def test_city_admin_edits_the_catalog(login: Any, db: Any) -> None:
    client = login("city_admin")
    assert client.get("/admin/events/category/").status_code == 200
    category = Category.objects.get(code="heating.pipe_burst")
    page = client.get(f"/admin/events/category/{category.pk}/change/")
    assert page.status_code == 200
    assert client.get("/admin/events/holiday/").status_code == 200


def test_others_cannot_edit_the_catalog(login: Any, db: Any) -> None:
    category = Category.objects.get(code="heating.pipe_burst")
    for username in ("saihan_admin", "huimin_admin", "gaobo", "heating_staff"):
        client = login(username)
        assert client.get(f"/admin/events/category/{category.pk}/change/").status_code in (302, 403, 404), (
            username
        )
        assert client.get("/admin/events/holiday/add/").status_code in (302, 403, 404), username


def test_organisations_are_scoped_in_the_admin(login: Any, db: Any) -> None:
    from gridgov.events.models import Organisation

    client = login("saihan_admin")
    listing = client.get("/admin/events/organisation/", {"q": "派出所"}).content.decode()
    assert "昭乌达南路派出所" in listing
    assert "东街派出所" not in listing
    outside = Organisation.objects.get(name="东街派出所")
    assert client.get(f"/admin/events/organisation/{outside.pk}/change/").status_code in (302, 403, 404)


def test_event_list_in_the_admin_is_the_users_subtree(login: Any, db: Any) -> None:
    from gridgov.events.models import Event

    community = Node.objects.get(name="惠民社区")
    inside = Event.objects.filter(path__startswith=community.path)
    outside = Event.objects.exclude(path__startswith=community.path)
    assert inside.exists()
    assert outside.exists()
    html = login("huimin_admin").get("/admin/events/event/?all=").content.decode()
    assert all(e.number in html for e in inside)
    assert not any(e.number in html for e in outside)
    city = login("city_admin").get("/admin/events/event/?all=").content.decode()
    assert all(e.number in city for e in Event.objects.all())
