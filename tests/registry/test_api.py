import json

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import pii
from gridgov.registry.choices import LifeEventKind, ResidenceStatus
from gridgov.registry.models import Household, Resident


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def patch(client, url, data, **headers):
    return client.patch(url, json.dumps(data), content_type="application/json", headers=headers)


def test_list_households_scoped_and_paged(api, family, make_household, building2, grid1):
    make_household(building2)
    response = api("gaobo").get("/api/v1/households", {"limit": 1})
    assert response.status_code == 200
    data = response.json()
    assert data["limit"] == 1
    assert len(data["items"]) == 1
    ids = {h["id"] for h in api("gaobo").get("/api/v1/households", {"limit": 200}).json()["items"]}
    assert family["household"].pk in ids
    assert not Household.objects.filter(pk__in=ids).exclude(path__startswith=grid1.path).exists()
    by_building = api("gaobo").get("/api/v1/households", {"building": family["household"].building_id}).json()
    assert all(h["building_id"] == family["household"].building_id for h in by_building["items"])
    assert api("gaobo").get("/api/v1/households", {"grid": building2.parent_id}).status_code == 404


def test_household_detail_etag_and_masking(api, family):
    household = family["household"]
    response = api("gaobo").get(f"/api/v1/households/{household.pk}")
    assert response.status_code == 200
    assert response["ETag"] == f'"{household.version}"'
    data = response.json()
    assert data["phone"] == "0471-***3456"
    assert not data["phone_revealed"]
    names = [m["name"] for m in data["members"]]
    assert names[0] == "张伟"
    assert set(names) == {"张伟", "李娜", "张小明"}
    head = data["members"][0]
    assert head["id_number"].count("*") == 8
    assert api("laogangfang_worker").get(f"/api/v1/households/{household.pk}").status_code == 404


def test_create_household_and_resident(api, building1, new_id):
    client = api("gaobo")
    response = post(
        client,
        "/api/v1/households",
        {
            "building_id": building1.pk,
            "unit": "71",
            "room": "101",
            "kind": "nonlocal",
            "phone": "13800001111",
        },
    )
    assert response.status_code == 201, response.json()
    household = response.json()
    assert household["number"] == f"{building1.code}-71-101"
    assert household["phone"] == "138****1111"
    number = new_id("19700203")
    response = post(
        client,
        "/api/v1/residents",
        {
            "household_id": household["id"],
            "name": "巴特尔",
            "id_number": number,
            "ethnicity": "蒙古族",
            "relation": "head",
            "care_tags": ["veteran"],
        },
    )
    assert response.status_code == 201, response.json()
    resident = response.json()
    assert resident["birth_date"] == "1970-02-03"
    assert resident["sex"] == "M"
    assert resident["id_number"] == number[:6] + "********" + number[-4:]
    assert response["ETag"] == '"1"'
    events = client.get(f"/api/v1/residents/{resident['id']}/events").json()
    assert events[0]["kind"] == LifeEventKind.MOVE_IN


def test_create_household_outside_scope_is_clear_400(api, outside_building):
    before = Household.objects.count()
    response = post(api("gaobo"), "/api/v1/households", {"building_id": outside_building.pk, "room": "1"})
    assert response.status_code == 400
    assert "不在您可维护的范围内" in response.json()["errors"]["building"][0]
    assert Household.objects.count() == before
    missing = post(api("gaobo"), "/api/v1/households", {"building_id": 99999999, "room": "1"})
    assert missing.status_code == 400
    assert missing.json()["errors"] == response.json()["errors"]


def test_bad_inputs_are_400_with_field(api, family, new_id):
    client = api("gaobo")
    base = {"household_id": family["household"].pk, "name": "王五"}
    cases = [
        ({"id_number": "110101198001011234"}, "id_number", "校验位"),
        ({"id_number": new_id(), "phone": "12345"}, "phone", "太短"),
        ({"id_number": new_id("19800101"), "birth_date": "1980-01-02"}, "birth_date", "与身份证号不符"),
        ({"id_number": pii.id_number_of(family["child"])}, "id_number", "不能同时在两户"),
        ({"id_number": new_id(), "ethnicity": "火星族"}, "ethnicity", "56"),
    ]
    before = Resident.objects.count()
    for extra, field, text in cases:
        response = post(client, "/api/v1/residents", {**base, **extra})
        assert response.status_code == 400, extra
        assert text in response.json()["errors"][field][0], response.json()
    assert Resident.objects.count() == before


