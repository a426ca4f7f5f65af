"""The screening API: open a round, answer with a nil return (retried key stored once), leaders
read the grids that have not answered."""

import json
from datetime import timedelta

from django.utils import timezone


def test_open_answer_and_read(api, node):
    body = {
        "node_id": node("昭乌达南路街道").pk,
        "title": "月度排查",
        "deadline": (timezone.localdate() + timedelta(days=3)).isoformat(),
    }
    opened = api("zhaowuda_admin").post(
        "/api/v1/screening/rounds", json.dumps(body), content_type="application/json"
    )
    assert opened.status_code == 201, opened.content
    mine = api("gaobo").get("/api/v1/screening/mine").json()
    item = next(r for r in mine if r["round_id"] == opened.json()["id"])
    client = api("gaobo")
    url = f"/api/v1/screening/returns/{item['id']}"
    first = client.post(
        url, json.dumps({"nil": True}), content_type="application/json", headers={"Idempotency-Key": "nil-1"}
    )
    again = client.post(
        url, json.dumps({"nil": True}), content_type="application/json", headers={"Idempotency-Key": "nil-1"}
    )
    assert (first.status_code, again.status_code) == (200, 200), first.content
    detail = api("zhaowuda_admin").get(f"/api/v1/screening/rounds/{opened.json()['id']}").json()
    assert detail["answered"] == 1
    assert "惠民社区第一网格" not in {g["grid"] for g in detail["not_answered"]}
    assert api("laogangfang_worker").get(f"/api/v1/screening/rounds/{opened.json()['id']}").status_code == 404
    assert client.post(url, json.dumps({"nil": True}), content_type="application/json").status_code == 409
