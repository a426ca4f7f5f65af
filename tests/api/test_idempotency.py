"""One idempotency mechanism for every phone write: registry writes retried with the same
Idempotency-Key replay their first answer (an edit does not meet its own first try as a 412,
a new resident is not made twice); the same key with another request is refused; a refused
request keeps nothing."""

import json
from typing import Any

from django.test import Client
from stdnum.cn import ric

from gridgov.accounts.models import User
from gridgov.accounts.services import issue_token
from gridgov.audit.models import AuditEntry
from gridgov.registry.models import Household, Resident


def valid_id(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def phone(username: str = "gaobo") -> Client:
    _token, raw = issue_token(User.objects.get(username=username))
    return Client(headers={"Authorization": f"Bearer {raw}"})


def patch(client: Client, resident: Resident, body: dict[str, Any], key: str, version: int) -> Any:
    return client.patch(
        f"/api/v1/residents/{resident.pk}",
        json.dumps(body),
        content_type="application/json",
        headers={"If-Match": f'"{version}"', "Idempotency-Key": key},
    )


def a_resident(node: Any) -> Resident:
    return Resident.objects.filter(path__startswith=node("惠民社区第一网格").path, status="present").first()


def test_a_retried_edit_replays_its_answer_instead_of_a_412(db, node):
    resident = a_resident(node)
    client = phone()
    first = patch(client, resident, {"note": "第一次"}, "edit-1", resident.version)
    assert first.status_code == 200, first.content
    again = patch(client, resident, {"note": "第一次"}, "edit-1", resident.version)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    resident.refresh_from_db()
    assert resident.version == first.json()["version"]
    updates = AuditEntry.objects.filter(
        object_type="registry.resident", object_id=str(resident.pk), action="update"
    )
    assert updates.count() == 1
    # Without the key the same stale edit is a conflict, as before.
    stale = client.patch(
        f"/api/v1/residents/{resident.pk}",
        json.dumps({"note": "第一次"}),
        content_type="application/json",
        headers={"If-Match": f'"{first.json()["version"] - 1}"'},
    )
    assert stale.status_code == 412


def test_the_same_key_with_another_request_is_refused(db, node):
    resident = a_resident(node)
    client = phone()
    assert patch(client, resident, {"note": "甲"}, "edit-2", resident.version).status_code == 200
    response = patch(client, resident, {"note": "乙"}, "edit-2", resident.version)
    assert response.status_code == 409
    resident.refresh_from_db()
    assert resident.note == "甲"


def test_a_new_resident_sent_twice_is_made_once(db, node):
    household = Household.objects.filter(
        path__startswith=node("惠民社区第一网格").path, status="active"
    ).first()
    body = {
        "household_id": household.pk,
        "name": "重试新人",
        "id_number": valid_id("15010519900101123"),
        "relation": "other",
    }
    client = phone()
    responses = [
        client.post(
            "/api/v1/residents",
            json.dumps(body),
            content_type="application/json",
            headers={"Idempotency-Key": "new-1"},
        )
        for _ in range(3)
    ]
    assert [r.status_code for r in responses] == [201, 201, 201], responses[0].content
    assert len({r.json()["id"] for r in responses}) == 1
    assert Resident.objects.filter(name="重试新人").count() == 1


def test_a_refused_request_keeps_nothing_and_may_be_corrected(db, node):
    household = Household.objects.filter(
        path__startswith=node("惠民社区第一网格").path, status="active"
    ).first()
    client = phone()
    bad = {"household_id": household.pk, "name": "待改正", "id_number": "123"}
    response = client.post(
        "/api/v1/residents",
        json.dumps(bad),
        content_type="application/json",
        headers={"Idempotency-Key": "fix-1"},
    )
    assert response.status_code == 400
    assert "id_number" in response.json()["errors"]
    good = {**bad, "id_number": valid_id("15010519900101124")}
    response = client.post(
        "/api/v1/residents",
        json.dumps(good),
        content_type="application/json",
        headers={"Idempotency-Key": "fix-1"},
    )
    # Nothing was kept for the refused try: the corrected request goes through under the same key.
    assert response.status_code == 201


def test_keys_are_per_person(db, node):
    resident = a_resident(node)
    assert patch(phone("gaobo"), resident, {"note": "高波"}, "shared", resident.version).status_code == 200
    resident.refresh_from_db()
    response = patch(phone("huimin_chief"), resident, {"note": "网格长"}, "shared", resident.version)
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response


def test_an_overlong_key_is_a_400(db, node):
    resident = a_resident(node)
    response = patch(phone(), resident, {"note": "x"}, "k" * 101, resident.version)
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
