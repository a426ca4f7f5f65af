"""The early-warning list: high-risk disputes, repeated hotspots (address, parties), overdue and
reopened events, due follow-ups — per scope, most serious first — on the page and the API."""

from datetime import timedelta

from django.utils import timezone

from gridgov.disputes import selectors, services
from gridgov.events import intake as event_intake
from gridgov.events.models import Event

RANKS = ["low", "medium", "high", "critical"]


def _by_event(items, event):
    return next((w for w in items if w.event_id == event.pk), None)


def test_high_risk_disputes_and_hotspots_are_listed_most_serious_first(med):
    threat = med.report("扬言要同归于尽")
    med.report("楼上漏水", address="预警测试楼1号")
    med.report("又漏水", address="预警测试楼1号")
    parties = [{"name": "韩九", "phone": "13904713001"}, {"name": "杨十", "phone": "13904713002"}]
    med.report("吵架", parties=parties)
    med.report("又吵", parties=parties)
    items = selectors.warnings_for(med["huimin_admin"])
    item = _by_event(items, threat.event)
    assert item is not None
    assert "high_risk" in item.flags
    assert item.risk == "critical"
    assert "同归于尽" in item.detail
    assert item.url == f"/disputes/{threat.pk}/"
    places = [w for w in items if w.kind == "hotspot_address" and "预警测试楼1号" in w.title]
    assert len(places) == 1
    assert len(places[0].numbers) == 2
    people = {w.title for w in items if w.kind == "hotspot_parties"}
    assert {"反复涉纠当事人：韩九", "反复涉纠当事人：杨十"} <= people
    ranks = [RANKS.index(w.risk) for w in items]
    assert ranks == sorted(ranks, reverse=True)


def test_overdue_and_reopened_events_are_listed(med):
    gaobo, admin = med["gaobo"], med["huimin_admin"]
    long_ago = timezone.now() - timedelta(days=10)
    late, _ = event_intake.report_event(
        user=gaobo, category="water.outage", description="停水多日", grid=med.grid, now=long_ago
    )
    Event.objects.filter(pk=late.pk).update(overdue=True)
    reopened = Event.objects.filter(path__under=med.grid.path, state="reopened").first()
    items = selectors.warnings_for(admin)
    assert "overdue" in _by_event(items, late).flags
    if reopened is not None:  # the events demo seed has one; the flag is checked in any case below
        assert "reopened" in _by_event(items, reopened).flags
    Event.objects.filter(pk=late.pk).update(state="reopened", reopen_count=1)
    assert {"overdue", "reopened"} <= set(_by_event(selectors.warnings_for(admin), late).flags)
    Event.objects.filter(pk=late.pk).update(state="closed", is_open=False)
    assert _by_event(selectors.warnings_for(admin), late) is None


def test_due_follow_ups_are_listed(med):
    dispute = med.report("口角")
    services.record_outcome(
        dispute, user=med["huimin_admin"], outcome="agreement", terms="双方和解", follow_up_days=1
    )
    assert _by_event(selectors.warnings_for(med["huimin_admin"]), dispute.event) is None
    dispute.follow_ups.update(due_on=timezone.localdate())
    item = _by_event(selectors.warnings_for(med["huimin_admin"]), dispute.event)
    assert item.flags == ["follow_up_due"]
    assert item.detail == f"今日回访：{timezone.localdate():%Y-%m-%d}"
    # Passed and still open: overdue, listed before due ones.
    dispute.follow_ups.update(due_on=timezone.localdate() - timedelta(days=3))
    item = _by_event(selectors.warnings_for(med["huimin_admin"]), dispute.event)
    assert item.flags == ["follow_up_overdue"]
    assert item.detail.startswith("回访逾期：")
    # Done: off the list.
    dispute.follow_ups.update(done_at=timezone.now())
    assert _by_event(selectors.warnings_for(med["huimin_admin"]), dispute.event) is None


def test_the_list_is_per_scope(med, api, node):
    threat = med.report("要砍死他")
    assert _by_event(selectors.warnings_for(med["laogangfang_worker"]), threat.event) is None
    assert _by_event(selectors.warnings_for(med["saihan_admin"]), threat.event) is not None
    # A node inside the scope narrows it; another place drops the dispute.
    response = api("saihan_admin").get(f"/api/v1/disputes/warnings?node_id={node('惠民社区').pk}")
    assert threat.event.pk in [w["event_id"] for w in response.json()["items"]]
    other = node("大学东路街道")
    response = api("saihan_admin").get(f"/api/v1/disputes/warnings?node_id={other.pk}")
    assert threat.event.pk not in [w["event_id"] for w in response.json()["items"]]
    # A node outside the scope is 404.
    assert api("gaobo").get(f"/api/v1/disputes/warnings?node_id={node('老缸房社区').pk}").status_code == 404


def test_warnings_page(med, login):
    threat = med.report("扬言要报复")
    page = login("zhaowuda_admin").get("/disputes/warnings/")
    assert page.status_code == 200
    html = page.content.decode()
    assert threat.event.number in html
    assert "高风险纠纷" in html
    assert login("huimin_admin").get("/disputes/warnings/?node=999999999").status_code == 404
