"""The big screen: a read-only display link bound to one node, revocable, with no personal data."""

import json
import re

import pytest
from django.test import Client

from gridgov.audit.models import AuditEntry
from gridgov.overview import services
from gridgov.overview.models import DisplayLink


@pytest.fixture
def link(user, node):
    made, token = services.create_display_link(
        user=user("zhaowuda_admin"), node=node("昭乌达南路街道"), name="街道大屏"
    )
    return made, token


def test_officials_make_a_link_whose_token_is_shown_once(login, node):
    township = node("昭乌达南路街道")
    client = login("zhaowuda_admin")
    response = client.post(f"/overview/{township.pk}/displays/", {"name": "街道指挥中心大屏"})
    assert response.status_code == 200
    page = response.content.decode()
    token = re.search(r"/screen/([\w-]+)/", page).group(1)
    stored = DisplayLink.objects.get(name="街道指挥中心大屏")
    assert token not in stored.token_hash
    assert AuditEntry.objects.filter(object_type="overview.displaylink", object_id=str(stored.pk)).exists()
    # The list afterwards does not show the token again.
    assert token not in client.get(f"/overview/{township.pk}/displays/").content.decode()


def test_a_name_is_required(login, node):
    response = login("zhaowuda_admin").post(f"/overview/{node('昭乌达南路街道').pk}/displays/", {"name": " "})
    assert response.status_code == 400
    assert "请填写名称" in response.content.decode()


def test_the_screen_shows_its_node_without_personal_data(link, node):
    _made, token = link
    response = Client().get(f"/screen/{token}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "昭乌达南路街道" in page
    data = json.loads(
        re.search(r'<script id="overview-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    )
    assert "惠民社区" in {row["name"] for row in data["breakdown"]["rows"]}
    assert data["special"] == []
    # Counts only: no special groups, no workers' names, no event descriptions, no links to records.
    assert "特殊人群" not in page
    assert "高波" not in page
    assert "/events/" not in page
    assert '"mode": "screen"' in page
    assert '"refresh": 30' in page
    layer = Client().get(f"/screen/{token}/map.json").json()
    assert {f["properties"]["name"] for f in layer["features"]} == set(
        node("昭乌达南路街道").children.values_list("name", flat=True)
    )
    assert "description" not in str(layer)


def test_unknown_and_revoked_links_are_not_found(link, user):
    made, token = link
    assert Client().get("/screen/not-a-token/").status_code == 404
    assert Client().get(f"/screen/{token}x/map.json").status_code == 404
    services.revoke_display_link(user=user("zhaowuda_admin"), link=made)
    assert Client().get(f"/screen/{token}/").status_code == 404
    assert Client().get(f"/screen/{token}/map.json").status_code == 404


def test_only_officials_of_the_node_make_or_revoke_links(link, login, node):
    made, _token = link
    # Another township's official does not see the link or the node.
    assert login("laogangfang_worker").post(f"/overview/displays/{made.pk}/revoke/").status_code == 404
    # A grid worker inside the node cannot make one for it.
    assert login("gaobo").get(f"/overview/{node('惠民社区第一网格').pk}/displays/").status_code == 403
    assert login("zhaowuda_admin").post(f"/overview/displays/{made.pk}/revoke/").status_code == 302
    made.refresh_from_db()
    assert made.revoked_at is not None
