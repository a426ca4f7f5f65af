"""The token API (/api/v1/auth/): answers with explicit statuses, declared in the OpenAPI schema,
without django-ninja's deprecated (status, body) tuples."""

import json

import pytest
from django.test import Client

from gridgov.api.urls import api as ninja_api

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")


def token(client, **body):
    return client.post("/api/v1/auth/token", json.dumps(body), content_type="application/json")


def test_token_is_issued_with_200_refused_with_401_and_revoked_with_204(db, password):
    issued = token(Client(), username="gaobo", password=password, label="phone")
    assert issued.status_code == 200, issued.content
    assert set(issued.json()) == {"token", "expires_at", "username"}
    assert issued.json()["username"] == "gaobo"
    refused = token(Client(), username="gaobo", password="wrong-password")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "username or password is wrong"}
    client = Client(headers={"Authorization": f"Bearer {issued.json()['token']}"})
    revoked = client.delete("/api/v1/auth/token")
    assert revoked.status_code == 204
    assert revoked.content == b""
    assert client.get("/api/v1/auth/me").status_code == 401


def test_openapi_declares_the_token_responses():
    paths = ninja_api.get_openapi_schema()["paths"]
    assert set(paths["/api/v1/auth/token"]["post"]["responses"]) == {200, 401, 403}
    assert set(paths["/api/v1/auth/token"]["delete"]["responses"]) == {204}
