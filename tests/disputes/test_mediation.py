"""Alerts, the mediation team, visits, the outcome and follow-ups."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.audit.models import AuditEntry
from gridgov.core.errors import ConflictError
from gridgov.disputes import services, team
from gridgov.disputes.models import Party
from gridgov.events import intake as event_intake
from gridgov.events import transitions as event_transitions
from gridgov.events.models import Organisation
from gridgov.notifications.models import Notice


def _alerted(dispute):
    return set(
        Notice.objects.filter(event=dispute.event, message__contains="矛盾纠纷预警").values_list(
            "user__username", flat=True
        )
    )


# ---------------------------------------------------------------------------------- alerts


def test_high_risk_alerts_the_township_and_the_police_station_at_once(med):
    dispute = med.report("扬言要去揍他")
    alerted = _alerted(dispute)
    assert {"zhaowuda_admin", "saihan_police", "huimin_yijing"} <= alerted
    # Not the county, not another township's police, not the reporter.
    assert "saihan_admin" not in alerted
    assert "gaobo" not in alerted
    message = Notice.objects.filter(event=dispute.event, user__username="saihan_police").get().message
    assert "高风险" in message
    assert dispute.event.number in message
    assert "揍" in message
    step = dispute.event.steps.get(action="dispute_alert")
    assert "昭乌达南路派出所" in step.data["police_stations"]
    assert "saihan_police" in step.data["notified"]
    dispute.refresh_from_db()
    assert dispute.alerted_level == "high"


def test_low_and_medium_risk_alert_nobody(med):
    low = med.report("口角")
    assert _alerted(low) == set()
    parties = [{"name": "何七", "phone": "13904710007"}, {"name": "吕八", "phone": "13904710008"}]
    med.report("第一次", parties=parties)
    medium = med.report("第二次", parties=parties)
    assert medium.risk_level == "medium"
    assert _alerted(medium) == set()


def test_a_level_is_alerted_once_and_a_rise_alerts_again(med):
    dispute = med.report("说要报复")
    first = Notice.objects.filter(event=dispute.event, message__contains="预警").count()
    services.recompute_risk(dispute)
    assert Notice.objects.filter(event=dispute.event, message__contains="预警").count() == first
    services.override_risk(dispute, user=med["huimin_admin"], level="critical", reason="对方已持刀上门")
    messages = list(
        Notice.objects.filter(event=dispute.event, user__username="saihan_police").values_list(
            "message", flat=True
        )
    )
    assert len(messages) == 2
    assert sum("极高风险" in m for m in messages) == 1


def test_override_to_high_alerts(med):
    dispute = med.report("口角")
    services.override_risk(dispute, user=med["gaobo"], level="high", reason="对方有暴力前科")
    assert {"zhaowuda_admin", "saihan_police"} <= _alerted(dispute)


def test_police_staff_see_the_disputes_they_were_alerted_to(med, api):
    quiet = med.report("口角")
    loud = med.report("要打死他")
    client = api("saihan_police")
    assert client.get(f"/api/v1/disputes/{loud.pk}").status_code == 200
    assert client.get(f"/api/v1/disputes/{quiet.pk}").status_code == 404


# ---------------------------------------------------------------------------------- visits


def _with_team(med):
    dispute = med.report()
    team.add_team_member(dispute, user=med["gaobo"], member=med["gaobo"])
    team.add_team_member(dispute, user=med["gaobo"], member=med["zhaowuda_mediator"])
    team.add_team_member(dispute, user=med["gaobo"], member=med["huimin_lawyer"])
    return dispute


def test_joint_visits_are_recorded_with_who_went(med):
    dispute = _with_team(med)
    ids = [med["gaobo"].pk, med["zhaowuda_mediator"].pk, med["huimin_lawyer"].pk]
    at = timezone.now() - timedelta(hours=2)
    visit = services.record_visit(
        dispute,
        user=med["zhaowuda_mediator"],
        visited_at=at,
        visitor_ids=ids,
        summary="到双方家中了解情况",
        others_present="楼长",
    )
    assert set(visit.visitors.values_list("username", flat=True)) == {
        "gaobo",
        "zhaowuda_mediator",
        "huimin_lawyer",
    }
    assert visit.kind == "mediation"
    assert visit.recorded_by == med["zhaowuda_mediator"]
    step = dispute.event.steps.get(action="dispute_visit")
    assert "到双方家中了解情况" in step.note
    assert "包联律师" in step.note


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"summary": ""}, "summary"),
        ({"visitor_ids": []}, "visitor_ids"),
        ({"visited_at": timezone.now() + timedelta(days=1)}, "visited_at"),
        ({"visited_at": timezone.now() - timedelta(days=30)}, "visited_at"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_visits_are_refused(med, kwargs, field):
    dispute = _with_team(med)
    data = {"visited_at": timezone.now(), "visitor_ids": [med["gaobo"].pk], "summary": "走访"} | kwargs
    with pytest.raises(ValidationError) as exc:
        services.record_visit(dispute, user=med["gaobo"], **data)
    assert field in exc.value.error_dict
    assert dispute.visits.count() == 0


def test_visitors_must_be_on_the_team(med):
    dispute = _with_team(med)
    with pytest.raises(ValidationError):
        services.record_visit(
            dispute,
            user=med["gaobo"],
            visited_at=timezone.now(),
            visitor_ids=[med["saihan_police"].pk],
            summary="走访",
        )


def test_follow_up_only_after_the_outcome(med):
    dispute = _with_team(med)
    with pytest.raises(ConflictError):
        services.record_visit(
            dispute,
            user=med["gaobo"],
            visited_at=timezone.now(),
            visitor_ids=[med["gaobo"].pk],
            summary="回访",
            kind="follow_up",
        )


# --------------------------------------------------------------------------------- outcome


def test_agreement_needs_its_terms(med):
    dispute = _with_team(med)
    with pytest.raises(ValidationError) as exc:
        services.record_outcome(dispute, user=med["zhaowuda_mediator"], outcome="agreement", terms="")
    assert "terms" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.record_outcome(dispute, user=med["zhaowuda_mediator"], outcome="peace", terms="和好了")
    with pytest.raises(ValidationError):
        services.record_outcome(dispute, user=med["zhaowuda_mediator"], outcome="court", terms="")
    dispute.refresh_from_db()
    assert dispute.outcome == ""


@pytest.mark.parametrize("outcome", ["agreement", "court", "arbitration", "police", "withdrawn"])
def test_every_outcome_is_recorded_once(med, outcome):
    dispute = _with_team(med)
    services.record_outcome(
        dispute,
        user=med["zhaowuda_mediator"],
        outcome=outcome,
        terms="双方签订协议或说明去向",
        follow_up_days=15,
    )
    dispute.refresh_from_db()
    assert dispute.outcome == outcome
    assert dispute.outcome_by == med["zhaowuda_mediator"]
    assert list(dispute.follow_ups.values_list("due_on", flat=True)) == [
        timezone.localdate() + timedelta(days=15)
    ]
    assert dispute.event.steps.filter(action="dispute_outcome").exists()
    with pytest.raises(ConflictError):
        services.record_outcome(dispute, user=med["zhaowuda_mediator"], outcome=outcome, terms="再来一次")
    if outcome == "police":
        assert Notice.objects.filter(
            event=dispute.event, user__username="saihan_police", message__contains="移交公安"
        ).exists()


def test_outcome_by_the_lead_marks_the_event_handled_and_a_follow_up_visit_fulfils_the_plan(med):
    dispute = _with_team(med)
    event = dispute.event
    admin, mediator = med["huimin_admin"], med["zhaowuda_mediator"]
    judicial = Organisation.objects.get(name="昭乌达南路司法所")
    event_transitions.transition(event, "accept", user=admin)
    event_transitions.transition(event, "dispatch", user=admin, lead_org_id=judicial.pk)
    event_transitions.transition(event, "acknowledge", user=mediator)
    event_transitions.transition(event, "start", user=mediator)
    services.record_outcome(dispute, user=mediator, outcome="agreement", terms="双方互相道歉，费用各半")
    event.refresh_from_db()
    assert event.state == "handled"
    assert "费用各半" in event.steps.get(action="handle").note
    # After the outcome: no more team changes or mediation visits, only follow-ups.
    with pytest.raises(ConflictError):
        team.add_team_member(dispute, user=med["gaobo"], member=med["saihan_police"])
    with pytest.raises(ConflictError):
        services.record_visit(
            dispute,
            user=med["gaobo"],
            visited_at=timezone.now(),
            visitor_ids=[med["gaobo"].pk],
            summary="再次调解",
        )
    services.record_visit(
        dispute,
        user=med["gaobo"],
        visited_at=timezone.now(),
        visitor_ids=[med["gaobo"].pk],
        summary="回访：双方关系正常",
        kind="follow_up",
    )
    planned = dispute.follow_ups.get()
    assert planned.done_at is not None
    assert planned.done_note == "回访：双方关系正常"
    assert planned.visit == dispute.visits.get(kind="follow_up")
    assert "计划于" in event.steps.get(action="dispute_follow_up").note


def test_outcome_by_someone_who_does_not_lead_leaves_the_event_state(med):
    dispute = _with_team(med)
    services.record_outcome(dispute, user=med["gaobo"], outcome="withdrawn", terms="当事人撤回")
    dispute.event.refresh_from_db()
    assert dispute.event.state == "reported"


# ---------------------------------------------------------------------------- bad reports


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"category": "heating.pipe_burst"}, "category"),
        ({"category": "no.such"}, "category"),
        ({"dispute_type": "war"}, "dispute_type"),
        ({"parties": [{"name": "甲", "phone": "12345"}]}, "parties"),
        ({"parties": [{"name": ""}]}, "parties"),
        ({"parties": [{"name": "甲", "role": "judge"}]}, "parties"),
        ({"parties": [{"resident_id": 999999999}]}, "parties"),
        (
            {"parties": [{"name": "甲", "phone": "13904719999"}, {"name": "甲", "phone": "13904719999"}]},
            "parties",
        ),
        ({"description": "  "}, "description"),
    ],
)
def test_bad_reports_change_nothing(med, kwargs, field):
    from gridgov.disputes.models import Dispute
    from gridgov.events.models import Event

    before = (Event.objects.count(), Dispute.objects.count(), Party.objects.count())
    with pytest.raises(ValidationError) as exc:
        med.report(**kwargs)
    assert field in exc.value.error_dict
    assert (Event.objects.count(), Dispute.objects.count(), Party.objects.count()) == before


def test_resident_outside_the_reporters_scope_is_refused(med):
    from gridgov.hierarchy.models import Node

    outsider = med.resident("新城区居民", grid=Node.objects.get(name="老缸房社区第一网格"))
    with pytest.raises(ValidationError) as exc:
        med.report(parties=[{"resident_id": outsider.pk}])
    assert "不存在或不在您的辖区内" in exc.value.messages[0]


def test_party_phones_are_stored_encrypted(med):
    dispute = med.report(parties=[{"name": "加密", "phone": "13904711234"}])
    party = dispute.parties.get()
    assert b"13904711234" not in bytes(party.phone_enc)
    assert party.phone_hash
    assert party.identity == f"p:{party.phone_hash}"
    # The audit log has no clear phone either.
    entry = AuditEntry.objects.filter(object_type="disputes.party", object_id=str(party.pk)).get()
    assert "13904711234" not in str(entry.changes)


def test_dispute_category_events_reported_elsewhere_get_their_dispute_after_commit(
    med, django_capture_on_commit_callbacks
):
    from gridgov.events.models import Event

    with django_capture_on_commit_callbacks(execute=True):
        event, _ = event_intake.report_event(
            user=med["gaobo"],
            category="dispute.family",
            description="夫妻争吵，丈夫说要同归于尽",
            grid=med.grid,
        )
    event = Event.objects.get(pk=event.pk)
    assert event.dispute.dispute_type == "family"
    assert event.dispute.risk_level == "critical"
