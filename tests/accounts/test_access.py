"""The per-process cache of bearer tokens (gridgov.accounts.access): a cached token, user and role
assignments serve the next request without reading them again, and every change they depend on
(a token revoked, an account saved, a role granted or withdrawn, a node moved) moves the access
generation, so the very next request reads them again and sees the change."""

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts import access
from gridgov.accounts.models import AccessStamp, ApiToken, RoleAssignment, User
from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import scope_of
from gridgov.accounts.services import assign_role, issue_token, revoke_role
from gridgov.hierarchy import services as hierarchy
from gridgov.hierarchy.models import Level, Node

TOKENS = ApiToken._meta.db_table
ASSIGNMENTS = RoleAssignment._meta.db_table
STAMP = AccessStamp._meta.db_table


@pytest.fixture
def phone(db: Any) -> Any:
    """phone("gaobo") → (a test Client sending a fresh bearer token of that user, the raw token)."""

    def _phone(username: str) -> tuple[Client, str]:
        _token, raw = issue_token(User.objects.get(username=username))
        return Client(headers={"Authorization": f"Bearer {raw}"}), raw

    return _phone


def get(client: Client, path: str) -> tuple[Any, list[str]]:
    """GET `path`; the response and the SQL the request ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, [query["sql"] for query in queries.captured_queries]


def touches(sqls: list[str], table: str) -> bool:
    return any(table in sql for sql in sqls)


def node_ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()}


# --- caching ------------------------------------------------------------------------------------


def test_first_request_caches_the_token_and_the_second_is_served_from_the_cache(phone):
    client, raw = phone("gaobo")
    assert not access.is_cached(raw)
    first, first_sql = get(client, "/api/v1/auth/me")
    assert first.status_code == 200
    assert first.json()["username"] == "gaobo"
    assert access.is_cached(raw)
    assert access.cached_tokens() == 1
    assert touches(first_sql, TOKENS)

    second, second_sql = get(client, "/api/v1/auth/me")
    assert second.status_code == 200
    assert second.json() == first.json()
    assert len(second_sql) < len(first_sql)
    assert not touches(second_sql, TOKENS)
    # Only the generation is read to authenticate: the rest is what /me itself asks.
    assert sum(STAMP in sql for sql in second_sql) == 1


def test_cached_role_assignments_answer_scoped_endpoints_without_reading_them(phone, node):
    client, _raw = phone("gaobo")
    grid = node("惠民社区第一网格")
    first, first_sql = get(client, "/api/v1/nodes")
    second, second_sql = get(client, "/api/v1/nodes")
    assert (
        node_ids(first)
        == node_ids(second)
        == set(Node.objects.filter(path__under=grid.path).values_list("pk", flat=True))
    )
    assert touches(first_sql, ASSIGNMENTS)
    assert not touches(second_sql, ASSIGNMENTS)
    assert not touches(second_sql, TOKENS)


def test_an_unknown_token_is_refused_and_not_cached(db):
    client = Client(headers={"Authorization": "Bearer not-a-token"})
    assert client.get("/api/v1/auth/me").status_code == 401
    assert access.cached_tokens() == 0
    assert not access.is_cached("not-a-token")


# --- what moves the generation, and what the next request then sees ----------------------------


def test_a_revoked_token_is_refused_by_the_next_request_although_it_was_cached(phone):
    client, raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    before = access.current_generation()
    ApiToken.find(raw).revoke()
    assert access.current_generation() == before + 1
    response, sqls = get(client, "/api/v1/auth/me")
    assert response.status_code == 401
    assert touches(sqls, TOKENS)
    assert not access.is_cached(raw)


def test_revoking_through_the_api_refuses_the_cached_token_at_once(phone):
    client, raw = phone("gaobo")
    other, other_raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert other.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    assert access.is_cached(other_raw)
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    # The user's other token still works: it is read again, then cached again.
    assert other.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(other_raw)
    assert not access.is_cached(raw)


def test_a_deactivated_user_is_refused_by_the_next_request(phone, user):
    client, raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    gaobo = user("gaobo")
    gaobo.is_active = False
    gaobo.save()
    assert client.get("/api/v1/auth/me").status_code == 401
    assert not access.is_cached(raw)


def test_a_deleted_user_is_refused_by_the_next_request(phone, user):
    client, raw = phone("huimin_admin")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    before = access.current_generation()
    user("huimin_admin").delete()
    assert access.current_generation() > before
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_withdrawn_role_narrows_the_next_requests_scope(phone, user, node):
    client, _raw = phone("gaobo")
    grid = node("惠民社区第一网格")
    assert grid.pk in node_ids(client.get("/api/v1/nodes"))
    assert client.get(f"/api/v1/nodes/{grid.pk}").status_code == 200
    before = access.current_generation()
    revoke_role(
        user=user("city_admin"), assignment=RoleAssignment.objects.get(user__username="gaobo", node=grid)
    )
    assert access.current_generation() == before + 1
    assert node_ids(client.get("/api/v1/nodes")) == set()
    assert client.get(f"/api/v1/nodes/{grid.pk}").status_code == 404


def test_a_granted_role_widens_the_next_requests_scope(phone, user, node):
    client, _raw = phone("gaobo")
    other = node("惠民社区第二网格")
    assert other.pk not in node_ids(client.get("/api/v1/nodes"))
    assert client.get(f"/api/v1/nodes/{other.pk}").status_code == 404
    before = access.current_generation()
    assign_role(user=user("city_admin"), person=user("gaobo"), role=Role.PART_TIME_WORKER, node=other)
    assert access.current_generation() == before + 1
    seen = node_ids(client.get("/api/v1/nodes"))
    assert other.pk in seen
    assert node("惠民社区第一网格").pk in seen
    assert client.get(f"/api/v1/nodes/{other.pk}").status_code == 200


def report(client: Client, grid: Node, key: str) -> Any:
    body = {"category": "heating.pipe_burst", "description": "缓存测试：供热管道爆裂", "grid_id": grid.pk}
    return client.post(
        "/api/v1/events", json.dumps(body), content_type="application/json", headers={"Idempotency-Key": key}
    )


def test_what_the_next_request_may_do_follows_role_changes(phone, user, node):
    """Not only what is listed: reporting to a grid follows the role that covers it, both ways."""
    client, raw = phone("gaobo")
    own, other = node("惠民社区第一网格"), node("惠民社区第二网格")
    refused = report(client, other, "access-1")
    assert refused.status_code == 403
    assert other.name in refused.json()["detail"]
    assert access.is_cached(raw)
    granted = RoleAssignment.objects.create(user=user("gaobo"), role=Role.PART_TIME_WORKER, node=other)
    accepted = report(client, other, "access-2")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["grid_name"] == other.name
    granted.delete()
    assert report(client, other, "access-3").status_code == 403
    assert report(client, own, "access-4").status_code == 201
    RoleAssignment.objects.filter(user__username="gaobo", node=own).delete()
    assert report(client, own, "access-5").status_code == 403


def test_a_login_keeps_the_generation_and_the_cache(phone, user, password):
    client, raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    before = access.current_generation()
    gaobo = user("gaobo")
    gaobo.last_login = timezone.now()
    gaobo.save(update_fields=["last_login"])
    # A real login (Django's update_last_login) stamps last_login the same way.
    assert Client().login(username="gaobo", password=password)
    assert User.objects.get(pk=gaobo.pk).last_login >= gaobo.last_login
    assert access.current_generation() == before
    response, sqls = get(client, "/api/v1/auth/me")
    assert response.status_code == 200
    assert not touches(sqls, TOKENS)
    assert access.is_cached(raw)


@pytest.mark.parametrize("update_fields", [None, ["full_name"], ["last_login", "full_name"]])
def test_any_other_user_save_moves_the_generation(phone, user, update_fields):
    client, raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    before = access.current_generation()
    gaobo = user("gaobo")
    gaobo.full_name = "高波（改）"
    gaobo.last_login = timezone.now()
    gaobo.save(update_fields=update_fields)
    assert access.current_generation() == before + 1
    response, sqls = get(client, "/api/v1/auth/me")
    assert response.status_code == 200
    assert touches(sqls, TOKENS)
    assert response.json()["full_name"] == "高波（改）"


def test_moving_a_node_moves_the_generation_and_the_next_request_sees_the_new_paths(phone, user, node):
    client, _raw = phone("gaobo")
    grid = node("惠民社区第一网格")
    assert grid.pk in node_ids(client.get("/api/v1/nodes"))
    before = access.current_generation()
    moved = hierarchy.move_node(grid, node("老缸房社区"), user=user("city_admin"))
    assert moved.path != grid.path
    assert access.current_generation() > before
    # The cached assignment held the old path; read again, it covers the grid where it now is.
    response = client.get("/api/v1/nodes")
    assert node_ids(response) == set(Node.objects.filter(path__under=moved.path).values_list("pk", flat=True))
    assert {row["path"] for row in response.json()} >= {moved.path}


def test_which_writes_move_the_generation(user, node):
    gaobo = user("gaobo")
    grid = node("惠民社区第一网格")
    start = access.current_generation()
    assert start is not None
    token, _raw = issue_token(gaobo)  # a new token: nothing cached depends on it
    created = Node.objects.create(
        parent=grid.parent,
        level=Level.GRID,
        name="测试网格",
        code=grid.code[:-3] + "099",
        path=grid.parent.path + grid.code[:-3] + "099",
        county_code=grid.county_code,
    )
    assert access.current_generation() == start
    token.label = "renamed"
    token.save()
    assert access.current_generation() == start + 1
    created.name = "测试网格（改）"
    created.save()
    assert access.current_generation() == start + 2
    created.delete()
    assert access.current_generation() == start + 3
    token.delete()
    assert access.current_generation() == start + 4
    RoleAssignment.objects.create(user=gaobo, role=Role.PART_TIME_WORKER, node=node("惠民社区第二网格"))
    assert access.current_generation() == start + 5


def test_a_bump_rolls_back_with_the_change(user):
    from django.db import transaction

    before = access.current_generation()
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012  the rollback is the point
        gaobo = user("gaobo")
        gaobo.full_name = "x"
        gaobo.save()
        assert access.current_generation() == before + 1
        raise RuntimeError
    assert access.current_generation() == before


# --- expiry, a missing stamp, copies -------------------------------------------------------------


def test_an_expired_token_is_refused_even_from_the_cache(phone, monkeypatch):
    client, raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    assert access.is_cached(raw)
    expires_at = ApiToken.find(raw).expires_at
    later = expires_at + timedelta(seconds=1)
    monkeypatch.setattr(access.timezone, "now", lambda: later)
    response, sqls = get(client, "/api/v1/auth/me")
    assert response.status_code == 401
    # The cached entry was not used: the token was looked up again (and found expired).
    assert touches(sqls, TOKENS)


def test_a_token_is_served_from_the_cache_until_just_before_it_expires(phone, monkeypatch):
    client, raw = phone("gaobo")
    assert client.get("/api/v1/auth/me").status_code == 200
    almost = ApiToken.find(raw).expires_at - timedelta(seconds=1)
    monkeypatch.setattr(access.timezone, "now", lambda: almost)
    response, sqls = get(client, "/api/v1/auth/me")
    assert response.status_code == 200
    assert not touches(sqls, TOKENS)


def test_without_the_stamp_row_nothing_is_cached_but_tokens_still_work(phone):
    client, raw = phone("gaobo")
    AccessStamp.objects.filter(pk=1).delete()
    assert access.current_generation() is None
    access.bump()  # a no-op, not an error
    assert access.current_generation() is None
    for _ in range(2):
        response, sqls = get(client, "/api/v1/auth/me")
        assert response.status_code == 200
        assert response.json()["username"] == "gaobo"
        assert touches(sqls, TOKENS)
    assert not access.is_cached(raw)
    assert access.cached_tokens() == 0
    # Without a generation to watch, a revocation is still seen: every request reads the token.
    ApiToken.find(raw).revoke()
    assert client.get("/api/v1/auth/me").status_code == 401


def test_each_call_gets_its_own_copies(phone, node):
    _client, raw = phone("gaobo")
    first = access.token_user(raw)
    second = access.token_user(raw)
    assert first is not None
    assert second is not None
    (token_a, user_a), (token_b, user_b) = first, second
    assert user_a is not user_b
    assert token_a is not token_b
    assert user_a.pk == user_b.pk
    assert token_a.pk == token_b.pk
    assert token_a.user is user_a
    assert token_b.user is user_b
    user_a.full_name = "changed by one request"
    user_a.gridgov_marker = "a"
    assert user_b.full_name != "changed by one request"
    assert not hasattr(user_b, "gridgov_marker")
    # The principal (roles and organisations) comes with the user: scope_of answers without a
    # query. It is immutable, so the requests share it.
    assert user_a.principal is user_b.principal
    grid = node("惠民社区第一网格")
    with CaptureQueriesContext(connection) as queries:
        scope = scope_of(user_a, Cap.VIEW)
        assert scope.covers(grid.path)
        assert not scope.everything
        assert user_a.principal.org_ids == ()
    assert len(queries.captured_queries) == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        user_a.principal.assignments = ()  # type: ignore[misc]
    third = access.token_user(raw)
    assert third is not None
    assert third[1].principal.assignments == user_b.principal.assignments


def test_an_entry_read_while_the_generation_moved_is_not_kept(phone, monkeypatch):
    """Another request saw a newer generation between this one's read of it and of the token:
    what this one read is used once, not cached under a generation that is already over."""
    _client, raw = phone("gaobo")
    _other_client, other_raw = phone("huimin_admin")
    find = ApiToken.find

    def find_while_another_request_moves_on(cls: Any, token: str) -> Any:
        found = find(token)
        if token == raw:
            access.bump()
            assert access.token_user(other_raw) is not None  # takes the new generation
        return found

    monkeypatch.setattr(ApiToken, "find", classmethod(find_while_another_request_moves_on))
    found = access.token_user(raw)
    assert found is not None
    assert found[1].username == "gaobo"
    assert not access.is_cached(raw)
    assert access.is_cached(other_raw)


def test_the_cache_is_bounded(phone, monkeypatch):
    monkeypatch.setattr(access, "MAX_TOKENS", 2)
    raws = [phone("gaobo")[1] for _ in range(3)]
    for raw in raws:
        assert access.token_user(raw) is not None
    assert access.cached_tokens() == 1
    assert access.is_cached(raws[2])
