"""Leader pages for tasks: give a task, the admission queue and decision, the burden page."""

from datetime import timedelta

from django.utils import timezone

from gridgov.tasks.models import Task


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
