"""Site-wide bits of the front app: the favicon."""

from xml.etree import ElementTree as ET

from django.contrib.staticfiles import finders


def test_pages_link_the_svg_favicon(client, db):
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/gridgov/favicon.svg" type="image/svg+xml">' in page


def test_favicon_ico_redirects_to_the_svg_which_is_served(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/gridgov/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 302
    assert client.post("/favicon.ico").status_code == 405
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert ET.fromstring(body).tag == "{http://www.w3.org/2000/svg}svg"


def test_the_favicon_is_a_small_square_svg():
    path = finders.find("gridgov/favicon.svg")
    assert path is not None
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) < 2048
    root = ET.fromstring(data)
    assert root.get("viewBox") == "0 0 32 32"
