"""Open311 GeoReport v2 as a civic-reporting client uses it: form-encoded POSTs with an api_key,
JSON and XML, errors as [{code, description}] with the spec's status codes."""

import json
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import pytest
from django.test import Client as HttpClient

from gridgov.audit.models import Action, AuditEntry
from gridgov.core.crypto import decrypt
from gridgov.events import intake as event_intake
from gridgov.events import transitions as event_transitions
from gridgov.events.models import Event, Organisation
from gridgov.hierarchy.models import Level, Node
from gridgov.open311.models import Client, ServiceRequest
from gridgov.open311.seed import DEMO_API_KEY
from gridgov.open311.services import CONTACT_CONTEXT

BASE = "/open311/v2"


@pytest.fixture
def http(db):
    return HttpClient()


@pytest.fixture
def grid(node):
    return node("惠民社区第一网格")


def post(http, fmt="json", **data):
    """A form-encoded POST, as Open311 clients send it."""
    return http.post(
        f"{BASE}/requests.{fmt}",
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
    )


def file(http, grid, **extra):
    data = {
        "api_key": DEMO_API_KEY,
        "service_code": "water.outage",
        "lat": grid.lat,
        "long": grid.lng,
        "description": "5号楼从早上开始停水",
    } | extra
    response = post(http, **data)
    assert response.status_code == 200, response.content.decode()
    return response.json()[0]


def assert_error(response, status, fmt="json", contains=""):
    assert response.status_code == status, response.content.decode()
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert isinstance(body, list)
        assert body[0]["code"] == status
        assert body[0]["description"]
        assert contains in body[0]["description"]
    else:
        assert response["Content-Type"].startswith("text/xml")
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        assert root.find("error/code").text == str(status)
        assert contains in root.find("error/description").text


# --------------------------------------------------------------------------- discovery, services


