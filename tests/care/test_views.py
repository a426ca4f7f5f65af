"""Leader pages for care: due and overdue per area and grid worker, the stale list; scoped."""


def test_due_page_drills_down_to_grids_with_their_workers(login, node):
    client = login("huimin_admin")
    page = client.get(f"/care/?node={node('惠民社区').pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "惠民社区第一网格" in text
    assert "高波" in text
    assert "no-store" in page["Cache-Control"]
    assert login("laogangfang_worker").get(f"/care/?node={node('惠民社区').pk}").status_code == 404


def test_stale_page(login, node):
    page = login("gaobo").get(f"/care/stale/?node={node('惠民社区第一网格').pk}&days=30")
    assert page.status_code == 200
    assert "久未核实" in page.content.decode()
    assert login("gaobo").get("/care/stale/?days=abc").status_code == 200


def test_city_admins_edit_the_care_rules_and_schedules_follow(login, tagged):
    from gridgov.audit.models import AuditEntry
    from gridgov.care.models import CareRule, CareSchedule

    rule = CareRule.objects.get(tag="alone")
    resident = tagged(["alone"])
    county = login("saihan_admin")
    page = county.get("/care/rules/")
    assert page.status_code == 200
    assert "本页只读" in page.content.decode()
    refused = county.post(
        "/care/rules/", {"rule": rule.pk, f"r{rule.pk}-name": rule.name, f"r{rule.pk}-interval_days": 3}
    )
    assert refused.status_code == 403
    assert CareRule.objects.get(pk=rule.pk).interval_days == rule.interval_days

    city = login("city_admin")
    saved = city.post(
        "/care/rules/",
        {
            "rule": rule.pk,
            f"r{rule.pk}-name": "独居老人",
            f"r{rule.pk}-interval_days": 3,
            f"r{rule.pk}-active": "on",
        },
    )
    assert saved.status_code == 302
    assert CareRule.objects.get(pk=rule.pk).interval_days == 3
    assert CareSchedule.objects.get(resident=resident).interval_days == 3
    entry = AuditEntry.objects.filter(
        action="update", object_type="care.carerule", object_id=str(rule.pk)
    ).earliest("seq")
    assert entry.actor_name == "city_admin"
    bad = city.post(
        "/care/rules/", {"rule": rule.pk, f"r{rule.pk}-name": "独居老人", f"r{rule.pk}-interval_days": 400}
    )
    assert bad.status_code == 400
    assert CareRule.objects.get(pk=rule.pk).interval_days == 3
    free = [
        t
        for t in ("veteran", "serious_illness", "left_behind_child")
        if not CareRule.objects.filter(tag=t).exists()
    ]
    if free:
        added = city.post("/care/rules/", {"new-tag": free[0], "new-name": "", "new-interval_days": 60})
        assert added.status_code == 302
        assert CareRule.objects.get(tag=free[0]).interval_days == 60


def test_others_do_not_get_the_care_rules_page(login):
    for who in ("huimin_admin", "gaobo"):
        assert login(who).get("/care/rules/").status_code == 403
