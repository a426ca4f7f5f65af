"""Open311 rate limits: every request per client IP, POSTs per api_key; over a limit the answer is
429 in the requested format with Retry-After, and nothing is filed. Small limits keep it fast."""

from types import SimpleNamespace
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from django.test import Client as HttpClient
from django.test import override_settings

from gridgov.audit.models import Action, AuditEntry, ChainHead
from gridgov.events.models import Event
from gridgov.hierarchy.models import Node
from gridgov.open311 import ratelimit
from gridgov.open311.models import Client, ServiceRequest
from gridgov.open311.seed import DEMO_API_KEY

BASE = "/open311/v2"


@pytest.fixture
def grid(node):
    return node("惠民社区第一网格")


@pytest.fixture
def clock(monkeypatch):
    """clock.now: the time the limiter sees (the middle of a window unless set)."""
    fake = SimpleNamespace(now=1_800_000_000.0 + 30)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: fake.now))
    return fake


def post(http, grid, fmt="json", **extra):
    data = {
        "api_key": DEMO_API_KEY,
        "service_code": "water.outage",
        "lat": grid.lat,
        "long": grid.lng,
        "description": "5号楼停水",
    } | extra
    return http.post(
        f"{BASE}/requests.{fmt}", urlencode(data), content_type="application/x-www-form-urlencoded"
    )


def filed() -> tuple[int, int]:
    return Event.objects.count(), ServiceRequest.objects.count()


def assert_429(response, fmt="json"):
    assert response.status_code == 429, response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 60
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        [body] = response.json()
        assert body["code"] == 429
        assert "rate limit" in body["description"]
    else:
        assert response["Content-Type"].startswith("text/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == "429"
        assert "rate limit" in root.find("error/description").text


@override_settings(OPEN311_RATE_LIMIT_POST_PER_KEY=3, OPEN311_RATE_LIMIT_PER_IP=100)
def test_posts_over_the_per_key_limit_get_429_and_file_nothing(db, grid, clock):
    http = HttpClient()
    for _ in range(3):
        assert post(http, grid).status_code == 200
    before, head = filed(), ChainHead.objects.get().seq
    assert_429(post(http, grid))
    assert_429(post(http, grid, "xml"), "xml")
    assert filed() == before
    # One audit row for the burst (a flood must not flood the log), none per refused request.
    rows = list(AuditEntry.objects.filter(seq__gt=head))
    assert [(r.action, r.success) for r in rows] == [(Action.DENIED, False)]
    assert "POST requests per api_key" in rows[0].message
    # GETs do not count against the key, and another client's key still files from the same IP.
    assert http.get(f"{BASE}/requests.json").status_code == 200
    demo = Client.objects.get(key_prefix=DEMO_API_KEY[:8])
    other = Client(name="另一个客户端", user=demo.user, area=Node.objects.get(parent=None))
    other_key = other.set_key()
    other.save()
    assert post(http, grid, api_key=other_key).status_code == 200
    # The next minute the key may post again.
    clock.now += 60
    assert post(http, grid).status_code == 200


@override_settings(OPEN311_RATE_LIMIT_PER_IP=3, OPEN311_RATE_LIMIT_POST_PER_KEY=100)
def test_every_request_counts_against_the_client_ip(db, grid, clock):
    http = HttpClient(REMOTE_ADDR="10.9.8.7")
    assert http.get(f"{BASE}/services.json").status_code == 200
    assert http.get(f"{BASE}/discovery.json").status_code == 200
    assert post(http, grid).status_code == 200
    before = filed()
    assert_429(http.get(f"{BASE}/services.xml"), "xml")
    assert_429(post(http, grid))
    assert_429(http.delete(f"{BASE}/requests.json"))  # counted before the method check
    assert filed() == before
    # Other addresses are not affected.
    assert HttpClient(REMOTE_ADDR="10.9.8.8").get(f"{BASE}/services.json").status_code == 200
    assert post(HttpClient(REMOTE_ADDR="10.9.8.8"), grid).status_code == 200


@override_settings(OPEN311_RATE_LIMIT_PER_IP=1)
def test_retry_after_is_the_rest_of_the_minute(db, clock):
    clock.now = 1_800_000_000.0 - 1_800_000_000.0 % 60 + 45.2
    http = HttpClient()
    assert http.get(f"{BASE}/services.json").status_code == 200
    response = http.get(f"{BASE}/services.json")
    assert_429(response)
    assert response["Retry-After"] == "15"


@override_settings(OPEN311_RATE_LIMIT_PER_IP=0, OPEN311_RATE_LIMIT_POST_PER_KEY=0)
def test_a_zero_limit_is_off(db, grid):
    http = HttpClient()
    for _ in range(5):
        assert http.get(f"{BASE}/discovery.json").status_code == 200
    assert post(http, grid).status_code == 200