def test_patch_requires_if_match(api, family):
    url = f"/api/v1/residents/{family['head'].pk}"
    response = patch(api("gaobo"), url, {"phone": "13700001111"})
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_patch_with_if_match_and_412_on_stale(api, family):
    head = family["head"]
    url = f"/api/v1/residents/{head.pk}"
    first, second = api("gaobo"), api("huimin_chief")
    etag = first.get(url)["ETag"]
    assert etag == '"1"'
    response = patch(first, url, {"phone": "137 0000 1111"}, **{"If-Match": etag})
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    assert response.json()["phone"] == "137****1111"
    stale = patch(second, url, {"note": "覆盖"}, **{"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    head.refresh_from_db()
    assert head.note == ""
    assert pii.resident_phone_of(head) == "13700001111"
    # W/ prefixes and * are understood.
    assert patch(second, url, {"note": "ok"}, **{"If-Match": 'W/"2"'}).status_code == 200
    assert patch(second, url, {"note": "any"}, **{"If-Match": "*"}).status_code == 200


def test_household_patch_412(api, family):
    url = f"/api/v1/households/{family['household'].pk}"
    etag = api("gaobo").get(url)["ETag"]
    assert patch(api("gaobo"), url, {"note": "a"}, **{"If-Match": etag}).status_code == 200
    assert patch(api("gaobo"), url, {"note": "b"}, **{"If-Match": etag}).status_code == 412
    assert patch(api("gaobo"), url, {"note": "b"}).status_code == 428


def test_reveal_via_query_and_endpoint_is_audited(api, family):
    head = family["head"]
    response = api("gaobo").get(f"/api/v1/residents/{head.pk}", {"reveal": "id_number"})
    assert response.json()["id_number"] == pii.id_number_of(head)
    assert response.json()["id_number_revealed"]
    response = api("gaobo").get(f"/api/v1/residents/{head.pk}/reveal/phone")
    assert response.json() == {"field": "phone", "value": "13812345678"}
    fields = sorted(
        e.changes["field"]
        for e in AuditEntry.objects.filter(action=Action.READ_SENSITIVE, object_id=str(head.pk))
    )
    assert fields == ["id_number", "phone"]
    assert all(
        e.channel == "api" and e.actor_name == "gaobo"
        for e in AuditEntry.objects.filter(action=Action.READ_SENSITIVE, object_type="registry.resident")
    )


def test_reveal_denied_without_see_pii(api, family):
    head = family["head"]
    assert (
        api("huimin_volunteer").get(f"/api/v1/residents/{head.pk}", {"reveal": "id_number"}).status_code
        == 403
    )
    assert api("huimin_volunteer").get(f"/api/v1/residents/{head.pk}/reveal/id_number").status_code == 403
    assert api("laogangfang_worker").get(f"/api/v1/residents/{head.pk}/reveal/id_number").status_code == 404
    # (The demo seed's case library reads a dispute's parties: an audited read, not a resident's.)
    assert not AuditEntry.objects.filter(
        action=Action.READ_SENSITIVE, object_type="registry.resident"
    ).exists()


def test_special_tags_absent_not_empty(api, family):
    spouse = family["spouse"]
    granted = api("gaobo").get(f"/api/v1/residents/{spouse.pk}").json()
    assert granted["special_tags"] == ["released_prisoner"]
    for username in ("huimin_chief", "huimin_volunteer", "huimin_instructor"):
        data = api(username).get(f"/api/v1/residents/{spouse.pk}").json()
        assert "special_tags" not in data
        listing = api(username).get("/api/v1/residents", {"household": family["household"].pk}).json()
        assert all("special_tags" not in r for r in listing["items"])
        detail = api(username).get(f"/api/v1/households/{family['household'].pk}").json()
        assert all("special_tags" not in m for m in detail["members"])
    # An edit by someone not granted keeps them.
    response = patch(
        api("huimin_chief"),
        f"/api/v1/residents/{spouse.pk}",
        {"special_tags": [], "note": "x"},
        **{"If-Match": "*"},
    )
    assert response.status_code == 200
    assert "special_tags" not in response.json()
    spouse.refresh_from_db()
    assert spouse.special_tags == ["released_prisoner"]


def test_life_event_endpoints(api, family, make_household):
    client = api("gaobo")
    head, child, spouse = family["head"], family["child"], family["spouse"]
    response = post(client, f"/api/v1/residents/{head.pk}/move-out", {"date": "2024-04-01", "note": "外地"})
    assert response.status_code == 200
    assert response.json()["kind"] == "move_out"
    assert response.json()["from_household_id"] == family["household"].pk
    target = make_household()
    response = post(client, f"/api/v1/residents/{child.pk}/transfer", {"to_household_id": target.pk})
    assert response.status_code == 200
    assert response.json()["to_household_id"] == target.pk
    stale = post(client, f"/api/v1/residents/{spouse.pk}/death", {}, **{"If-Match": '"99"'})
    assert stale.status_code == 412
    response = post(client, f"/api/v1/residents/{spouse.pk}/death", {"date": "2024-06-01"})
    assert response.status_code == 200
    spouse.refresh_from_db()
    assert spouse.status == ResidenceStatus.DECEASED
    again = post(client, f"/api/v1/residents/{spouse.pk}/move-out", {})
    assert again.status_code == 400
    history = client.get(f"/api/v1/households/{family['household'].pk}/events").json()
    assert {e["kind"] for e in history} >= {"move_in", "move_out", "transfer", "death"}
    baby = post(
        client,
        f"/api/v1/households/{target.pk}/births",
        {"name": "小宝", "birth_date": "2024-01-05", "sex": "M"},
    )
    assert baby.status_code == 201
    assert baby.json()["id_number"] == ""


def test_household_move_out_endpoint(api, family):
    response = post(api("gaobo"), f"/api/v1/households/{family['household'].pk}/move-out", {})
    assert response.status_code == 200
    assert len(response.json()) == 3


def test_openapi_documents_registry(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/households",
        "/api/v1/households/{household_id}",
        "/api/v1/residents",
        "/api/v1/residents/{resident_id}",
        "/api/v1/residents/{resident_id}/reveal/{field}",
        "/api/v1/residents/{resident_id}/transfer",
        "/api/v1/registry/imports",
    ):
        assert path in paths, path
    assert "ResidentOut" in schema["components"]["schemas"]
    assert "patch" in paths["/api/v1/residents/{resident_id}"]


def test_list_residents_filters(api, family, grid1):
    data = api("gaobo").get("/api/v1/residents", {"grid": grid1.pk, "limit": 200}).json()
    assert family["head"].pk in {r["id"] for r in data["items"]}
    data = api("gaobo").get("/api/v1/residents", {"household": family["household"].pk}).json()
    assert data["count"] == 3
