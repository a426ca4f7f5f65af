"""Risk rating: each signal on its own, their combination, and overrides by hand (reason required,
audited, lowering reserved to centres and the team's mediator or police)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.audit.models import Action, AuditEntry
from gridgov.core.context import acting_as
from gridgov.disputes import risk, services
from gridgov.disputes.models import Dispute


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("他在群里说要去打死他", "high"),
        ("扬言要砍人", "critical"),
        ("说一定要报复", "high"),
        ("要跟他同归于尽", "critical"),
        ("再闹就放火", "critical"),
        ("说要跳楼", "critical"),
        ("要杀了他全家", "critical"),
    ],
)
def test_threats_of_violence_are_found(text, level):
    signal = risk.threat_signal(text)
    assert signal is not None
    assert signal.level == level
    assert signal.signal == "threat"


@pytest.mark.parametrize(
    "text",
    [
        "两人为砍价吵了几句",
        "物业打杀虫药有异味",
        "双十一秒杀抢购纠纷",
        "打死也不同意拆迁补偿方案",
        "楼道堆放杂物",
        "",
    ],
)
def test_everyday_words_are_not_threats(text):
    assert risk.threat_signal(text) is None


def test_threat_words_split_by_spaces_are_still_found():
    assert risk.threat_signal("要 打 死 他").level == "high"


def test_repeats_one_earlier_is_medium_two_is_high():
    assert risk.repeat_signal("repeat_parties", []) is None
    assert risk.repeat_signal("repeat_parties", ["SJ1"]).level == "medium"
    assert risk.repeat_signal("repeat_address", ["SJ1", "SJ2"]).level == "high"


def test_vulnerable_parties_by_tag_and_by_age():
    today = date(2026, 3, 12)
    assert risk.vulnerable_signal([("张三", [], date(1990, 1, 1))], today) is None
    assert "残疾" in risk.vulnerable_signal([("张三", ["disabled"], None)], today).detail
    assert "60岁以上" in risk.vulnerable_signal([("李奶奶", [], date(1950, 5, 1))], today).detail
    assert "未成年人" in risk.vulnerable_signal([("小明", [], date(2015, 5, 1))], today).detail


def test_two_kinds_of_signal_raise_the_level_one_step():
    level, reasons = risk.combine(
        [risk.Signal("threat", "high", "t"), risk.Signal("vulnerable", "medium", "v")]
    )
    assert level == "critical"
    assert reasons[-1].signal == "combined"
    # Both repeat signals are one kind: no raise.
    level, _ = risk.combine(
        [risk.Signal("repeat_parties", "medium", "p"), risk.Signal("repeat_address", "medium", "a")]
    )
    assert level == "medium"
    assert risk.combine([]) == ("low", [])


def test_address_normalisation_folds_spaces_and_full_width():
    assert risk.normalise_address(" 惠民小区 ３号楼 ") == risk.normalise_address("惠民小区3号楼")


# ------------------------------------------------------------------ through the services


def test_plain_quarrel_is_low_risk(med):
    dispute = med.report("两户居民因停车位发生口角")
    assert dispute.risk_level == "low"
    assert dispute.risk_reasons == []


def test_threat_in_the_text_makes_it_high_with_the_reason_stored(med):
    dispute = med.report("一方在微信群里扬言要去打死他")
    assert dispute.risk_level == "high"
    assert dispute.computed_risk == "high"
    assert dispute.risk_reasons[0]["signal"] == "threat"
    assert "打死" in dispute.risk_reasons[0]["detail"]
    steps = list(dispute.event.steps.values_list("action", flat=True))
    assert "dispute_risk_assessed" in steps


def test_repeated_dispute_between_the_same_parties(med):
    parties = [
        {"name": "周一", "phone": "13904710001", "role": "applicant"},
        {"name": "吴二", "phone": "13904710002", "role": "respondent"},
    ]
    first = med.report("第一次争吵", parties=parties)
    second = med.report("又吵起来了", parties=parties)
    assert first.risk_level == "low"
    assert second.risk_level == "medium"
    assert second.risk_reasons[0]["signal"] == "repeat_parties"
    assert first.event.number in second.risk_reasons[0]["detail"]
    # The same phone typed differently is the same person.
    third = med.report(
        "第三次",
        parties=[{"name": "周一", "phone": "139 0471 0001"}, {"name": "吴二", "phone": "+86 13904710002"}],
    )
    assert third.risk_level == "high"


def test_one_shared_party_of_two_is_not_a_repeat_between_the_same_parties(med):
    med.report(parties=[{"name": "郑三", "phone": "13904710003"}, {"name": "王四", "phone": "13904710004"}])
    other = med.report(
        parties=[{"name": "郑三", "phone": "13904710003"}, {"name": "冯五", "phone": "13904710005"}]
    )
    assert [r["signal"] for r in other.risk_reasons] == []


def test_repeated_dispute_at_the_same_address(med):
    med.report("楼上漏水", address="惠民小区 9号楼3单元")
    again = med.report("楼上又漏水", address="惠民小区9号楼3单元")
    assert again.risk_level == "medium"
    assert again.risk_reasons[0]["signal"] == "repeat_address"


def test_disputes_older_than_the_window_do_not_count(med):
    old = med.report("很久以前吵过", address="惠民小区11号楼")
    Dispute.objects.filter(pk=old.pk).update(
        created_at=old.created_at - timedelta(days=risk.REPEAT_WINDOW_DAYS + 1)
    )
    again = med.report("又吵", address="惠民小区11号楼")
    assert again.risk_level == "low"


def test_vulnerable_resident_party(med):
    elder = med.resident("钱奶奶", birth="19400101", care_tags=("alone",))
    young = med.resident("钱小伟", birth="19950101")
    dispute = med.report(
        "赡养纠纷",
        parties=[
            {"resident_id": elder.pk, "role": "applicant"},
            {"resident_id": young.pk, "role": "respondent"},
        ],
        category="dispute.family",
        dispute_type="family",
    )
    assert dispute.risk_level == "medium"
    assert "钱奶奶" in dispute.risk_reasons[0]["detail"]
    assert "独居" in dispute.risk_reasons[0]["detail"]
    assert set(dispute.event.residents.values_list("pk", flat=True)) == {elder.pk, young.pk}


def test_threat_plus_vulnerable_party_is_critical(med):
    elder = med.resident("孙爷爷", birth="19450101", care_tags=("disabled",))
    dispute = med.report("对方说要弄死他", parties=[{"resident_id": elder.pk}, {"name": "某租户"}])
    assert dispute.risk_level == "critical"
    assert [r["signal"] for r in dispute.risk_reasons] == ["threat", "vulnerable", "combined"]


def test_adding_a_party_recomputes(med):
    dispute = med.report("吵架", parties=[{"name": "陈六", "phone": "13904710006"}])
    med.report("又吵", parties=[{"name": "陈六", "phone": "13904710006"}])
    third = med.report("第三回", parties=[{"name": "某人"}])
    assert third.risk_level == "low"
    with acting_as(med["gaobo"], channel="api"):
        services.add_parties(third, user=med["gaobo"], parties=[{"name": "陈六", "phone": "13904710006"}])
    third.refresh_from_db()
    assert third.risk_level == "high"
    assert dispute.pk != third.pk


# ------------------------------------------------------------------------- overrides


def test_override_needs_a_reason_and_is_audited(med):
    dispute = med.report("普通口角")
    admin = med["huimin_admin"]
    with pytest.raises(ValidationError) as exc:
        services.override_risk(dispute, user=admin, level="high", reason="")
    assert "reason" in exc.value.error_dict
    with pytest.raises(ValidationError):
        services.override_risk(dispute, user=admin, level="severe", reason="不存在的等级")
    with acting_as(admin, channel="page"):
        services.override_risk(dispute, user=admin, level="high", reason="当事人有酗酒史，曾持械")
    dispute.refresh_from_db()
    assert (dispute.risk_level, dispute.computed_risk, dispute.risk_override) == ("high", "low", "high")
    assert dispute.risk_override_by == admin
    assert dispute.risk_override_reason == "当事人有酗酒史，曾持械"
    entry = AuditEntry.objects.filter(
        object_type="disputes.dispute", object_id=str(dispute.pk), message__startswith="risk override"
    ).get()
    assert entry.actor_name == "huimin_admin"
    assert entry.changes == {"risk_level": ["low", "high"]}
    assert "当事人有酗酒史" in entry.message
    step = dispute.event.steps.get(action="dispute_risk_override")
    assert "低风险 → 高风险" in step.note
    assert "酗酒" in step.note


def test_clearing_the_override_returns_to_the_computed_level(med):
    dispute = med.report("普通口角")
    admin = med["huimin_admin"]
    services.override_risk(dispute, user=admin, level="critical", reason="临时提高关注")
    services.override_risk(dispute, user=admin, level="", reason="情况已缓和")
    dispute.refresh_from_db()
    assert dispute.risk_level == "low"
    assert dispute.risk_override == ""


def test_reporter_may_raise_but_not_lower_below_the_computed_level(med):
    dispute = med.report("对方扬言要报复")
    gaobo = med["gaobo"]
    with pytest.raises(PermissionDenied):
        services.override_risk(dispute, user=gaobo, level="low", reason="只是气话")
    assert AuditEntry.objects.filter(
        action=Action.DENIED, object_id=str(dispute.pk), object_type="disputes.dispute"
    ).exists()
    services.override_risk(dispute, user=gaobo, level="critical", reason="对方已经拿刀到楼下")
    dispute.refresh_from_db()
    assert dispute.risk_level == "critical"
    # The centre may lower it.
    services.override_risk(dispute, user=med["huimin_admin"], level="medium", reason="双方已冷静，当面道歉")
    dispute.refresh_from_db()
    assert dispute.risk_level == "medium"


def test_outsider_cannot_override(med):
    dispute = med.report("口角")
    with pytest.raises(PermissionDenied):
        services.override_risk(dispute, user=med["laogangfang_worker"], level="high", reason="无关人员尝试")
    dispute.refresh_from_db()
    assert dispute.risk_level == "low"
