"""Break the glass: a reasoned, two-hour, audited wider search, shown to the supervisors."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.audit.models import Action, AuditEntry
from gridgov.notifications.models import Notice
from gridgov.registry.models import BreakGlassGrant
from gridgov.search import services
from gridgov.search.grants import grants_supervised_by
from gridgov.search.selectors import search

GRID1, GRID2 = "惠民社区第一网格", "惠民社区第二网格"


def ids(page):
    return {r["id"] for r in page.results if r["type"] == "resident"}


def test_grant_widens_search_to_the_community_for_two_hours(user, resident, node):
    gaobo = user("gaobo")
    other = resident("张伟", GRID2)
    assert other.pk not in ids(search(gaobo, "张伟"))
    grant = services.open_break_glass(user=gaobo, reason="查找已迁往第二网格的张伟，核实低保")
    assert grant.path == node("惠民社区").path
    assert (
        datetime.timedelta(hours=1, minutes=59)
        < grant.expires_at - timezone.now()
        <= datetime.timedelta(hours=2)
    )
    page = search(gaobo, "张伟")
    assert other.pk in ids(page)
    row = next(r for r in page.results if r["id"] == other.pk)
    assert row["outside_scope"] is True
    assert row["id_number"].count("*") == 8


def test_grant_and_searches_under_it_are_audited(user):
    gaobo = user("gaobo")
    before = AuditEntry.objects.filter(action=Action.BREAK_GLASS).count()
    grant = services.open_break_glass(user=gaobo, reason="查找已搬走的居民王某")
    entry = AuditEntry.objects.filter(action=Action.BREAK_GLASS).order_by("-seq").first()
    assert entry.actor_id == gaobo.pk
    assert entry.object_id == str(grant.pk)
    assert entry.changes["reason"] == "查找已搬走的居民王某"
    search(gaobo, "150105199001011234")
    logged = AuditEntry.objects.filter(action=Action.BREAK_GLASS).order_by("-seq").first()
    assert logged.seq > entry.seq
    assert "search" in logged.message
    assert logged.changes["query"] == "**************1234"  # digits masked in the log
    assert AuditEntry.objects.filter(action=Action.BREAK_GLASS).count() == before + 2


def test_searches_without_a_grant_are_not_logged_as_break_glass(user):
    before = AuditEntry.objects.filter(action=Action.BREAK_GLASS).count()
    search(user("gaobo"), "张伟")
    assert AuditEntry.objects.filter(action=Action.BREAK_GLASS).count() == before


def test_expired_grant_stops_working(user, resident):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason="查找已迁出的居民张伟")
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert resident("张伟", GRID2).pk not in ids(search(gaobo, "张伟"))


def test_closing_early(user, resident):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason="查找已迁出的居民张伟")
    services.close_break_glass(grant, user=gaobo)
    assert resident("张伟", GRID2).pk not in ids(search(gaobo, "张伟"))


def test_supervisors_are_notified_and_see_the_grant(user):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason="查找已迁出的居民张伟")
    notified = set(
        Notice.objects.filter(message__contains="越权查询").values_list("user__username", flat=True)
    )
    assert {"huimin_admin", "zhaowuda_admin"} <= notified
    assert "gaobo" not in notified
    assert grant in grants_supervised_by(user("huimin_admin"))
    assert grant in grants_supervised_by(user("zhaowuda_admin"))
    assert grant not in grants_supervised_by(user("laogangfang_worker"))
    assert grant not in grants_supervised_by(user("gaobo"))


def test_a_chosen_node_outside_the_township_opens_only_when_approved(user, resident, node):
    gaobo = user("gaobo")
    grant = services.open_break_glass(user=gaobo, reason="查找迁往新城区的张伟", node=node("新城区"))
    assert grant.status == "pending"
    assert grant.expires_at is None
    assert resident("张伟", "老缸房社区第一网格").pk not in ids(search(gaobo, "张伟"))
    services.decide_break_glass(grant, user=user("city_admin"), approve=True)
    assert resident("张伟", "老缸房社区第一网格").pk in ids(search(gaobo, "张伟"))
    assert resident("张伟", GRID2).pk not in ids(search(gaobo, "张伟"))


@pytest.mark.parametrize("reason", ["", "  ", "查人"])
def test_a_reason_is_required(user, reason):
    with pytest.raises(ValidationError) as error:
        services.open_break_glass(user=user("gaobo"), reason=reason)
    assert "reason" in error.value.message_dict


def test_nothing_to_open_inside_ones_own_scope(user, node):
    with pytest.raises(ValidationError):
        services.open_break_glass(
            user=user("huimin_admin"), reason="查找辖区内居民", node=node("惠民社区第一网格")
        )
    with pytest.raises(ValidationError):
        services.open_break_glass(user=user("city_admin"), reason="查找全市居民")
