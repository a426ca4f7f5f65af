"""The article's case, end to end through the HTTP API (Legal Daily, 2024-07-25):

In March two residents of 惠民社区 (赛罕区 昭乌达南路街道) quarrel in the community WeChat group;
one threatens violence. Grid worker 高波 reports it as a dispute from his phone; the risk is rated
high with the threat as the reason, and the township and the police station are alerted at once.
He brings in the judicial office's mediator and the community's lawyer; after several joint
visits the parties reach an agreement and the event is closed. The timeline and the audit log
show every step. (The demo seed holds the same case dated in March; here it runs now.)
"""

import json
from datetime import timedelta

from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry
from gridgov.audit.verify import verify_chain
from gridgov.disputes.models import Dispute, FollowUp
from gridgov.events.models import Event, Organisation
from gridgov.events.worker import run_once


def post(client, url, body, **headers):
    response = client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    assert response.status_code in (200, 201), (url, response.status_code, response.content.decode()[:500])
    return response.json()


def test_the_articles_dispute_from_the_chat_group_to_the_settlement(med, api):
    first_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    zhang = med.resident("张建华", birth="19700512", phone="13904715821")
    li = med.resident("李志强", birth="19750830", phone="13847132690")
    gaobo, admin = api("gaobo"), api("huimin_admin")
    mediator, lawyer = api("zhaowuda_mediator"), api("huimin_lawyer")

    # 1. 高波 sees the quarrel in the group and reports it from his phone (GPS in his grid).
    report = {
        "category": "dispute.neighbour",
        "dispute_type": "neighbour",
        "description": "惠民社区两户居民因楼上漏水在社区微信群里争吵，李某在群里说“再不修我就要去打死他”。",
        "lng": med.grid.lng,
        "lat": med.grid.lat,
        "address": "惠民社区3号楼2单元",
        "parties": [
            {"resident_id": zhang.pk, "role": "applicant"},
            {"resident_id": li.pk, "role": "respondent"},
        ],
    }
    dispute = post(gaobo, "/api/v1/disputes", report, **{"Idempotency-Key": "gaobo-phone-0312-1"})
    dispute_id, event_id = dispute["id"], dispute["event_id"]
    # The phone retries (bad signal): still one dispute.
    assert (
        post(gaobo, "/api/v1/disputes", report, **{"Idempotency-Key": "gaobo-phone-0312-1"})["id"]
        == dispute_id
    )
    assert Dispute.objects.filter(event__description=report["description"]).count() == 1

    # 2. Risk: high (or worse), the threat is the stated reason.
    assert dispute["risk_level"] in ("high", "critical")
    threat = next(r for r in dispute["risk_reasons"] if r["signal"] == "threat")
    assert "打死" in threat["detail"]
    assert {p["name"] for p in dispute["parties"]} == {"张建华", "李志强"}

    # 3. The township and the police station are alerted at once (their in-app inboxes).
    for username in ("zhaowuda_admin", "saihan_police", "huimin_yijing"):
        inbox = api(username).get("/api/v1/inbox?unread=true").json()
        assert any(
            dispute["event_number"] in n["message"] and "预警" in n["message"] for n in inbox["items"]
        ), username

    # 4. The community centre accepts and dispatches to the judicial office; the mediator reports for duty.
    judicial = Organisation.objects.get(name="昭乌达南路司法所")
    post(admin, f"/api/v1/events/{event_id}/transitions", {"action": "accept", "note": "情况紧急，立即受理"})
    post(
        admin,
        f"/api/v1/events/{event_id}/transitions",
        {"action": "dispatch", "lead_org_id": judicial.pk, "note": "请司法所牵头调解"},
    )
    post(mediator, f"/api/v1/events/{event_id}/transitions", {"action": "acknowledge", "note": "已签收"})
    post(mediator, f"/api/v1/events/{event_id}/transitions", {"action": "start", "note": "明早联合走访"})

    # 5. 高波 joins the team himself and brings in the judicial office's mediator and the
    # community's lawyer; each joins as what they are, and no one else joins.
    candidates = gaobo.get(f"/api/v1/disputes/{dispute_id}/team/candidates").json()["items"]
    wanted = {c["user"]["username"]: c for c in candidates}
    assert wanted["gaobo"]["role"] == "grid_worker"
    assert wanted["zhaowuda_mediator"]["role"] == "mediator"
    assert wanted["huimin_lawyer"]["role"] == "lawyer"
    post(gaobo, f"/api/v1/disputes/{dispute_id}/team", {"username": "gaobo"})
    post(gaobo, f"/api/v1/disputes/{dispute_id}/team", {"username": "zhaowuda_mediator"})
    detail = post(gaobo, f"/api/v1/disputes/{dispute_id}/team", {"username": "huimin_lawyer"})
    team = {m["user"]["username"]: m["role"] for m in detail["team"]}
    assert team == {"gaobo": "grid_worker", "zhaowuda_mediator": "mediator", "huimin_lawyer": "lawyer"}
    ids = [m["user"]["id"] for m in detail["team"]]

    # 6. Several joint visits, recorded by different members of the team.
    visits = [
        (gaobo, "分别到两户家中了解情况、安抚情绪，律师讲解民法典相邻关系规定"),
        (lawyer, "查看漏水现场，请物业出具漏水原因说明，两户同意坐下来谈"),
        (mediator, "在社区调解室组织面对面调解，双方就维修和费用分担达成一致"),
    ]
    for client, summary in visits:
        post(
            client,
            f"/api/v1/disputes/{dispute_id}/visits",
            {"visited_at": timezone.now().isoformat(), "visitor_ids": ids, "summary": summary},
        )

    # 7. Agreement, recorded by the mediator (who leads the handling): the event is handled, and
    # the case is followed to the end: follow-up visits planned a week and a month on.
    terms = "楼上住户三日内修复防水并承担费用；吊顶修复费用双方各半；李某当面道歉并撤回群内言论。"
    today = timezone.localdate()
    plan = [(today + timedelta(days=7)).isoformat(), (today + timedelta(days=30)).isoformat()]
    settled = post(
        mediator,
        f"/api/v1/disputes/{dispute_id}/outcome",
        {"outcome": "agreement", "terms": terms, "follow_up_dates": plan},
    )
    assert settled["outcome"] == "agreement"
    assert settled["state"] == "handled"
    assert [f["due_on"] for f in settled["follow_ups"]] == plan
    assert settled["follow_up_due"] == plan[0]

    # 8. 高波 confirms with the parties' satisfaction: closed.
    closed = post(
        gaobo,
        f"/api/v1/events/{event_id}/transitions",
        {"action": "confirm", "satisfaction": 5, "note": "双方已履行协议"},
    )
    assert closed["state"] == "closed"
    assert Event.objects.get(pk=event_id).closed_at is not None
    warnings = api("zhaowuda_admin").get("/api/v1/disputes/warnings").json()["items"]
    assert event_id not in [w["event_id"] for w in warnings if "high_risk" in w["flags"]]

    # 9. A week on, 高波 and the mediator visit again: the first planned date is done. The second
    # passes unvisited: the worker tells the team, the warning list shows it, 高波 then records it.
    visited = post(
        gaobo,
        f"/api/v1/disputes/{dispute_id}/visits",
        {
            "visited_at": timezone.now().isoformat(),
            "visitor_ids": [ids[0], ids[1]],
            "summary": "回访：防水已修好，两户见面打招呼",
            "kind": "follow_up",
        },
    )
    assert [f["status"] for f in visited["follow_ups"]] == ["done", "planned"]
    second = visited["follow_ups"][1]["id"]
    # (The month passes: its date is moved back rather than the clock forward, so the timeline
    # stays in the order things happen.)
    FollowUp.objects.filter(pk=second).update(due_on=today - timedelta(days=1))
    run_once()
    inbox = gaobo.get("/api/v1/inbox?unread=true").json()["items"]
    assert any(dispute["event_number"] in n["message"] and "回访已逾期" in n["message"] for n in inbox)
    warnings = api("huimin_admin").get("/api/v1/disputes/warnings").json()["items"]
    assert "follow_up_overdue" in next(w for w in warnings if w["event_id"] == event_id)["flags"]
    done = post(
        gaobo,
        f"/api/v1/disputes/{dispute_id}/follow-ups/{second}/done",
        {"note": "电话回访并上门查看，吊顶已修复，双方关系正常"},
    )
    assert [f["status"] for f in done["follow_ups"]] == ["done", "done"]
    assert done["follow_up_due"] is None

    # 10. The timeline shows every step in order, with who did it.
    timeline = gaobo.get(f"/api/v1/disputes/{dispute_id}").json()["timeline"]
    actions = [s["action"] for s in timeline]
    expected = [
        "report",
        "dispute_registered",
        "dispute_risk_assessed",
        "dispute_alert",
        "accept",
        "dispatch",
        "acknowledge",
        "start",
        "dispute_team",
        "dispute_team",
        "dispute_team",
        "dispute_visit",
        "dispute_visit",
        "dispute_visit",
        "dispute_outcome",
        "handle",
        "confirm",
        "dispute_follow_up",
        "dispute_follow_up_overdue",
        "dispute_follow_up_done",
    ]
    assert actions == expected
    actors = [s["actor"] for s in timeline]
    assert actors[0] == "gaobo"
    assert actors[4] == "huimin_admin"
    assert actors[6] == "zhaowuda_mediator"
    assert actors[-4] == "gaobo"  # confirm
    assert actors[-5] == "zhaowuda_mediator"  # handle
    assert terms in timeline[-6]["note"]
    assert (actors[-3], actors[-2], actors[-1]) == ("gaobo", "", "gaobo")  # the worker is no one

    # 11. The audit log has every write and every sensitive read, through the API channel, and the
    # hash chain is intact.
    entries = AuditEntry.objects.filter(seq__gt=first_seq or 0)

    def logged(object_type, action=Action.CREATE, **extra):
        return entries.filter(object_type=object_type, action=action, **extra)

    assert logged("events.event", object_id=str(event_id), actor_name="gaobo", channel="api").exists()
    assert logged("disputes.dispute", object_id=str(dispute_id), actor_name="gaobo").exists()
    assert logged("disputes.party", actor_name="gaobo").count() == 2
    assert logged("disputes.teammember").count() == 3
    assert logged("disputes.visit").count() == 4
    assert logged("disputes.followup").count() == 2
    outcome_rows = logged(
        "disputes.dispute", Action.UPDATE, object_id=str(dispute_id), actor_name="zhaowuda_mediator"
    )
    assert any("outcome" in e.changes for e in outcome_rows)
    transitions = logged("events.event", Action.UPDATE, object_id=str(event_id))
    assert {e.actor_name for e in transitions} >= {"huimin_admin", "zhaowuda_mediator", "gaobo"}
    assert logged("disputes.dispute", Action.READ_SENSITIVE, object_id=str(dispute_id)).exists()
    assert logged(
        "disputes.dispute", Action.UPDATE, object_id=str(dispute_id), message__startswith="risk alert"
    ).exists()
    assert verify_chain().ok
