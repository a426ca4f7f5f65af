"""Leader pages for screening: open a round, see which grids have not answered."""

from datetime import timedelta

from django.utils import timezone

from gridgov.screening.models import ScreeningRound


def test_open_a_round_and_see_who_has_not_answered(login, node):
    township = node("昭乌达南路街道")
    client = login("zhaowuda_admin")
    deadline = (timezone.localdate() + timedelta(days=4)).isoformat()
    answer = client.post(
        f"/screening/?node={township.pk}", {"node": township.pk, "title": "节前排查", "deadline": deadline}
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    round_ = ScreeningRound.objects.get(title="节前排查")
    page = client.get(f"/screening/{round_.pk}/").content.decode()
    assert "惠民社区第一网格" in page
    assert "未报送" in page
    assert login("laogangfang_worker").get(f"/screening/{round_.pk}/").status_code == 404
