"""The event list filtered by area, dates, category, state and overdue, and its Excel export."""

import datetime
import io

from django.utils import timezone
from openpyxl import load_workbook

from gridgov.audit.models import AuditEntry
from gridgov.events.models import Event
from gridgov.registry.masking import mask_text


def _numbers(response):
    return set(__import__("re").findall(r"E\d{8,}|\b[A-Z]{1,3}\d{10,}\b", response.content.decode()))


def _rows(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(min_row=2, values_only=True))


def test_list_filters_by_area_and_dates(login, node):
    client = login("saihan_admin")
    community = node("惠民社区")
    today = timezone.localdate()
    params = {
        "node": community.pk,
        "from": (today - datetime.timedelta(days=30)).isoformat(),
        "to": today.isoformat(),
    }
    response = client.get("/events/", params)
    assert response.status_code == 200
    expected = Event.objects.filter(
        path__startswith=community.path,
        created_at__gte=timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=30), datetime.time.min)
        ),
    )
    page = response.content.decode()
    for number in expected.values_list("number", flat=True)[:20]:
        assert number in page
    outside = Event.objects.filter(path__startswith=node("赛罕区").path).exclude(
        path__startswith=community.path
    )
    for number in outside.values_list("number", flat=True)[:20]:
        assert number not in page


def test_export_matches_the_filtered_list_and_is_audited(login, node):
    client = login("huimin_admin")
    community = node("惠民社区")
    before = AuditEntry.objects.filter(action="export", object_type="events.event").count()
    response = client.get("/events/export.xlsx", {"node": community.pk, "state": "open"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    rows = _rows(response)
    expected = set(
        Event.objects.filter(path__startswith=community.path, is_open=True).values_list("number", flat=True)
    )
    assert {r[0] for r in rows} == expected
    assert AuditEntry.objects.filter(action="export", object_type="events.event").count() == before + 1


def test_export_of_another_area_is_refused(login, node):
    client = login("zhaowuda_admin")
    response = client.get("/events/export.xlsx", {"node": node("老缸房社区").pk})
    # As for an area that does not exist: the area is not among the choices (nothing leaks).
    assert response.status_code == 400
    assert client.get("/events/export.xlsx", {"node": 987654321}).status_code == 400


def test_export_masks_numbers_typed_into_descriptions_for_viewers_without_pii(login, node, user):
    event = Event.objects.filter(path__startswith=node("惠民社区").path).first()
    Event.objects.filter(pk=event.pk).update(description="联系人电话13812345678，身份证150105199001011234")
    # A department member sees dispatched events only; an auditor sees none: use a grid instructor
    # (sees the grid's events, may not see full numbers).
    full = _rows(login("huimin_admin").get("/events/export.xlsx", {"q": event.number}))
    masked = _rows(login("huimin_instructor").get("/events/export.xlsx", {"q": event.number}))
    assert "13812345678" in full[0][8]
    if masked:
        assert "13812345678" not in masked[0][8]
        assert masked[0][8] == mask_text(full[0][8])


def test_bad_dates_are_shown_not_a_500(login):
    client = login("huimin_admin")
    assert client.get("/events/", {"from": "2026-13-40"}).status_code == 200
    response = client.get("/events/export.xlsx", {"from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 400


def test_mask_text():
    assert mask_text("电话13812345678") == "电话138****5678"
    assert mask_text("证件150105199001011234号") == "证件150105********1234号"
    assert mask_text("编号 E2026120300001") == "编号 E2026120300001"
