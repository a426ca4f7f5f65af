"""Break-the-glass bounds: within one's own township a grant opens at once; wider, a superior over
the requested area approves or refuses (with a reason), everyone concerned is notified, every step
audited; a per-person daily cap answers 429 naming the limit. Services, API and pages."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.audit.models import Action, AuditEntry
from gridgov.core.errors import ConflictError, LimitReached
from gridgov.notifications.models import Notice
from gridgov.registry.models import BreakGlassGrant, GrantStatus
from gridgov.search import services
from gridgov.search.grants import approvers_of, grants_supervised_by, requests_today
from gridgov.search.selectors import search

REASON = "查找已迁出本社区的居民张伟，核实低保"


def ids(page):
    return {r["id"] for r in page.results if r["type"] == "resident"}


def test_within_the_own_township_opens_at_once(user, node):
    grant = services.open_break_glass(user=user("gaobo"), reason=REASON, node=node("昭乌达南路街道"))
    assert grant.status == GrantStatus.APPROVED
    assert grant.expires_at is not None
    assert grant.decided_by is None


@pytest.mark.parametrize("place", ["赛罕区", "呼和浩特市", "新城区", "老缸房社区"])
def test_wider_than_the_township_waits_for_a_superior(user, node, resident, place):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason=REASON, node=node(place))
    assert grant.status == GrantStatus.PENDING
    assert grant.expires_at is None
    assert resident("张伟", "老缸房社区第一网格").pk not in ids(search(gaobo, "张伟"))
    approvers = {u.username for u in approvers_of(grant.path, gaobo)}
    assert "city_admin" in approvers
    assert "huimin_admin" not in approvers  # a community admin is not over 赛罕区 or the city
    asked = set(
        Notice.objects.filter(message__contains="需您审批", subject_id=grant.pk).values_list(
            "user__username", flat=True
        )
    )
    assert asked == approvers
    # The worker's own supervisors hear of it, as for any grant.
    assert Notice.objects.filter(user=user("huimin_admin"), subject_id=grant.pk).exists()
    entry = AuditEntry.objects.filter(action=Action.BREAK_GLASS, object_id=str(grant.pk)).latest("seq")
    assert entry.changes["status"] == "pending"


def test_a_superior_over_the_area_approves_and_the_requester_is_told(user, node, resident):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason=REASON, node=node("新城区"))
    for who in ("gaobo", "zhaowuda_admin", "saihan_admin", "laogangfang_worker"):
        with pytest.raises(PermissionDenied):
            services.decide_break_glass(grant, user=user(who), approve=True)
    decided = services.decide_break_glass(grant, user=user("city_admin"), approve=True, note="同意，限查张伟")
    assert decided.status == GrantStatus.APPROVED
    assert decided.decided_by == user("city_admin")
    assert decided.expires_at is not None
    assert resident("张伟", "老缸房社区第一网格").pk in ids(search(gaobo, "张伟"))
    assert Notice.objects.filter(user=gaobo, message__contains="已批准").exists()
    steps = AuditEntry.objects.filter(action=Action.BREAK_GLASS, object_id=str(grant.pk)).order_by("seq")
    assert [e.changes["status"] for e in steps if "status" in e.changes] == ["pending", "approved"]
    assert [e.actor_id for e in steps if e.changes.get("status") == "approved"] == [user("city_admin").pk]
    with pytest.raises(ConflictError):
        services.decide_break_glass(decided, user=user("city_admin"), approve=False, note="改为不同意")


def test_refusing_needs_a_reason_and_opens_nothing(user, node, resident):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason=REASON, node=node("赛罕区"))
    with pytest.raises(ValidationError) as caught:
        services.decide_break_glass(grant, user=user("saihan_admin"), approve=False, note="")
    assert "note" in caught.value.message_dict
    refused = services.decide_break_glass(
        grant, user=user("saihan_admin"), approve=False, note="请联系对方社区协查"
    )
    assert refused.status == GrantStatus.REFUSED
    assert refused.expires_at is None
    assert Notice.objects.filter(user=gaobo, message__contains="请联系对方社区协查").exists()
    assert resident("张伟", "老缸房社区第一网格").pk not in ids(search(gaobo, "张伟"))


def test_the_holder_withdraws_a_pending_request(user, node):
    grant = services.open_break_glass(user=user("gaobo"), reason=REASON, node=node("赛罕区"))
    with pytest.raises(ConflictError):
        services.close_break_glass(grant, user=user("huimin_admin"))
    assert services.close_break_glass(grant, user=user("gaobo")).status == GrantStatus.WITHDRAWN
    with pytest.raises(ConflictError):
        services.decide_break_glass(grant, user=user("saihan_admin"), approve=True)


def test_a_county_admin_asking_for_another_county_needs_the_city(user, node):
    saihan = user("saihan_admin")
    grant = services.open_break_glass(user=saihan, reason=REASON, node=node("新城区"))
    assert grant.status == GrantStatus.PENDING
    with pytest.raises(PermissionDenied):
        services.decide_break_glass(grant, user=saihan, approve=True)
    assert grant in grants_supervised_by(user("city_admin"))


def test_daily_cap_counts_every_request(user, node, settings):
    settings.BREAK_GLASS_PER_DAY = 2
    gaobo = user("gaobo")
    services.open_break_glass(user=gaobo, reason=REASON)
    refused = services.open_break_glass(user=gaobo, reason=REASON, node=node("赛罕区"))
    services.decide_break_glass(refused, user=user("saihan_admin"), approve=False, note="不需要越权")
    assert requests_today(gaobo) == 2
    with pytest.raises(LimitReached) as caught:
        services.open_break_glass(user=gaobo, reason=REASON)
    assert "每人每天 2 次" in caught.value.message
    assert "BREAK_GLASS_PER_DAY" in caught.value.message
    assert BreakGlassGrant.objects.filter(user=gaobo).count() == 2


# --- API ---------------------------------------------------------------------------------------


def _ask(client, **body):
    return client.post("/api/v1/search/break-glass", json.dumps(body), content_type="application/json")


def test_api_request_decision_and_cap(api, node, settings):
    settings.BREAK_GLASS_PER_DAY = 2
    gaobo = api("gaobo")
    response = _ask(gaobo, reason=REASON, node_id=node("赛罕区").pk)
    assert response.status_code == 201, response.content
    grant = response.json()
    assert grant["status"] == "pending"
    assert grant["active"] is False
    assert grant["status_label"] == "待上级审批"
    assert [g["id"] for g in gaobo.get("/api/v1/search/break-glass").json()] == [grant["id"]]
    url = f"/api/v1/search/break-glass/{grant['id']}/decision"
    body = json.dumps({"approve": True})
    assert api("laogangfang_worker").post(url, body, content_type="application/json").status_code == 404
    assert gaobo.post(url, body, content_type="application/json").status_code == 403
    saihan = api("saihan_admin")
    waiting = saihan.get("/api/v1/search/break-glass/supervised", {"pending": "true"}).json()
    assert [(g["id"], g["may_decide"]) for g in waiting] == [(grant["id"], True)]
    refused = saihan.post(url, json.dumps({"approve": False}), content_type="application/json")
    assert refused.status_code == 400
    assert "note" in refused.json()["errors"]
    approved = saihan.post(url, body, content_type="application/json")
    assert approved.status_code == 200
    assert approved.json()["active"] is True
    assert saihan.post(url, body, content_type="application/json").status_code == 409
    assert _ask(gaobo, reason=REASON).status_code == 201
    capped = _ask(gaobo, reason=REASON)
    assert capped.status_code == 429
    assert capped.json()["setting"] == "BREAK_GLASS_PER_DAY"
    assert capped.json()["limit"] == 2
    assert "每日上限" in capped.json()["detail"]


# --- pages -------------------------------------------------------------------------------------


def test_pages_request_decide_and_cap(login, node, settings):
    settings.BREAK_GLASS_PER_DAY = 2
    gaobo = login("gaobo")
    form = gaobo.get("/search/break-glass/").content.decode()
    assert "需上级审批" in form
    assert "每人每天最多申请 2 次" in form
    response = gaobo.post(
        "/search/break-glass/", {"reason": REASON, "node_id": node("赛罕区").pk}, follow=True
    )
    assert "需上级审批" in response.content.decode()
    grant = BreakGlassGrant.objects.get(user__username="gaobo")
    assert grant.status == GrantStatus.PENDING
    saihan = login("saihan_admin")
    page = saihan.get("/search/grants/").content.decode()
    assert "待您审批" in page
    assert f"/search/grants/{grant.pk}/decide/" in page
    assert (
        f"/search/grants/{grant.pk}/decide/"
        not in login("huimin_admin").get("/search/grants/").content.decode()
    )
    saihan.post(f"/search/grants/{grant.pk}/decide/", {"approve": "0", "note": "请联系对方社区协查"})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REFUSED
    assert "请联系对方社区协查" in saihan.get("/search/grants/").content.decode()
    assert (
        login("laogangfang_worker").post(f"/search/grants/{grant.pk}/decide/", {"approve": "1"}).status_code
        == 404
    )
    assert gaobo.post("/search/break-glass/", {"reason": REASON}).status_code == 302
    capped = gaobo.post("/search/break-glass/", {"reason": REASON})
    assert capped.status_code == 429
    assert "每日上限" in capped.content.decode()
