"""Bad input is a 400 naming the field, as a class: every list of the API is paged by one bounded
schema, every number of a request is finite, every body is parsed by one strict parser, and a
PATCH cannot null a field that may not be empty. The operations are found in the OpenAPI
description, so an endpoint added later is checked too."""

import json
from typing import Any

import pytest
from django.test import Client

from gridgov.api.params import MAX_OFFSET
from gridgov.hierarchy.models import Node
from gridgov.registry.models import Household, Resident


@pytest.fixture
def worker(api: Any) -> Client:
    return api("huimin_admin")


def operations(client: Client) -> list[tuple[str, str, dict[str, Any]]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (path.removeprefix("/api/v1"), method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def _url(path: str) -> str:
    """A path's parameters filled with an id that exists nowhere (a 404, never a 500)."""
    return "/api/v1" + "".join(part if not part.startswith("{") else "987654" for part in _split(path))


def _split(path: str) -> list[str]:
    out, rest = [], path
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        out += [before, "{" + name + "}"]
    return [*out, rest]


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json()["errors"], response.json()


def test_every_list_is_paged_by_the_bounded_schema(worker: Client) -> None:
    paged = [
        (path, op)
        for path, method, op in operations(worker)
        if method == "get" and {"limit", "offset"} <= {p["name"] for p in op.get("parameters", [])}
    ]
    assert {"/nodes", "/households", "/residents", "/events", "/disputes", "/inbox", "/inbox/events"} <= {
        p for p, _ in paged
    }
    for path, op in paged:
        params = {p["name"]: p["schema"] for p in op["parameters"]}
        assert params["offset"]["maximum"] == MAX_OFFSET, path
        assert params["limit"]["minimum"] == 1, path
        url = _url(path)
        for query, field in [
            ({"offset": -1}, "offset"),
            ({"offset": 10**20}, "offset"),
            ({"offset": MAX_OFFSET + 1}, "offset"),
            ({"limit": 0}, "limit"),
            ({"limit": -5}, "limit"),
            ({"limit": 10**20}, "limit"),
            ({"limit": "abc"}, "limit"),
        ]:
            _refused(worker.get(url, query), field)
        # Other required query parameters (an area's id) name a row that exists nowhere: a 404.
        required = {
            p["name"]: 987654 if p["schema"].get("type") == "integer" else "x"
            for p in op["parameters"]
            if p.get("required") and p["in"] == "query" and p["name"] not in {"limit", "offset"}
        }
        deepest = {"offset": MAX_OFFSET, "limit": 1, **required}
        assert worker.get(url, deepest).status_code in {200, 404}, path


def params_of(op: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in op["parameters"] if p["name"] == name)


def test_non_finite_numbers_are_refused_in_every_query(worker: Client) -> None:
    checked = 0
    for path, method, op in operations(worker):
        numbers = [
            p["name"]
            for p in op.get("parameters", [])
            if p["in"] == "query" and '"type": "number"' in json.dumps(p["schema"])
        ]
        for name in numbers:
            others = {p["name"]: "1" for p in op["parameters"] if p.get("required") and p["name"] != name}
            for bad in ("inf", "-Infinity", "nan", "1e999"):
                if bad == "1e999" and '"type": "string"' in json.dumps(params_of(op, name)):
                    continue  # a decimal (number or string): 1e999 is finite, the service bounds it
                response = worker.generic(
                    method.upper(),
                    _url(path) + "?" + f"{name}={bad}&" + "&".join(f"{k}={v}" for k, v in others.items()),
                )
                _refused(response, name)
                checked += 1
    assert checked >= 16  # duplicates and locate: lng and lat, four spellings each


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("[" * 5000 + "]" * 5000, "嵌套"),
        ('{"a":' * 40 + "1" + "}" * 40, "嵌套"),
        ('{"lng": NaN}', "NaN"),
        ('{"lng": Infinity}', "Infinity"),
        ('{"lng": 1e999}', "超出范围"),
        ('{"node_id": 99999999999999999999}', "超出范围"),
        ('{"x": ', "不是有效的 JSON"),
        (b'{"x": "\xff"}', "不是有效的 JSON"),
    ],
)
def test_a_body_that_does_not_parse_is_a_400_on_every_write(worker: Client, body: Any, why: str) -> None:
    grid = Node.objects.get(name="惠民社区第一网格")
    writes = [
        ("post", "/api/v1/events", {"Idempotency-Key": "deep-1"}),
        ("post", "/api/v1/events/987654/transitions", {}),
        ("patch", f"/api/v1/nodes/{grid.pk}", {}),
        ("post", "/api/v1/disputes", {"Idempotency-Key": "deep-2"}),
        ("post", "/api/v1/search/break-glass", {}),
    ]
    for method, url, headers in writes:
        response = worker.generic(method.upper(), url, body, content_type="application/json", headers=headers)
        assert response.status_code in {400, 404}, (url, response.status_code, response.content[:300])
        if response.status_code == 400:
            assert why in response.json()["detail"], (url, response.json())


def test_every_patch_refuses_null_for_a_field_that_cannot_be_empty(worker: Client) -> None:
    grid = Node.objects.get(name="惠民社区第一网格")
    household = Household.objects.filter(path__startswith=grid.path).first()
    resident = Resident.objects.filter(path__startswith=grid.path).first()
    assert household is not None
    assert resident is not None
    spec = worker.get("/api/v1/openapi.json").json()
    cases = {
        "/nodes/{node_id}": f"/api/v1/nodes/{grid.pk}",
        "/households/{household_id}": f"/api/v1/households/{household.pk}",
        "/residents/{resident_id}": f"/api/v1/residents/{resident.pk}",
    }
    for path, url in cases.items():
        ref = spec["paths"]["/api/v1" + path]["patch"]["requestBody"]["content"]["application/json"]["schema"]
        schema = spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
        for name in schema["properties"]:
            if name == "version":
                continue
            response = worker.patch(
                url, json.dumps({name: None}), content_type="application/json", headers={"If-Match": "*"}
            )
            assert response.status_code in {200, 400}, (
                url,
                name,
                response.status_code,
                response.content[:300],
            )
    for name in ("address", "dedicated_kind", "grid_kind", "name"):
        _refused(worker.patch(cases["/nodes/{node_id}"], {name: None}, content_type="application/json"), name)
    for name in ("phone", "note", "kind"):
        response = worker.patch(
            cases["/households/{household_id}"],
            {name: None},
            content_type="application/json",
            headers={"If-Match": "*"},
        )
        _refused(response, name)


def test_a_grid_keeps_its_boundary_when_patched_with_null(worker: Client) -> None:
    grid = Node.objects.get(name="惠民社区第一网格")
    assert grid.boundary
    response = worker.patch(f"/api/v1/nodes/{grid.pk}", {"boundary": None}, content_type="application/json")
    _refused(response, "boundary")
    assert "边界不能清空" in response.json()["detail"]
    grid.refresh_from_db()
    assert grid.boundary


@pytest.mark.parametrize("big", ["99999999999999999999", str(2**63), str(2**64)])
def test_ids_beyond_64_bits_are_not_a_500(worker: Client, big: str) -> None:
    for url in (
        f"/api/v1/nodes/{big}",
        f"/api/v1/residents/{big}",
        f"/api/v1/events/{big}",
        f"/api/v1/disputes/{big}",
    ):
        assert worker.get(url).status_code in {400, 404}, url
    assert worker.get("/api/v1/nodes", {"under": big}).status_code in {400, 404}
