"""The mobile search page (htmx as you type) and the break-the-glass pages."""

from gridgov.registry import pii
from gridgov.registry.models import BreakGlassGrant

GRID1 = "惠民社区第一网格"


def test_search_page(login, resident):
    zhang = resident("张伟", GRID1)
    response = login("gaobo").get("/search/", {"q": "张伟"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="input changed delay:200ms, search"' in html
    assert f'href="/registry/residents/{zhang.pk}/"' in html
    assert f'href="/registry/households/{zhang.household_id}/"' in html
    assert pii.id_number_of(zhang) not in html
    assert "139****1234" in html


def test_htmx_gets_only_the_results(login):
    response = login("gaobo").get("/search/", {"q": "张伟"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert "张伟" in html


def test_more_button_appends_the_next_page(login):
    client = login("city_admin")
    first = client.get("/search/", {"q": "张"}, headers={"HX-Request": "true"}).content.decode()
    assert "page=2" in first
    second = client.get("/search/", {"q": "张", "page": 2}, headers={"HX-Request": "true"}).content.decode()
    assert "<ul" not in second
    assert "search-hit" in second


def test_bad_input_on_the_page(login):
    client = login("gaobo")
    assert "q too long" in client.get("/search/", {"q": "张" * 10_000}).content.decode()
    assert client.get("/search/", {"q": "%"}).status_code == 200


def test_anonymous_goes_to_login(client):
    response = client.get("/search/", {"q": "张伟"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_break_glass_page_and_supervisor_list(login, node):
    worker = login("gaobo")
    page = worker.get("/search/break-glass/").content.decode()
    assert "惠民社区" in page
    response = worker.post(
        "/search/break-glass/", {"reason": "查找已迁出的居民张伟", "node_id": node("惠民社区").pk}
    )
    assert response.status_code == 302
    grant = BreakGlassGrant.objects.get(user__username="gaobo")
    assert "越权查询已开启" in worker.get("/search/", {"q": "张伟"}).content.decode()
    listing = login("huimin_admin").get("/search/grants/").content.decode()
    assert "查找已迁出的居民张伟" in listing
    assert worker.get("/search/grants/").status_code == 404
    assert login("laogangfang_worker").post(f"/search/grants/{grant.pk}/close/").status_code == 404
    assert login("huimin_admin").post(f"/search/grants/{grant.pk}/close/").status_code == 302


def test_break_glass_page_rejects_a_node_not_offered(login, node):
    response = login("gaobo").post(
        "/search/break-glass/", {"reason": "查找已迁出的居民张伟", "node_id": node("老缸房社区").pk}
    )
    assert response.status_code == 400
    assert not BreakGlassGrant.objects.filter(user__username="gaobo").exists()
