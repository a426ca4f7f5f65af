"""Leader pages for tasks: give a task, the admission queue and decision, the burden page."""

from datetime import timedelta

from django.utils import timezone

from gridgov.tasks.models import Task, TaskAssignment


def test_give_a_task_outside_the_duties_and_decide_it_on_the_pages(login, node):
    township = login("zhaowuda_admin")
    area = node("惠民社区")
    deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    answer = township.post(
        f"/tasks/?node={area.pk}",
        {"node": area.pk, "title": "协助收取有线电视费", "duty": "", "deadline": deadline},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    task = Task.objects.get(title="协助收取有线电视费")
    county = login("saihan_admin")
    assert "协助收取有线电视费" in county.get("/tasks/").content.decode()
    refused = county.post(f"/tasks/{task.pk}/admission/", {"approve": "0", "reason": "不属于网格员职责"})
    assert refused.status_code == 302
    task.refresh_from_db()
    assert task.admission == "refused"
    detail = township.get(f"/tasks/{task.pk}/").content.decode()
    assert "不属于网格员职责" in detail


def test_bad_input_shows_on_the_form(login, node):
    area = node("惠民社区")
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = login("huimin_admin").post(
        f"/tasks/?node={area.pk}", {"node": area.pk, "title": "x", "duty": "publicity", "deadline": past}
    )
    assert page.status_code == 200
    assert "完成时限必须晚于现在" in page.content.decode()


def test_burden_page(login, node):
    page = login("huimin_admin").get(f"/tasks/burden/?node={node('惠民社区').pk}")
    assert page.status_code == 200
    assert (
        login("huimin_admin").get(f"/tasks/burden/?node={node('惠民社区').pk}&month=bad").status_code == 200
    )


def test_city_admins_edit_the_duties_county_admins_read_them(login):
    from gridgov.audit.models import AuditEntry
    from gridgov.tasks.models import Duty

    duty = Duty.objects.filter(active=True).order_by("order").first()
    county = login("saihan_admin")
    page = county.get("/tasks/duties/")
    assert page.status_code == 200
    assert duty.name in page.content.decode()
    assert "本页只读" in page.content.decode()
    refused = county.post(
        "/tasks/duties/", {"duty": duty.pk, f"d{duty.pk}-name": "改名", f"d{duty.pk}-order": 1}
    )
    assert refused.status_code == 403
    assert Duty.objects.get(pk=duty.pk).name == duty.name
    assert AuditEntry.objects.filter(
        action="denied", object_type="tasks.duty", object_id=str(duty.pk)
    ).exists()

    city = login("city_admin")
    form = {
        "duty": duty.pk,
        f"d{duty.pk}-name": "信息采集与核实",
        f"d{duty.pk}-description": "入户采集并核实人口房屋信息",
        f"d{duty.pk}-order": 1,
        f"d{duty.pk}-active": "on",
    }
    saved = city.post("/tasks/duties/", form)
    assert saved.status_code == 302
    duty.refresh_from_db()
    assert (duty.name, duty.description) == ("信息采集与核实", "入户采集并核实人口房屋信息")
    entry = AuditEntry.objects.filter(
        action="update", object_type="tasks.duty", object_id=str(duty.pk)
    ).latest("seq")
    assert entry.actor_name == "city_admin"
    assert "name" in entry.changes

    bad = city.post("/tasks/duties/", {**form, f"d{duty.pk}-name": "", f"d{duty.pk}-order": "x"})
    assert bad.status_code == 400
    assert "这个字段是必填项" in bad.content.decode() or "必填" in bad.content.decode()
    added = city.post("/tasks/duties/", {"new-code": "flood_watch", "new-name": "汛期巡查", "new-order": 11})
    assert added.status_code == 302
    assert Duty.objects.get(code="flood_watch").active
    again = city.post(
        "/tasks/duties/", {"new-code": "flood_watch", "new-name": "汛期巡查二", "new-order": 12}
    )
    assert again.status_code == 400
    assert "已有此代码的职责" in again.content.decode()
    # An inactive duty cannot be chosen for a new task.
    city.post("/tasks/duties/", {"duty": duty.pk, f"d{duty.pk}-name": duty.name, f"d{duty.pk}-order": 1})
    assert not Duty.objects.get(pk=duty.pk).active
    from gridgov.tasks import selectors

    assert duty not in selectors.duties()


def test_others_do_not_get_the_duties_page(login):
    for who in ("huimin_admin", "gaobo", "zhaowuda_admin"):
        assert login(who).get("/tasks/duties/").status_code == 403


def test_grid_tasks_list_filters_by_area_period_and_state(login, node):
    area = node("惠民社区")
    client = login("huimin_admin")
    today = timezone.localdate()
    page = client.get(f"/tasks/grids/?node={area.pk}&from={today - timedelta(days=40)}&to={today}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "网格任务明细 · 惠民社区" in text
    assert "老缸房" not in text  # another county's grids
    refused = TaskAssignment.objects.filter(path__startswith=area.path, state="refused").count()
    listed = client.get(f"/tasks/grids/?node={area.pk}&state=refused").content.decode()
    assert f"共 {refused} 行" in listed
    assert "待完成" not in listed.split("<tbody>")[1]  # only refused rows


def test_grid_tasks_list_names_a_bad_date_and_keeps_scope(login, node):
    client = login("huimin_admin")
    bad = client.get(f"/tasks/grids/?node={node('惠民社区').pk}&from=2026-13-01&to=x&page=abc")
    assert bad.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in bad.content.decode()
    reversed_range = client.get(f"/tasks/grids/?node={node('惠民社区').pk}&from=2026-05-02&to=2026-05-01")
    assert "结束日期不能早于开始日期" in reversed_range.content.decode()
    assert client.get(f"/tasks/grids/?node={node('老缸房社区').pk}").status_code == 404
