"""Open311 clients in the admin: city administrators only; a new key is shown once and stored hashed."""

from gridgov.open311.models import Client, hash_api_key


def test_only_city_administrators_manage_open311_clients(login):
    assert login("city_admin").get("/admin/open311/client/").status_code == 200
    assert login("saihan_admin").get("/admin/open311/client/").status_code in (302, 403)


def test_adding_a_client_issues_a_key_shown_once(login, node, user):
    client = login("city_admin")
    response = client.post(
        "/admin/open311/client/add/",
        {
            "name": "12345 热线",
            "user": user("open311_demo").pk,
            "area": node("呼和浩特市").pk,
            "contact": "",
            "active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    created = Client.objects.get(name="12345 热线")
    shown = [str(m) for m in response.context["messages"]]
    key = next(m.split("：", 1)[1] for m in shown if "API key" in m)
    assert created.key_hash == hash_api_key(key)
    assert key not in created.key_hash