def test_discovery_in_both_formats(http):
    body = http.get(f"{BASE}/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = http.get(f"{BASE}/discovery.xml")
    assert xml.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml.content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_are_the_event_categories(http):
    services = http.get(f"{BASE}/services.json").json()
    by_code = {s["service_code"]: s for s in services}
    assert by_code["heating.pipe_burst"]["service_name"] == "供热管道爆裂"
    assert by_code["heating.pipe_burst"]["group"] == "供热"
    assert by_code["heating.pipe_burst"]["type"] == "realtime"
    assert by_code["fire.exit_blocked"]["metadata"] is True
    assert by_code["heating.pipe_burst"]["metadata"] is False
    assert "heating" not in by_code  # a parent with sub-categories is a group, not a service
    assert set(services[0]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    root = ET.fromstring(http.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    assert len(root.findall("service")) == len(services)
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition_with_attributes(http):
    body = http.get(f"{BASE}/services/fire.exit_blocked.json").json()
    assert body["service_code"] == "fire.exit_blocked"
    attribute = body["attributes"][0]
    assert attribute["code"] == "BLOCKED_BY"
    assert attribute["required"] is True
    assert attribute["datatype"] == "singlevaluelist"
    assert {"key": "vehicle", "name": "车辆"} in attribute["values"]
    optional = http.get(f"{BASE}/services/dispute.family.json").json()["attributes"]
    assert [(a["code"], a["required"], a["order"]) for a in optional] == [
        ("DISPUTE_TYPE", False, 1),
        ("PARTIES", False, 2),
    ]
    root = ET.fromstring(http.get(f"{BASE}/services/fire.exit_blocked.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "vehicle"


def test_unknown_service_is_404_in_both_formats(http):
    assert_error(http.get(f"{BASE}/services/no.such.json"), 404, contains="no.such")
    assert_error(http.get(f"{BASE}/services/no.such.xml"), 404, "xml")


def test_jurisdiction_is_optional_and_only_the_city(http, settings):
    assert http.get(f"{BASE}/services.json?jurisdiction_id=150100").status_code == 200
    assert_error(http.get(f"{BASE}/services.json?jurisdiction_id=110000"), 404, contains="110000")
    assert_error(http.get(f"{BASE}/requests.xml?jurisdiction_id=bad"), 404, "xml")


# -------------------------------------------------------------------------------- POST requests


def test_form_encoded_post_files_an_event(http, grid):
    created = file(
        http,
        grid,
        email="citizen@example.cn",
        first_name="王",
        last_name="芳",
        phone="13904718888",
        device_id="ios-1",
        account_id="acc-9",
        media_url="https://example.cn/p.jpg",
    )
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    event = Event.objects.get(number=created["service_request_id"])
    assert event.channel == "open311"
    assert event.grid == grid
    assert event.state == "reported"
    assert event.reporter.username == "open311_demo"
    assert event.category.code == "water.outage"
    request = ServiceRequest.objects.get(event=event)
    assert request.token == created["token"]
    assert request.device_id == "ios-1"
    # The submitter's contact is kept only encrypted, and never in the audit log in clear.
    assert b"citizen@example.cn" not in bytes(request.contact_enc)
    assert json.loads(decrypt(request.contact_enc, CONTACT_CONTEXT))["email"] == "citizen@example.cn"
    rows = AuditEntry.objects.filter(object_type="open311.servicerequest", object_id=str(request.pk))
    assert rows.exists()
    assert all("citizen@example.cn" not in json.dumps(r.changes, ensure_ascii=False) for r in rows)
    entry = AuditEntry.objects.get(object_type="events.event", object_id=str(event.pk), action=Action.CREATE)
    assert entry.actor_name == "open311_demo"
    assert entry.channel == "api"


def test_post_answers_in_xml(http, grid):
    response = post(
        http,
        "xml",
        api_key=DEMO_API_KEY,
        service_code="water.outage",
        lat=grid.lat,
        long=grid.lng,
        description="停水",
    )
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    assert root.find("request/service_request_id").text.startswith("SJ")


def _nothing_created(before):
    assert (Event.objects.count(), ServiceRequest.objects.count()) == before


@pytest.mark.parametrize(
    ("change", "status", "contains"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"lat": None, "long": None}, 400, "location"),
        ({"long": None}, 400, "lat and long"),
        ({"lat": "north"}, 400, "decimal degrees"),
        ({"lat": 10.0, "long": 10.0}, 400, "not in any grid"),
        ({"service_code": "no.such"}, 400, "not found"),
        ({"service_code": "heating"}, 400, "not found"),
        ({"description": "长" * 4001}, 400, "description"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "guessed-key"}, 403, "api_key"),
        ({"jurisdiction_id": "150200"}, 404, "150200"),
    ],
)
def test_bad_posts_change_nothing(http, grid, change, status, contains):
    data = {
        "api_key": DEMO_API_KEY,
        "service_code": "water.outage",
        "lat": grid.lat,
        "long": grid.lng,
        "description": "停水",
    } | change
    data = {k: v for k, v in data.items() if v is not None}
    before = (Event.objects.count(), ServiceRequest.objects.count())
    for fmt in ("json", "xml"):
        assert_error(post(http, fmt, **data), status, fmt, contains if fmt == "json" else "")
    _nothing_created(before)


def test_invalid_api_key_is_logged(http, grid):
    post(http, api_key="guessed-key", service_code="water.outage", lat=grid.lat, long=grid.lng)
    assert AuditEntry.objects.filter(
        action=Action.DENIED, object_type="open311.client", message__contains="invalid Open311 api_key"
    ).exists()


def test_inactive_client_key_is_refused(http, grid):
    Client.objects.update(active=False)
    assert_error(
        post(http, api_key=DEMO_API_KEY, service_code="water.outage", lat=grid.lat, long=grid.lng), 403
    )


def test_attributes_are_checked_and_kept(http, grid):
    data = {
        "api_key": DEMO_API_KEY,
        "service_code": "fire.exit_blocked",
        "lat": grid.lat,
        "long": grid.lng,
        "description": "消防通道被堵",
    }
    assert_error(post(http, **data), 400, contains="BLOCKED_BY")
    assert_error(post(http, **data, **{"attribute[BLOCKED_BY]": "tank"}), 400, contains="vehicle")
    created = file(http, grid, **data | {"attribute[BLOCKED_BY]": "vehicle"})
    event = Event.objects.get(number=created["service_request_id"])
    assert event.open311_request.attributes == {"BLOCKED_BY": "vehicle"}
    assert "通道被什么堵塞：车辆" in event.description
    garbage = file(http, grid, service_code="city.garbage", **{"attribute[KINDS][]": ["household", "bulky"]})
    assert Event.objects.get(number=garbage["service_request_id"]).open311_request.attributes == {
        "KINDS": ["household", "bulky"]
    }
    assert_error(
        post(http, **data | {"service_code": "heating.cold_room", "attribute[ROOM_TEMP]": "cold"}),
        400,
        contains="number",
    )


def test_location_by_address_string_or_address_id(http, grid):
    building = (
        Node.objects.filter(parent=grid, level=Level.BUILDING).exclude(address="").order_by("code").first()
    )
    by_address = file(http, grid, lat="", long="", address_string=building.address)
    assert Event.objects.get(number=by_address["service_request_id"]).grid == grid
    by_id = file(http, grid, lat="", long="", address_id=building.code)
    assert Event.objects.get(number=by_id["service_request_id"]).grid == grid
    assert_error(
        post(http, api_key=DEMO_API_KEY, service_code="water.outage", address_string="月球基地1号"),
        400,
        contains="lat and long",
    )
    assert_error(
        post(http, api_key=DEMO_API_KEY, service_code="water.outage", address_id="999"),
        400,
        contains="address_id",
    )


def test_a_client_files_only_inside_its_area(http, grid, node, user):
    client = Client(name="惠民社区小程序", user=user("open311_demo"), area=node("惠民社区"))
    key = client.set_key()
    client.save()
    outside = node("老缸房社区第一网格")
    assert_error(
        post(http, api_key=key, service_code="water.outage", lat=outside.lat, long=outside.lng),
        400,
        contains="惠民社区",
    )
    assert (
        post(http, api_key=key, service_code="water.outage", lat=grid.lat, long=grid.lng).status_code == 200
    )


def test_a_dispute_filed_through_open311_is_rated_and_alerted(http, grid):
    created = file(
        http,
        grid,
        service_code="dispute.neighbour",
        description="楼上楼下吵架，一方说要揍人",
        **{"attribute[DISPUTE_TYPE]": "neighbour"},
    )
    event = Event.objects.get(number=created["service_request_id"])
    assert event.dispute.risk_level == "high"
    assert event.dispute.dispute_type == "neighbour"
    assert event.notices.filter(user__username="saihan_police", message__contains="预警").exists()


def test_wrong_method_is_405(http):
    response = http.delete(f"{BASE}/requests.json")
    assert response.status_code == 405
    assert response.json()[0]["code"] == 405
    assert http.post(f"{BASE}/services.json").status_code == 405


# --------------------------------------------------------------------------------- GET requests


def test_get_one_request_and_its_token(http, grid):
    created = file(http, grid)
    number, token = created["service_request_id"], created["token"]
    body = http.get(f"{BASE}/requests/{number}.json").json()
    assert len(body) == 1
    request = body[0]
    assert request["service_request_id"] == number
    assert request["status"] == "open"
    assert request["service_code"] == "water.outage"
    assert request["lat"] == grid.lat
    assert request["long"] == grid.lng
    assert request["requested_datetime"].endswith("+08:00")
    assert request["agency_responsible"]
    assert "first_name" not in request
    assert "email" not in request
    root = ET.fromstring(http.get(f"{BASE}/requests/{number}.xml").content)
    assert root.tag == "service_requests"
    assert root.find("request/status").text == "open"
    assert http.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": number, "token": token}]
    assert ET.fromstring(http.get(f"{BASE}/tokens/{token}.xml").content).find("request/token").text == token
    assert_error(http.get(f"{BASE}/requests/SJ000.json"), 404, contains="SJ000")
    assert_error(http.get(f"{BASE}/requests/SJ000.xml"), 404, "xml")
    assert_error(http.get(f"{BASE}/tokens/nope.json"), 404)


def test_status_follows_the_event_to_closed(http, grid, user):
    created = file(http, grid, description="燃气味很重")
    event = Event.objects.get(number=created["service_request_id"])
    admin = user("huimin_admin")
    water = Organisation.objects.get(name="呼和浩特春华水务集团")
    event_transitions.transition(event, "accept", user=admin)
    event_transitions.transition(event, "dispatch", user=admin, lead_org_id=water.pk)
    staff = user("water_staff")
    event_transitions.transition(event, "acknowledge", user=staff)
    event_transitions.transition(event, "start", user=staff)
    event_transitions.transition(event, "handle", user=staff, result="已恢复供水")
    opened = http.get(f"{BASE}/requests/{event.number}.json").json()[0]
    assert opened["status"] == "open"
    assert "已恢复供水" in opened["status_notes"]
    assert opened["agency_responsible"] == "呼和浩特春华水务集团"
    event_transitions.transition(event, "close", user=admin, note="市民未确认，中心结案")
    closed = http.get(f"{BASE}/requests/{event.number}.json").json()[0]
    assert closed["status"] == "closed"
    assert "结案" in closed["status_notes"]
    assert closed["expected_datetime"] is None


def test_request_list_filters(http, grid):
    water = file(http, grid)
    fire = file(http, grid, service_code="fire.exit_blocked", **{"attribute[BLOCKED_BY]": "goods"})

    def numbers(query):
        response = http.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    both = {water["service_request_id"], fire["service_request_id"]}
    assert both <= set(numbers(""))
    assert numbers(f"service_request_id={water['service_request_id']},{fire['service_request_id']}")
    assert (
        set(numbers(f"service_request_id={water['service_request_id']},{fire['service_request_id']}")) == both
    )
    assert fire["service_request_id"] not in numbers("service_code=water.outage")
    assert water["service_request_id"] in numbers("service_code=water.outage,city.garbage")
    assert both <= set(numbers("status=open"))
    assert not both & set(numbers("status=closed"))
    assert both <= set(numbers("status=open,closed"))
    assert not both & set(numbers("end_date=2020-01-01T00:00:00Z"))
    assert both <= set(numbers("start_date=2020-01-01T00:00:00%2B08:00"))
    assert_error(http.get(f"{BASE}/requests.json?status=pending"), 400, contains="status")
    assert_error(http.get(f"{BASE}/requests.json?start_date=last-week"), 400, contains="start_date")
    root = ET.fromstring(http.get(f"{BASE}/requests.xml?status=open").content)
    assert root.tag == "service_requests"
    assert root.findall("request")


def test_disputes_and_staff_reports_are_not_public(http, grid, user):
    dispute = file(http, grid, service_code="dispute.family", description="夫妻吵架")
    staff_event, _ = event_intake.report_event(
        user=user("gaobo"), category="water.outage", description="独居老人张某家停水", grid=grid
    )
    public = [r["service_request_id"] for r in http.get(f"{BASE}/requests.json").json()]
    assert dispute["service_request_id"] not in public
    assert staff_event.number not in public
    assert_error(http.get(f"{BASE}/requests/{staff_event.number}.json"), 404)
    assert_error(http.get(f"{BASE}/requests/{dispute['service_request_id']}.json"), 404)
    # The client that filed the dispute follows it with its key.
    own = http.get(f"{BASE}/requests/{dispute['service_request_id']}.json?api_key={DEMO_API_KEY}")
    assert own.status_code == 200
    assert own.json()[0]["service_code"] == "dispute.family"
    assert_error(http.get(f"{BASE}/requests.json?api_key=wrong"), 403)
