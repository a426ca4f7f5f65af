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


def test_answers_list_filters_by_area_period_and_state(login, node):
    client = login("zhaowuda_admin")
    township = node("昭乌达南路街道")
    today = timezone.localdate()
    answered = client.get(
        f"/screening/answers/?node={township.pk}&from={today - timedelta(days=100)}&to={today}"
    )
    assert answered.status_code == 200
    text = answered.content.decode()
    assert "排查报送明细 · 昭乌达南路街道" in text
    assert "零报告" in text
    pending = client.get(f"/screening/answers/?node={township.pk}&state=pending").content.decode()
    assert "未报送" in pending
    bad = client.get(f"/screening/answers/?node={township.pk}&from=nope").content.decode()
    assert "日期格式应为 YYYY-MM-DD" in bad
    assert login("laogangfang_worker").get(f"/screening/answers/?node={township.pk}").status_code == 404
