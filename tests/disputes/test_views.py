"""The dispute pages: list, report form, detail with its forms."""

from django.utils import timezone

from gridgov.disputes.models import Dispute


def test_list_shows_the_scope_only(med, login):
    mine = med.report("口角")
    page = login("huimin_admin").get("/disputes/?state=all")
    assert page.status_code == 200
    assert mine.event.number in page.content.decode()
    other = login("laogangfang_worker").get("/disputes/?state=all").content.decode()
    assert mine.event.number not in other


def test_report_form_creates_a_dispute_once(med, login):
    client = login("gaobo")
    form = client.get("/disputes/new/")
    assert form.status_code == 200
    assert "dispute.neighbour" in form.content.decode()
    data = {
        "category": "dispute.neighbour",
        "dispute_type": "neighbour",
        "description": "楼道里两户人要动手",
        "grid": str(med.grid.pk),
        "address": "页面测试楼",
        "idempotency_key": "form-1",
        "party1_name": "页面甲",
        "party1_phone": "13904714001",
        "party1_role": "applicant",
        "party2_name": "页面乙",
        "party2_role": "respondent",
        "party3_role": "other",
        "party4_role": "other",
    }
    response = client.post("/disputes/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    dispute = Dispute.objects.get(event__address="页面测试楼")
    assert dispute.risk_level == "high"
    assert dispute.parties.count() == 2
    # A double submit of the same form returns the same dispute.
    assert client.post("/disputes/new/", data).status_code == 302
    assert Dispute.objects.filter(event__address="页面测试楼").count() == 1


def test_report_form_shows_errors(med, login):
    response = login("gaobo").post(
        "/disputes/new/",
        {
            "category": "dispute.neighbour",
            "dispute_type": "neighbour",
            "description": "口角",
            "grid": "",
            "party1_name": "甲",
            "party1_phone": "123",
            "party1_role": "applicant",
            "party2_role": "other",
            "party3_role": "other",
            "party4_role": "other",
        },
    )
    assert response.status_code == 200
    assert "电话" in response.content.decode()


def test_report_form_needs_the_right_to_report(login):
    assert login("heating_staff").get("/disputes/new/").status_code == 403


def test_detail_and_its_forms(med, login):
    dispute = med.report("口角")
    client = login("gaobo")
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert dispute.event.number in page
    assert "甲某" in page
    assert "我自己 · 专职网格员" in page  # the grid worker may join himself, explicitly
    mediator = med["zhaowuda_mediator"]
    assert client.post(f"/disputes/{dispute.pk}/team/", {"member": med["gaobo"].pk}).status_code == 302
    assert client.post(f"/disputes/{dispute.pk}/team/", {"member": mediator.pk}).status_code == 302
    assert dict(dispute.team.values_list("user__username", "role")) == {
        "gaobo": "grid_worker",
        "zhaowuda_mediator": "mediator",
    }
    visit = {
        "kind": "mediation",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "visitors": [str(med["gaobo"].pk), str(mediator.pk)],
        "summary": "联合走访",
    }
    assert client.post(f"/disputes/{dispute.pk}/visits/", visit).status_code == 302
    assert dispute.visits.count() == 1
    assert (
        client.post(f"/disputes/{dispute.pk}/risk/", {"level": "high", "reason": "对方有前科"}).status_code
        == 302
    )
    assert (
        client.post(
            f"/disputes/{dispute.pk}/outcome/",
            {"outcome": "agreement", "terms": "双方签订协议", "follow_up_days": "30"},
        ).status_code
        == 302
    )
    dispute.refresh_from_db()
    assert (dispute.risk_level, dispute.outcome) == ("high", "agreement")
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "双方签订协议" in page
    assert "联合走访" in page


def test_refused_form_posts_show_a_message_and_change_nothing(med, login):
    dispute = med.report("口角")
    client = login("huimin_volunteer")  # sees the dispute (reporting scope) but does not work on it
    assert client.get(f"/disputes/{dispute.pk}/").status_code == 200
    response = client.post(
        f"/disputes/{dispute.pk}/risk/", {"level": "critical", "reason": "志愿者尝试"}, follow=True
    )
    assert "只有本纠纷的调解团队" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.risk_level == "low"


def test_detail_shows_system_steps(med, login, django_capture_on_commit_callbacks):
    from gridgov.events import intake as event_intake

    with django_capture_on_commit_callbacks(execute=True):
        event, _ = event_intake.report_event(
            user=med["gaobo"], category="dispute.other", description="有人扬言报复", grid=med.grid
        )
    page = login("gaobo").get(f"/disputes/{event.dispute.pk}/")
    assert page.status_code == 200
    assert "系统" in page.content.decode()


def test_every_demo_dispute_page_renders_for_the_city(login):
    client = login("city_admin")
    disputes = list(Dispute.objects.values_list("pk", flat=True))
    assert disputes
    for pk in disputes:
        assert client.get(f"/disputes/{pk}/").status_code == 200, pk


def test_team_role_and_removal_from_the_page(med, login):
    dispute = med.report("口角")
    client = login("huimin_admin")
    admin = med["huimin_admin"]
    url = f"/disputes/{dispute.pk}/team/"
    # A role the member does not hold is refused with a message; nothing is added.
    response = client.post(url, {"member": admin.pk, "role": "grid_worker"}, follow=True)
    assert "不能以专职网格员身份加入" in response.content.decode()
    assert not dispute.team.exists()
    assert client.post(url, {"member": admin.pk}).status_code == 302
    assert dispute.team.get().role == "community_staff"
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "社区工作人员" in page
    assert "退出团队" in page
    refused = client.post(f"{url}{admin.pk}/role/", {"role": "police"}, follow=True)
    assert "不能以民警身份加入" in refused.content.decode()
    assert client.post(f"{url}{admin.pk}/remove/", {"reason": ""}, follow=True).status_code == 200
    assert dispute.team.exists()
    assert client.post(f"{url}{admin.pk}/remove/", {"reason": "另有安排"}).status_code == 302
    assert not dispute.team.exists()
    assert client.post(f"{url}abc/remove/", {"reason": "x"}).status_code == 404
    assert client.post(url, {"member": "not-a-number"}).status_code == 404
    page = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "退出调解团队：另有安排" in page
