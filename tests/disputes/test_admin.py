"""Disputes in the admin: read-only, scoped like everything else."""

from gridgov.disputes.models import Dispute


def test_city_admin_reads_disputes_in_the_admin(login):
    client = login("city_admin")
    assert client.get("/admin/disputes/dispute/").status_code == 200
    dispute = Dispute.objects.first()
    page = client.get(f"/admin/disputes/dispute/{dispute.pk}/change/")
    assert page.status_code == 200
    assert client.post(f"/admin/disputes/dispute/{dispute.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Dispute.objects.filter(pk=dispute.pk).exists()


def test_disputes_outside_the_scope_are_not_in_the_admin(login, node):
    outside = Dispute.objects.filter(path__under=node("新城区").path).first()
    assert outside is not None
    assert login("saihan_admin").get(f"/admin/disputes/dispute/{outside.pk}/change/").status_code in (
        302,
        403,
        404,
    )


def test_the_auditor_reads_no_dispute_in_the_admin(login):
    """The admin asks the same door as the pages and the API: auditors read the log, not disputes."""
    client = login("auditor")
    listing = client.get("/admin/disputes/dispute/")
    assert listing.status_code in (200, 403)
    for dispute in Dispute.objects.all()[:20]:
        assert dispute.event.number not in listing.content.decode()
        page = client.get(f"/admin/disputes/dispute/{dispute.pk}/change/")
        assert page.status_code in (302, 403, 404), dispute
        assert dispute.event.description not in page.content.decode()
    api = client.get(f"/api/v1/disputes/{Dispute.objects.first().pk}")
    assert api.status_code == 404
