"""The security baseline: hashing, password rules, lock-out, session lifetimes, disabling,
CSRF, headers and API tokens."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from gridgov.accounts.models import ApiToken, User
from gridgov.accounts.services import create_user, set_active

LOGIN = "/accounts/login/"


def test_passwords_are_hashed_with_argon2(user):
    assert user("gaobo").password.startswith("argon2$")
    new = create_user(user=user("sysadmin"), username="new_worker", password="Qingcheng#2026!")
    assert new.password.startswith("argon2$")
    assert new.check_password("Qingcheng#2026!")


def test_the_configured_hasher_is_full_strength_argon2():
    from django.contrib.auth.hashers import Argon2PasswordHasher

    import gridgov.settings as configured

    # The suite itself hashes with a cheap argon2 (tests/conftest.py); the product does not.
    assert configured.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert Argon2PasswordHasher.memory_cost >= 65536


@pytest.mark.parametrize("bad", ["short1!", "12345678901234", "password1234", "new_worker2026"])
def test_weak_passwords_are_refused(user, bad):
    with pytest.raises(ValidationError) as caught:
        create_user(user=user("sysadmin"), username="new_worker2026", password=bad)
    assert "password" in caught.value.message_dict
    assert not User.objects.filter(username="new_worker2026").exists()


def _fail(username, ip):
    return Client().post(LOGIN, {"username": username, "password": "wrong-password"}, REMOTE_ADDR=ip)


def test_lockout_is_per_username_across_ips_and_spares_others_on_the_same_ip(db, password, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for n in range(3):
        _fail("gaobo", f"10.0.0.{n + 1}")  # a phone roaming between carrier addresses
    shared_ip = "10.0.0.1"
    locked = Client().post(LOGIN, {"username": "gaobo", "password": password}, REMOTE_ADDR=shared_ip)
    assert locked.status_code == 200
    assert SESSION_KEY not in locked.client.session
    assert "锁定" in locked.content.decode()
    token = Client().post(
        "/api/v1/auth/token", {"username": "gaobo", "password": password}, content_type="application/json"
    )
    assert token.status_code == 401
    assert "locked" in token.json()["detail"]
    # A colleague behind the same carrier address is not affected.
    colleague = Client()
    response = colleague.post(
        LOGIN, {"username": "huimin_chief", "password": password}, REMOTE_ADDR=shared_ip
    )
    assert response.status_code == 302
    assert colleague.session[SESSION_KEY]


def test_lockout_ends_after_the_lockout_period(db, password, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        _fail("gaobo", "10.0.0.9")
    from gridgov.accounts.models import LoginFailure

    LoginFailure.objects.filter(username="gaobo").update(
        at=timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1)
    )
    client = Client()
    assert client.post(LOGIN, {"username": "gaobo", "password": password}).status_code == 302


def _age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_idle_session_times_out(login, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client = login("gaobo")
    assert client.get("/").status_code == 302
    assert not client.get("/", follow=True).redirect_chain[-1][0].startswith(LOGIN)
    _age_session(client, gridgov_seen_at=599)
    assert not client.get("/", follow=True).redirect_chain[-1][0].startswith(LOGIN)
    _age_session(client, gridgov_seen_at=601)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session


def test_session_has_an_absolute_lifetime_even_when_active(login, settings):
    settings.SESSION_COOKIE_AGE = 3600
    client = login("gaobo")
    _age_session(client, gridgov_login_at=3599, gridgov_seen_at=10)
    assert not client.get("/", follow=True).redirect_chain[-1][0].startswith(LOGIN)
    _age_session(client, gridgov_login_at=3601, gridgov_seen_at=10)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_disabling_an_account_ends_its_sessions_and_revokes_its_tokens(login, api, user):
    session_client, api_client = login("gaobo"), api("gaobo")
    assert api_client.get("/api/v1/auth/me").status_code == 200
    set_active(user=user("huimin_admin"), person=user("gaobo"), active=False)
    response = session_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert api_client.get("/api/v1/auth/me").status_code == 401
    assert not ApiToken.objects.filter(user__username="gaobo", revoked_at__isnull=True).exists()


def test_csrf_is_enforced_on_the_login_form(db, password):
    client = Client(enforce_csrf_checks=True)
    assert client.post(LOGIN, {"username": "gaobo", "password": password}).status_code == 403
    page = client.get(LOGIN)
    token = page.cookies["csrftoken"].value
    response = client.post(LOGIN, {"username": "gaobo", "password": password, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_csrf_is_enforced_on_session_authenticated_api_writes(user, node):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("huimin_admin"))
    grid = node("惠民社区第二网格")
    url = f"/api/v1/nodes/{grid.pk}"
    refused = client.patch(url, {"name": "改名"}, content_type="application/json")
    assert refused.status_code in {401, 403}
    token = get_random_string(32)  # what a page's csrftoken cookie carries; the script echoes it
    client.cookies["csrftoken"] = token
    accepted = client.patch(
        url, {"name": "改名"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200, accepted.content


def test_bearer_token_api_writes_need_no_csrf_token(api, node):
    client = api("huimin_admin")
    client.handler.enforce_csrf_checks = True
    grid = node("惠民社区第二网格")
    assert (
        client.patch(
            f"/api/v1/nodes/{grid.pk}", {"name": "改名"}, content_type="application/json"
        ).status_code
        == 200
    )


def test_security_headers_and_content_security_policy(db, client):
    response = client.get(LOGIN)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_api_token_is_issued_used_and_revoked(db, password):
    issued = Client().post(
        "/api/v1/auth/token",
        {"username": "gaobo", "password": password, "label": "phone"},
        content_type="application/json",
    )
    assert issued.status_code == 200
    raw = issued.json()["token"]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/auth/me").json()["username"] == "gaobo"
    assert ApiToken.objects.get(prefix=raw[:8]).token_hash != raw  # only the hash is stored
    assert client.delete("/api/v1/auth/token").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_gets_no_token(db):
    response = Client().post(
        "/api/v1/auth/token", {"username": "gaobo", "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert "token" not in response.json()


def test_expired_and_unknown_tokens_get_401(db, api):
    client = api("gaobo")
    ApiToken.objects.filter(user__username="gaobo").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/auth/me").status_code == 401
    assert Client(headers={"Authorization": "Bearer not-a-token"}).get("/api/v1/auth/me").status_code == 401
    assert Client().get("/api/v1/auth/me").status_code == 401
