"""The dispute list filtered as the overview links it, and its Excel export."""

import io

from openpyxl import load_workbook

from gridgov.audit.models import AuditEntry
from gridgov.disputes.models import Dispute


def test_list_filters_by_area_risk_and_state(login, node):
    client = login("saihan_admin")
    community = node("惠民社区")
    response = client.get("/disputes/", {"node": community.pk, "risk": "high,critical", "state": "all"})
    assert response.status_code == 200
    page = response.content.decode()
    for dispute in Dispute.objects.filter(path__startswith=community.path).select_related("event"):
        assert (dispute.event.number in page) == (dispute.risk_level in ("high", "critical"))


def test_export_matches_the_list_and_is_audited(login, node):
    client = login("huimin_admin")
    before = AuditEntry.objects.filter(action="export", object_type="disputes.dispute").count()
    response = client.get("/disputes/export.xlsx", {"node": node("惠民社区").pk, "state": "all"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True))
    expected = set(
        Dispute.objects.filter(path__startswith=node("惠民社区").path).values_list("event__number", flat=True)
    )
    assert {r[0] for r in rows} == expected
    assert AuditEntry.objects.filter(action="export", object_type="disputes.dispute").count() == before + 1


def test_bad_filters_are_400_not_500(login, node):
    client = login("huimin_admin")
    assert client.get("/disputes/", {"from": "not-a-date"}).status_code == 400
    assert client.get("/disputes/export.xlsx", {"node": "x"}).status_code == 400
    assert login("zhaowuda_admin").get("/disputes/", {"node": node("老缸房社区").pk}).status_code == 404
