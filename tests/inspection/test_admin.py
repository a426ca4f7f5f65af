"""The checklist is data a city administrator edits in the admin; others do not see it."""

from gridgov.inspection.models import ChecklistItem


def test_city_admin_edits_the_checklist(login):
    item = ChecklistItem.objects.order_by("pk").first()
    url = f"/admin/inspection/checklistitem/{item.pk}/change/"
    assert login("city_admin").get(url).status_code == 200
    assert login("saihan_admin").get(url).status_code in {302, 403, 404}
