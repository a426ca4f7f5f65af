"""The work log is filled from the day's records and read by the worker's chief and instructor,
not by outsiders; the household load names the grids that need splitting."""

import json
from datetime import date

from django.utils import timezone

from gridgov.care import services as care
from gridgov.registry.models import Resident
from gridgov.worklog import selectors, services


def test_the_day_log_is_filled_from_visits_and_the_note(user, node):
    gaobo = user("gaobo")
    resident = Resident.objects.filter(
        path__startswith=node("惠民社区第一网格").path, status="present"
    ).first()
    care.record_visit(user=gaobo, resident=resident, method="phone", found="电话问候，一切正常")
    services.save_note(user=gaobo, day=timezone.localdate(), text="3号楼停水，已联系物业")
    for reader in ("gaobo", "huimin_chief", "huimin_instructor", "huimin_admin"):
        log = selectors.day_log(user(reader), gaobo, timezone.localdate())
        assert any("电话问候" in e.text for e in log["entries"]), reader
        assert log["note"] == "3号楼停水，已联系物业"
    assert not selectors.may_read(user("laogangfang_worker"), gaobo)


def test_api_log_note_and_outsider(api, user):
    gaobo = user("gaobo")
    client = api("gaobo")
    body = json.dumps({"day": timezone.localdate().isoformat(), "text": "走访了 5 户"})
    first = client.post(
        "/api/v1/worklog/notes", body, content_type="application/json", headers={"Idempotency-Key": "n1"}
    )
    assert first.status_code == 200, first.content
    assert client.get("/api/v1/worklog").json()["note"] == "走访了 5 户"
    assert api("huimin_chief").get(f"/api/v1/worklog?worker_id={gaobo.pk}").json()["note"] == "走访了 5 户"
    assert api("laogangfang_worker").get(f"/api/v1/worklog?worker_id={gaobo.pk}").status_code == 404
    old = json.dumps({"day": date(2020, 1, 1).isoformat(), "text": "x"})
    assert client.post("/api/v1/worklog/notes", old, content_type="application/json").status_code == 400


def test_household_load_per_level(user, node, api):
    rows = {r.node.name: r for r in selectors.household_load(user("huimin_admin"), node("惠民社区"))}
    first = rows["惠民社区第一网格"]
    assert first.households > 0
    assert first.grids == 1
    assert first.workers == 1
    assert first.per_worker == first.households
    county = api("saihan_admin").get(f"/api/v1/worklog/load?node_id={node('赛罕区').pk}")
    assert county.status_code == 200
    assert {r["name"] for r in county.json()["rows"]} >= {"昭乌达南路街道"}


def test_pages(login, user):
    gaobo = user("gaobo")
    page = login("huimin_chief").get(f"/worklog/?worker={gaobo.pk}")
    assert page.status_code == 200
    assert login("laogangfang_worker").get(f"/worklog/?worker={gaobo.pk}").status_code == 404
    assert login("huimin_admin").get("/worklog/load/").status_code == 200
