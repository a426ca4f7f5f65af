"""Text the database cannot store is refused at the door, naming the field, never a 500."""

import json
from typing import Any

import pytest

from gridgov.audit.models import AuditEntry
from gridgov.core.inputs import first_unstorable_field, has_unstorable, printable
from gridgov.registry.models import Resident

BAD = ["\x00", "张\x00三", "\x01", "\x1b[31m", "\x7f", "\x85", "\ud800", "a\udfffb", "\uffff"]
GOOD = ["张三", "阿卜杜·热合曼", "第一行\n第二行\t缩进\r", "😀 emoji", "Ⅻ", " "]


@pytest.mark.parametrize("text", BAD)
def test_control_characters_and_surrogates_are_unstorable(text: str) -> None:
    assert has_unstorable(text)


@pytest.mark.parametrize("text", GOOD)
def test_ordinary_text_is_storable(text: str) -> None:
    assert not has_unstorable(text)


def test_the_first_bad_field_is_named_at_any_depth() -> None:
    assert first_unstorable_field({"a": "ok", "b": [{"c": "x"}, {"d": "\x00"}]}) == "b.1.d"
    assert first_unstorable_field({"bad\x00key": 1}) == "bad\x00key"
    assert first_unstorable_field(["ok", 1, None, True]) is None
    assert first_unstorable_field("\x00") == "body"


@pytest.mark.parametrize("text", ["\x00", "\ud800"])
def test_the_api_answers_400_naming_the_field_and_stores_nothing(api: Any, node: Any, text: str) -> None:
    gaobo = api("gaobo")
    resident = Resident.objects.filter(path__startswith=node("惠民社区第一网格").path).first()
    assert resident is not None
    before = resident.name
    body = json.dumps({"name": f"王{text}五"})  # JSON escapes carry the character
    response = gaobo.patch(f"/api/v1/residents/{resident.pk}", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["不能包含控制字符或无效字符"]}
    resident.refresh_from_db()
    assert resident.name == before
    assert AuditEntry.objects.filter(success=False, message__contains="HTTP 400").exists()


def test_query_strings_and_paths_are_checked(api: Any) -> None:
    gaobo = api("gaobo")
    response = gaobo.get("/api/v1/residents", {"q": "王\x00"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["q"]
    assert gaobo.get("/api/v1/residents/%00").status_code == 400


def test_a_page_form_gets_a_plain_400(login: Any) -> None:
    client = login("gaobo")
    response = client.post("/accounts/login/", {"username": "gaobo\x00", "password": "x"})
    assert response.status_code == 400
    assert "username" in response.content.decode()


@pytest.mark.parametrize("key", ["bad\x00key", "\ud800", "名\x1b"])
def test_a_refused_field_name_is_logged_escaped(api: Any, node: Any, key: str) -> None:
    """The refusal itself is audited with the field it names, so the log must be storable too."""
    gaobo = api("gaobo")
    resident = Resident.objects.filter(path__startswith=node("惠民社区第一网格").path).first()
    assert resident is not None
    body = json.dumps({key: "x", "name": "王五"})
    response = gaobo.patch(f"/api/v1/residents/{resident.pk}", body, content_type="application/json")
    assert response.status_code == 400
    (field,) = response.json()["errors"]
    assert not has_unstorable(field)
    assert field.startswith(key[0] if key[0].isprintable() else "\\u")
    entry = AuditEntry.objects.filter(success=False).latest("seq")
    assert entry.changes["submitted_fields"]
    assert not any(has_unstorable(f) for f in entry.changes["submitted_fields"])
    assert not has_unstorable(entry.message)


def test_printable_escapes_only_what_cannot_be_stored() -> None:
    assert printable("张\x00三\n") == "张\\u0000三\n"
    assert printable("\ud800") == "\\ud800"
