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
