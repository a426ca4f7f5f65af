"""Follow-up plans (gridgov.disputes.follow_ups): several dates after the outcome, each due on its
day and overdue after it, done with a note or by a follow-up visit; the worker tells the team
once; every change is on the timeline; pages (htmx) and the API, with refusals and bad input."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry
from gridgov.core.errors import ConflictError
from gridgov.disputes import follow_ups, selectors, services, team
from gridgov.disputes.models import FollowUp
from gridgov.events.worker import run_once
from gridgov.notifications.models import Notice


def _today():
    return timezone.localdate()


def _settled(med, *, days=None, dates=None):
    dispute = med.report("口角")
    team.add_team_member(dispute, user=med["gaobo"], member=med["gaobo"])
    team.add_team_member(dispute, user=med["gaobo"], member=med["zhaowuda_mediator"])
    services.record_outcome(
        dispute,
        user=med["huimin_admin"],
        outcome="agreement",
        terms="双方和解，互相道歉",
        follow_up_days=days,
        follow_up_dates=dates,
    )
    return dispute


def _steps(dispute, action):
    return list(dispute.event.steps.filter(action=action).order_by("at", "pk"))


def test_the_outcome_sets_a_plan_of_several_dates(med):
    dates = [_today() + timedelta(days=n) for n in (7, 30, 90)]
    dispute = _settled(med, dates=list(reversed(dates)))
    assert [f.due_on for f in selectors.follow_ups_of(dispute)] == dates
    assert all(f.status == "planned" for f in selectors.follow_ups_of(dispute))
    step = _steps(dispute, "dispute_outcome")[-1]
    assert "回访计划：" in step.note
    assert step.data["follow_up_dates"] == [d.isoformat() for d in dates]
    assert AuditEntry.objects.filter(object_type="disputes.followup", action=Action.CREATE).count() >= 3


def test_follow_up_days_still_makes_a_one_date_plan_and_none_makes_none(med):
    assert [f.due_on for f in _settled(med, days=15).follow_ups.all()] == [_today() + timedelta(days=15)]
    assert not _settled(med).follow_ups.exists()


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ([-1], "早于今天"),
        ([800], "太远"),
        ([5, 5], "重复"),
    ],
)
def test_bad_dates_at_the_outcome_name_the_field_and_record_nothing(med, dates, message):
    dispute = med.report("口角")
    with pytest.raises(ValidationError) as exc:
        services.record_outcome(
            dispute,
            user=med["huimin_admin"],
            outcome="agreement",
            terms="双方和解",
            follow_up_dates=[_today() + timedelta(days=n) for n in dates],
        )
    assert message in exc.value.error_dict["follow_up_dates"][0].message
    dispute.refresh_from_db()
    assert dispute.outcome == ""
    assert not dispute.follow_ups.exists()


def test_each_date_is_due_then_overdue_in_turn(med):
    dispute = _settled(med, dates=[_today() + timedelta(days=n) for n in (1, 10)])
    first, second = selectors.follow_ups_of(dispute)
    today = _today()
    assert (first.status_on(today), second.status_on(today)) == ("planned", "planned")
    later = today + timedelta(days=1)
    assert (first.status_on(later), second.status_on(later)) == ("due", "planned")
    later = today + timedelta(days=2)
    assert (first.status_on(later), second.status_on(later)) == ("overdue", "planned")
    later = today + timedelta(days=11)
    assert (first.status_on(later), second.status_on(later)) == ("overdue", "overdue")


def test_planning_more_dates_and_the_limits(med):
    dispute = _settled(med, days=30)
    items = follow_ups.plan_follow_ups(
        dispute,
        user=med["gaobo"],
        dates=[_today() + timedelta(days=60), None, _today() + timedelta(days=120)],
        purpose="看协议履行情况",
    )
    assert [i.purpose for i in items] == ["看协议履行情况"] * 2
    assert dispute.follow_ups.count() == 3
    step = _steps(dispute, "dispute_follow_up_planned")[-1]
    assert "看协议履行情况" in step.note
    with pytest.raises(ValidationError) as exc:
        follow_ups.plan_follow_ups(dispute, user=med["gaobo"], dates=[_today() + timedelta(days=30)])
    assert "已在回访计划中" in exc.value.error_dict["dates"][0].message
    with pytest.raises(ValidationError) as exc:
        follow_ups.plan_follow_ups(dispute, user=med["gaobo"], dates=[])
    assert "dates" in exc.value.error_dict
    many = [_today() + timedelta(days=200 + n) for n in range(follow_ups.MAX_OPEN)]
    with pytest.raises(ValidationError) as exc:
        follow_ups.plan_follow_ups(dispute, user=med["gaobo"], dates=many)
    assert "最多" in exc.value.error_dict["dates"][0].message
    assert dispute.follow_ups.count() == 3


def test_no_plan_before_the_outcome(med):
    dispute = med.report("口角")
    with pytest.raises(ConflictError):
        follow_ups.plan_follow_ups(dispute, user=med["gaobo"], dates=[_today() + timedelta(days=3)])


def test_someone_outside_the_dispute_cannot_touch_the_plan_and_is_logged(med):
    dispute = _settled(med, days=5)
    item = dispute.follow_ups.get()
    outsider = med["laogangfang_worker"]
    with pytest.raises(PermissionDenied):
        follow_ups.plan_follow_ups(dispute, user=outsider, dates=[_today() + timedelta(days=9)])
    with pytest.raises(PermissionDenied):
        follow_ups.complete_follow_up(dispute, user=outsider, item_id=item.pk, note="没去但说去了")
    with pytest.raises(PermissionDenied):
        follow_ups.cancel_follow_up(dispute, user=outsider, item_id=item.pk, reason="不想去")
    assert (
        AuditEntry.objects.filter(
            action=Action.DENIED, object_id=str(dispute.pk), actor_name="laogangfang_worker"
        ).count()
        == 3
    )
    item.refresh_from_db()
    assert item.done_at is None
    assert dispute.follow_ups.count() == 1


def test_completing_and_cancelling(med):
    dispute = _settled(med, dates=[_today() + timedelta(days=n) for n in (3, 30)])
    first, second = selectors.follow_ups_of(dispute)
    with pytest.raises(ValidationError) as exc:
        follow_ups.complete_follow_up(dispute, user=med["gaobo"], item_id=first.pk, note=" ")
    assert "note" in exc.value.error_dict
    follow_ups.complete_follow_up(dispute, user=med["gaobo"], item_id=first.pk, note="协议已履行，两家和睦")
    first.refresh_from_db()
    assert (first.status, first.done_by, first.done_note) == ("done", med["gaobo"], "协议已履行，两家和睦")
    with pytest.raises(ConflictError):
        follow_ups.complete_follow_up(dispute, user=med["gaobo"], item_id=first.pk, note="再来一次")
    with pytest.raises(ConflictError):
        follow_ups.cancel_follow_up(dispute, user=med["gaobo"], item_id=first.pk, reason="已完成的不能取消")
    with pytest.raises(ValidationError) as exc:
        follow_ups.cancel_follow_up(dispute, user=med["gaobo"], item_id=second.pk, reason="")
    assert "reason" in exc.value.error_dict
    follow_ups.cancel_follow_up(dispute, user=med["gaobo"], item_id=second.pk, reason="当事人已搬走")
    assert list(dispute.follow_ups.values_list("pk", flat=True)) == [first.pk]
    assert "当事人已搬走" in _steps(dispute, "dispute_follow_up_cancelled")[-1].note
    assert "协议已履行" in _steps(dispute, "dispute_follow_up_done")[-1].note
    # An item of another dispute is not this dispute's.
    other = _settled(med, days=3)
    with pytest.raises(ValidationError) as exc:
        follow_ups.complete_follow_up(
            dispute, user=med["gaobo"], item_id=other.follow_ups.get().pk, note="张冠李戴"
        )
    assert "follow_up" in exc.value.error_dict


def test_a_follow_up_visit_fulfils_the_earliest_open_date(med):
    dispute = _settled(med, dates=[_today() + timedelta(days=n) for n in (2, 20)])
    services.record_visit(
        dispute,
        user=med["gaobo"],
        visited_at=timezone.now(),
        visitor_ids=[med["gaobo"].pk, med["zhaowuda_mediator"].pk],
        summary="回访：关系缓和",
        kind="follow_up",
    )
    first, second = selectors.follow_ups_of(dispute)
    assert first.done_at is not None
    assert first.visit is not None
    assert second.done_at is None


def test_the_worker_tells_the_team_and_the_centre_once_when_a_date_passes(med):
    dispute = _settled(med, days=3)
    item = dispute.follow_ups.get()
    assert dispute.event.number not in " ".join(run_once().follow_ups_overdue)
    later = timezone.now() + timedelta(days=4)
    result = run_once(later)
    assert f"{dispute.event.number} {item.due_on:%Y-%m-%d}" in result.follow_ups_overdue
    told = set(
        Notice.objects.about(dispute.event)
        .filter(message__contains="回访已逾期")
        .values_list("user__username", flat=True)
    )
    assert {"gaobo", "zhaowuda_mediator"} <= told
    step = _steps(dispute, "dispute_follow_up_overdue")[-1]
    assert step.actor is None
    assert "gaobo" in step.data["notified"]
    # Once: the next pass says nothing more about it.
    assert dispute.event.number not in " ".join(run_once(later + timedelta(hours=1)).follow_ups_overdue)
    assert len(_steps(dispute, "dispute_follow_up_overdue")) == 1
    # Done late, it says how late.
    follow_ups.complete_follow_up(
        dispute, user=med["gaobo"], item_id=item.pk, note="补做回访", now=later + timedelta(days=1)
    )
    assert "逾期2天" in _steps(dispute, "dispute_follow_up_done")[-1].note


def test_list_views_show_the_next_date_and_the_overdue_ones(med):
    dispute = _settled(med, dates=[_today() + timedelta(days=n) for n in (5, 50)])
    FollowUp.objects.filter(dispute=dispute, due_on=_today() + timedelta(days=5)).update(
        due_on=_today() - timedelta(days=2)
    )
    row = selectors.with_follow_ups(selectors.disputes_for(med["huimin_admin"])).get(pk=dispute.pk)
    assert (row.next_follow_up, row.follow_ups_overdue) == (_today() - timedelta(days=2), 1)


# ----------------------------------------------------------------------------------- API


def _call(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def test_the_plan_through_the_api(med, api):
    dispute = _settled(med, days=10)
    url = f"/api/v1/disputes/{dispute.pk}"
    gaobo = api("gaobo")
    day = (_today() + timedelta(days=40)).isoformat()
    detail = _call(gaobo, "post", f"{url}/follow-ups", {"dates": [day], "purpose": "看履行"}).json()
    assert [f["due_on"] for f in detail["follow_ups"]][-1] == day
    assert detail["follow_up_due"] == (_today() + timedelta(days=10)).isoformat()
    assert detail["follow_ups_overdue"] == 0
    first = detail["follow_ups"][0]["id"]
    done = _call(gaobo, "post", f"{url}/follow-ups/{first}/done", {"note": "一切正常"}).json()
    assert done["follow_ups"][0]["status"] == "done"
    assert done["follow_up_due"] == day
    listed = gaobo.get("/api/v1/disputes?state=all&limit=100").json()["items"]
    assert next(d for d in listed if d["id"] == dispute.pk)["follow_up_due"] == day
    second = done["follow_ups"][1]["id"]
    # Refusals and bad input: 400 naming the field, 404, 409; never a 500.
    response = _call(gaobo, "post", f"{url}/follow-ups", {"dates": ["2001-01-01"]})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["dates"]
    assert _call(gaobo, "post", f"{url}/follow-ups", {"dates": ["not-a-date"]}).status_code in (400, 422)
    assert _call(gaobo, "post", f"{url}/follow-ups", {"dates": "x" * 10000}).status_code in (400, 422)
    assert _call(gaobo, "post", f"{url}/follow-ups/{first}/done", {"note": "again"}).status_code == 409
    assert _call(gaobo, "post", f"{url}/follow-ups/999999/done", {"note": "x"}).status_code == 404
    response = _call(gaobo, "post", f"{url}/follow-ups/{second}/done", {"note": "\x00"})
    assert response.status_code == 400
    outsider = api("laogangfang_worker")
    assert _call(outsider, "post", f"{url}/follow-ups", {"dates": [day]}).status_code == 404
    assert _call(gaobo, "delete", f"{url}/follow-ups/{second}", {"reason": "计划调整"}).status_code == 200
    response = _call(
        gaobo,
        "post",
        f"{url}/outcome",
        {"outcome": "agreement", "terms": "重复登记", "follow_up_dates": [day]},
    )
    assert response.status_code == 409


def test_outcome_with_a_plan_through_the_api(med, api):
    dispute = med.report("口角")
    dates = [(_today() + timedelta(days=n)).isoformat() for n in (7, 30)]
    detail = _call(
        api("huimin_admin"),
        "post",
        f"/api/v1/disputes/{dispute.pk}/outcome",
        {"outcome": "agreement", "terms": "双方和解", "follow_up_dates": dates},
    ).json()
    assert [f["due_on"] for f in detail["follow_ups"]] == dates


# --------------------------------------------------------------------------------- pages


def test_the_plan_on_the_page_with_htmx(med, login):
    dispute = _settled(med, days=10)
    client = login("gaobo")
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert 'id="follow-ups"' in page
    assert "待回访" in page
    url = f"/disputes/{dispute.pk}/follow-ups/"
    day = (_today() + timedelta(days=45)).isoformat()
    fragment = client.post(url, {"date1": day, "purpose": "看履行"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="follow-ups">')
    assert day in html
    assert "回访计划已更新" in html
    item = dispute.follow_ups.order_by("due_on").first()
    fragment = client.post(
        f"{url}{item.pk}/done/", {"note": "一切正常"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "已回访" in fragment
    # Refused input comes back in the fragment, nothing is written.
    fragment = client.post(url, {"date1": "2001-01-01"}, headers={"HX-Request": "true"}).content.decode()
    assert "早于今天" in fragment
    assert client.post(url, {"date1": "garbage"}, headers={"HX-Request": "true"}).status_code == 200
    # Without htmx: back to the page.
    assert client.post(url, {"date1": day}).status_code == 302
    assert client.post(f"{url}999999/done/", {"note": "x"}).status_code == 404
    outsider = login("laogangfang_worker")
    assert outsider.post(url, {"date1": day}).status_code == 404
    assert dispute.follow_ups.count() == 2
    listing = client.get("/disputes/?state=all").content.decode()
    assert "下次回访" in listing
