import json

import pytest
from django.urls import reverse

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import pii, services
from gridgov.registry.choices import LifeEventKind, ResidenceStatus
from gridgov.registry.models import Household, LifeEvent, Resident


def test_grid_worker_home_shows_grid_buildings_and_search(login, grid1):
    response = login("gaobo").get("/registry/")
    assert response.status_code == 200
    body = response.content.decode()
    assert grid1.name in body
    assert 'action="/search/"' in body
    assert "1号楼" in body


def test_community_admin_home_lists_start_node(login, node):
    response = login("huimin_admin").get("/registry/")
    assert response.status_code == 200
    assert "惠民社区" in response.content.decode()


def test_building_page_lists_households(login, family, building1):
    response = login("gaobo").get(reverse("registry:node", kwargs={"node_id": building1.pk}))
    assert response.status_code == 200
    assert (
        reverse("registry:household", kwargs={"household_id": family["household"].pk})
        in response.content.decode()
    )


def test_household_detail_masks_and_lists_members(login, family):
    household = family["household"]
    response = login("gaobo").get(reverse("registry:household", kwargs={"household_id": household.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    for member in ("张伟", "李娜", "张小明"):
        assert member in body
    assert pii.id_number_of(family["head"]) not in body
    assert "0471-6123456" not in body
    assert "0471-***3456" in body
    assert "迁入" in body  # history


OBJECT_URLS = [
    ("registry:household", "household"),
    ("registry:household_edit", "household"),
    ("registry:resident_create", "household"),
    ("registry:birth_create", "household"),
    ("registry:household_move_out", "household"),
    ("registry:household_reveal", "household"),
    ("registry:resident", "resident"),
    ("registry:resident_edit", "resident"),
    ("registry:resident_move_out", "resident"),
    ("registry:resident_transfer", "resident"),
    ("registry:resident_death", "resident"),
]


@pytest.mark.parametrize(("name", "kind"), OBJECT_URLS)
def test_object_urls_are_404_outside_scope(login, family, name, kind):
    obj = family["household"] if kind == "household" else family["head"]
    url = reverse(name, kwargs={f"{kind}_id": obj.pk})
    assert login("laogangfang_worker").get(url).status_code == 404
    assert login("laogangfang_worker").post(url, {}).status_code == 404


@pytest.mark.parametrize("username", ["heating_staff", "auditor"])
def test_department_staff_and_auditors_do_not_see_the_population(login, api, family, username):
    # Both hold a city-wide role (to receive dispatched events, to read the log), not the registry.
    client = login(username)
    for name, kind in [("registry:household", "household"), ("registry:resident", "resident")]:
        obj = family["household"] if kind == "household" else family["head"]
        assert client.get(reverse(name, kwargs={f"{kind}_id": obj.pk})).status_code == 404
    head_url = f"/registry/residents/{family['head'].pk}/"
    assert head_url not in client.get("/search/?q=张伟").content.decode()
    found = api(username).get("/api/v1/search", {"q": "张伟"})
    assert found.status_code != 200 or found.json()["results"] == []
    assert api(username).get(f"/api/v1/households/{family['household'].pk}").status_code == 404
    # The grid worker still finds the same family.
    assert head_url in login("gaobo").get("/search/?q=张伟").content.decode()


def test_reveal_url_404_outside_scope(login, family):
    url = reverse("registry:resident_reveal", kwargs={"resident_id": family["head"].pk, "field": "id_number"})
    assert login("laogangfang_worker").post(url).status_code == 404


def test_node_urls_404_outside_scope(login, outside_building):
    for name in ("registry:node", "registry:household_create", "registry:export"):
        url = reverse(name, kwargs={"node_id": outside_building.pk})
        assert login("gaobo").get(url).status_code == 404


def test_edit_pages_404_for_view_only_roles(login, family):
    url = reverse("registry:resident_edit", kwargs={"resident_id": family["head"].pk})
    assert login("huimin_volunteer").get(url).status_code == 404
    # But the volunteer may read the (masked) detail.
    detail = login("huimin_volunteer").get(
        reverse("registry:resident", kwargs={"resident_id": family["head"].pk})
    )
    assert detail.status_code == 200
    assert "显示" not in detail.content.decode()


def test_reveal_button_shows_full_id_and_is_audited(login, family):
    head = family["head"]
    client = login("gaobo")
    detail = client.get(reverse("registry:resident", kwargs={"resident_id": head.pk})).content.decode()
    assert "显示" in detail
    assert pii.id_number_of(head) not in detail
    url = reverse("registry:resident_reveal", kwargs={"resident_id": head.pk, "field": "id_number"})
    assert client.get(url).status_code == 405
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert pii.id_number_of(head) in response.content.decode()
    entry = AuditEntry.objects.filter(action=Action.READ_SENSITIVE, object_id=str(head.pk)).get()
    assert entry.changes == {"field": "id_number"}
    assert entry.actor_name == "gaobo"
    assert entry.channel == "page"
    # Without htmx the whole page comes back with the value shown.
    page = client.post(reverse("registry:resident_reveal", kwargs={"resident_id": head.pk, "field": "phone"}))
    assert "13812345678" in page.content.decode()


def test_reveal_refused_without_see_pii(login, family):
    url = reverse("registry:resident_reveal", kwargs={"resident_id": family["head"].pk, "field": "id_number"})
    assert login("huimin_volunteer").post(url).status_code == 403
    # (The demo seed's case library reads a dispute's parties: an audited read, not a resident's.)
    assert not AuditEntry.objects.filter(
        action=Action.READ_SENSITIVE, object_type="registry.resident"
    ).exists()


def test_special_tags_on_pages_only_for_granted(login, family):
    url = reverse("registry:resident", kwargs={"resident_id": family["spouse"].pk})
    assert "刑满释放" in login("gaobo").get(url).content.decode()
    for username in ("huimin_chief", "huimin_volunteer", "huimin_instructor"):
        body = login(username).get(url).content.decode()
        assert "刑满释放" not in body
        assert "特殊人群" not in body
    edit = reverse("registry:resident_edit", kwargs={"resident_id": family["spouse"].pk})
    assert "特殊人群" in login("gaobo").get(edit).content.decode()
    assert "特殊人群" not in login("huimin_chief").get(edit).content.decode()


def _edit_form(client, resident):
    """What the edit page sent to the browser, as POST data."""
    response = client.get(reverse("registry:resident_edit", kwargs={"resident_id": resident.pk}))
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields if form[name].value() is not None}


def test_correct_a_phone_from_the_edit_page(login, family):
    client = login("gaobo")
    data = _edit_form(client, family["head"])
    data["phone"] = "139 0000 1111"
    response = client.post(reverse("registry:resident_edit", kwargs={"resident_id": family["head"].pk}), data)
    assert response.status_code == 302
    family["head"].refresh_from_db()
    assert pii.resident_phone_of(family["head"]) == "13900001111"
    assert family["head"].version == 2
    assert AuditEntry.objects.filter(
        action=Action.UPDATE, object_id=str(family["head"].pk), actor_name="gaobo", channel="page"
    ).exists()


def test_invalid_phone_shows_error_and_changes_nothing(login, family):
    client = login("gaobo")
    data = _edit_form(client, family["head"])
    data["phone"] = "12345"
    response = client.post(reverse("registry:resident_edit", kwargs={"resident_id": family["head"].pk}), data)
    assert response.status_code == 200
    assert "电话“12345”无效" in response.content.decode()
    family["head"].refresh_from_db()
    assert family["head"].version == 1


def test_concurrent_edit_shows_conflict_and_reapplies(login, family, user):
    head = family["head"]
    client = login("gaobo")
    data = _edit_form(client, head)
    # Someone else saves first.
    services.update_resident(
        head, user=user("huimin_chief"), version=1, note="户主外出务工", phone="13700002222"
    )
    data["ethnicity"] = "蒙古族"
    response = client.post(reverse("registry:resident_edit", kwargs={"resident_id": head.pk}), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "保存冲突" in body
    assert "户主外出务工" in body
    assert "137****2222" in body
    head.refresh_from_db()
    assert head.ethnicity != "蒙古族"
    assert head.version == 2
    # Re-apply: the refreshed form carries the new version; the other person's note survives.
    form = response.context["form"]
    again = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    assert again["version"] == "2"
    assert again["ethnicity"] == "蒙古族"
    assert again["note"] == "户主外出务工"
    response = client.post(reverse("registry:resident_edit", kwargs={"resident_id": head.pk}), again)
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.ethnicity == "蒙古族"
    assert head.note == "户主外出务工"
    assert head.version == 3
    assert pii.resident_phone_of(head) == "13700002222"


def test_household_edit_conflict(login, family, user):
    household = family["household"]
    client = login("gaobo")
    response = client.get(reverse("registry:household_edit", kwargs={"household_id": household.pk}))
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    services.update_household(household, user=user("huimin_chief"), version=None, note="新备注")
    data["kind"] = "renting"
    response = client.post(reverse("registry:household_edit", kwargs={"household_id": household.pk}), data)
    assert response.status_code == 200
    assert "保存冲突" in response.content.decode()
    household.refresh_from_db()
    assert household.kind == "registered"


def test_create_household_page(login, building1):
    client = login("gaobo")
    url = reverse("registry:household_create", kwargs={"node_id": building1.pk})
    response = client.post(url, {"unit": "73", "room": "502", "kind": "registered", "phone": "", "note": ""})
    assert response.status_code == 302
    household = Household.objects.get(number=f"{building1.code}-73-502")
    assert household.path == building1.path


def test_create_household_page_outside_scope_is_404(login, building2):
    url = reverse("registry:household_create", kwargs={"node_id": building2.pk})
    before = Household.objects.count()
    assert login("gaobo").post(url, {"room": "1", "kind": "registered"}).status_code == 404
    assert Household.objects.count() == before


def test_move_in_page_reports_bad_id_and_duplicate(login, family, new_id):
    client = login("gaobo")
    url = reverse("registry:resident_create", kwargs={"household_id": family["household"].pk})
    base = {"name": "王五", "relation": "other", "status": "present"}
    response = client.post(url, {**base, "id_number": "110101198001011234"})
    assert "校验位" in response.content.decode()
    response = client.post(url, {**base, "id_number": pii.id_number_of(family["spouse"])})
    assert "不能同时在两户" in response.content.decode()
    response = client.post(url, {**base, "id_number": new_id("19900101"), "birth_date": "1990-01-02"})
    assert "与身份证号不符" in response.content.decode()
    assert Resident.objects.filter(household=family["household"]).count() == 3
    response = client.post(url, {**base, "id_number": new_id("19900101"), "phone": "0471-6999999"})
    assert response.status_code == 302
    assert Resident.objects.filter(household=family["household"]).count() == 4


def test_add_newborn_page(login, family):
    client = login("gaobo")
    url = reverse("registry:birth_create", kwargs={"household_id": family["household"].pk})
    response = client.post(
        url,
        {"name": "张小宝", "birth_date": "2024-02-29", "sex": "F", "relation": "grandchild", "id_number": ""},
    )
    assert response.status_code == 302
    baby = Resident.objects.get(name="张小宝")
    assert baby.id_number_hash is None
    assert baby.sex == "F"
    assert LifeEvent.objects.get(resident=baby).kind == LifeEventKind.BIRTH


def test_move_out_transfer_death_pages(login, family, make_household):
    client = login("gaobo")
    head, spouse, child = family["head"], family["spouse"], family["child"]
    response = client.post(
        reverse("registry:resident_move_out", kwargs={"resident_id": head.pk}),
        {"date": "2024-05-01", "note": "去外地", "version": head.version},
    )
    assert response.status_code == 302
    head.refresh_from_db()
    assert head.status == ResidenceStatus.MOVED_OUT
    target = make_household()
    response = client.post(
        reverse("registry:resident_transfer", kwargs={"resident_id": child.pk}),
        {"to_household": target.number, "relation": "child", "note": ""},
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.household_id == target.pk
    response = client.post(
        reverse("registry:resident_transfer", kwargs={"resident_id": spouse.pk}),
        {"to_household": "不存在", "relation": "other"},
    )
    assert "户编号不存在" in response.content.decode()
    response = client.post(
        reverse("registry:resident_death", kwargs={"resident_id": spouse.pk}), {"date": ""}
    )
    assert response.status_code == 302
    spouse.refresh_from_db()
    assert spouse.status == ResidenceStatus.DECEASED
    # History stays visible on the household page.
    body = client.get(
        reverse("registry:household", kwargs={"household_id": family["household"].pk})
    ).content.decode()
    assert "迁出" in body
    assert "死亡" in body
    assert "张伟" in body


def test_stale_life_event_is_refused(login, family, user):
    head = family["head"]
    services.update_resident(head, user=user("gaobo"), version=None, note="x")
    response = login("gaobo").post(
        reverse("registry:resident_death", kwargs={"resident_id": head.pk}), {"version": 1}
    )
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    head.refresh_from_db()
    assert head.status == ResidenceStatus.PRESENT


def test_whole_household_move_out_page(login, family):
    household = family["household"]
    response = login("gaobo").post(
        reverse("registry:household_move_out", kwargs={"household_id": household.pk}),
        {"version": household.version, "note": "搬离本市"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == "moved_out"


def test_seen_snapshot_is_json_in_the_form(login, family):
    response = login("gaobo").get(
        reverse("registry:resident_edit", kwargs={"resident_id": family["head"].pk})
    )
    seen = json.loads(response.context["form"]["seen"].value())
    assert seen["phone"] == "138****5678"
    assert "13812345678" not in response.content.decode()


def test_create_household_from_grid_page_chooses_building(login, grid1, building1, building2):
    client = login("gaobo")
    url = reverse("registry:household_create", kwargs={"node_id": grid1.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{building1.pk}"' in page.content.decode()
    assert f'value="{building2.pk}"' not in page.content.decode()
    response = client.post(url, {"building": building1.pk, "unit": "74", "room": "1", "kind": "registered"})
    assert response.status_code == 302
    assert Household.objects.filter(number=f"{building1.code}-74-1").exists()
    # A building of another grid is not a choice.
    response = client.post(url, {"building": building2.pk, "unit": "74", "room": "2", "kind": "registered"})
    assert response.status_code == 200
    assert "building" in response.context["form"].errors


@pytest.mark.parametrize("username", ["heating_staff", "auditor"])
def test_a_role_without_registry_access_is_told_so(login, api, username):
    """Not "呼和浩特市 0 户": the page and the API say that the role has no registry access."""
    client = login(username)
    for url in ("/registry/", "/search/?q=张"):
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert "无权查看人口信息" in page
        assert " 户" not in page
    assert 'href="/registry/"' not in client.get("/", follow=True).content.decode()
    for url in ("/api/v1/households", "/api/v1/residents", "/api/v1/search?q=张"):
        response = api(username).get(url)
        assert response.status_code == 403, url
        assert response.json()["detail"] == "无权查看人口信息"


def test_every_role_with_registry_access_has_the_registry_in_its_navigation(login):
    for username in ("huimin_instructor", "huimin_volunteer", "gaobo"):
        assert 'href="/registry/"' in login(username).get("/", follow=True).content.decode(), username
