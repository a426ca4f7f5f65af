"""The second factor of privileged accounts: login's second step, enrolment, recovery codes,
lock-out, API tokens and app sign-in, the session rule and the admin."""

import base64
import json
import subprocess
import sys
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.accounts import totp, twofactor
from gridgov.accounts.models import ApiToken, LoginFailure, RoleAssignment, User
from gridgov.accounts.roles import Role
from gridgov.audit.models import Action, AuditEntry, ChainHead

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
TOKEN = "/api/v1/auth/token"


def later(steps=1):
    """The demo code of a later time step: a second use inside one step is refused (replay)."""
    return totp.code(at=time.time() + 30 * steps)


def inside(client):
    """Whether the client's session is logged in (a login-only page answers)."""
    return client.get("/accounts/2fa/").status_code == 200


def password_step(client, username, password, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN + (f"?next={next_url}" if next_url else ""), data)


def code_of(device, at=None):
    generator = TOTP(device.bin_key, step=device.step, digits=device.digits)
    generator.time = time.time() if at is None else at
    return f"{generator.token():06d}"


def token(username, password, **extra):
    body = {"username": username, "password": password, **extra}
    return Client().post(TOKEN, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("username", ["sysadmin", "city_admin", "saihan_admin", "auditor"])
def test_privileged_login_needs_the_code_after_the_password(db, password, username):
    client = Client()
    first = password_step(client, username, password)
    assert first.status_code == 302
    assert first["Location"] == VERIFY
    assert SESSION_KEY not in client.session  # not logged in by the password alone
    assert not inside(client)
    page = client.get(VERIFY)
    assert "验证码" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")
    head = ChainHead.objects.get().seq
    done = client.post(VERIFY, {"code": totp.code()})
    assert done.status_code == 302
    assert done["Location"] == "/"
    assert client.session[DEVICE_ID_SESSION_KEY].startswith("otp_totp.totpdevice/")
    assert inside(client)
    login = AuditEntry.objects.get(seq__gt=head, action=Action.LOGIN)
    assert login.actor_name == username
    assert "second factor" in login.message


def test_the_next_page_survives_the_second_step(db, password):
    client = Client()
    password_step(client, "city_admin", password, next_url="/audit/")
    assert client.post(VERIFY, {"code": totp.code()})["Location"] == "/audit/"


def test_an_offsite_next_is_dropped(db, password):
    client = Client()
    password_step(client, "city_admin", password, next_url="https://evil.example/")
    assert client.post(VERIFY, {"code": totp.code()})["Location"] == "/"


def test_wrong_code_is_a_failed_login_and_the_session_stays_out(db, password):
    client = Client()
    password_step(client, "city_admin", password)
    head = ChainHead.objects.get().seq
    wrong = client.post(VERIFY, {"code": "000000" if totp.code() != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "验证码不正确" in wrong.content.decode()
    assert SESSION_KEY not in client.session
    assert LoginFailure.objects.filter(username="city_admin").count() == 1
    failed = AuditEntry.objects.get(seq__gt=head, action=Action.LOGIN_FAILED)
    assert failed.message == "bad one-time code"
    assert not failed.success


def test_a_code_works_once(db, password):
    code = totp.code()
    first = Client()
    password_step(first, "city_admin", password)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    second = Client()
    password_step(second, "city_admin", password)
    assert second.post(VERIFY, {"code": code}).status_code == 400
    assert second.post(VERIFY, {"code": later()}).status_code == 302


def test_repeated_bad_codes_lock_the_username_like_passwords(db, password, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    password_step(client, "auditor", password)
    for bad in ("000001", "000002", "000003"):
        client.post(VERIFY, {"code": bad if bad != totp.code() else "999999"})
    locked = client.post(VERIFY, {"code": totp.code()}, follow=True)
    assert "锁定" in locked.content.decode()
    assert SESSION_KEY not in client.session
    # The password step is locked too, and so is the API.
    again = Client()
    assert password_step(again, "auditor", password).status_code == 200
    assert SESSION_KEY not in again.session
    assert token("auditor", password, otp=later()).status_code == 401


def test_the_password_step_expires(db, password, settings):
    client = Client()
    password_step(client, "city_admin", password)
    session = client.session
    session[twofactor_views_pending()]["at"] -= settings.LOGIN_SECOND_STEP_SECONDS + 1
    session.save()
    response = client.post(VERIFY, {"code": totp.code()})
    assert response["Location"] == LOGIN
    assert SESSION_KEY not in client.session


def twofactor_views_pending():
    from gridgov.accounts.twofactor_views import PENDING

    return PENDING


def test_second_step_without_a_password_sends_to_login(db):
    response = Client().post(VERIFY, {"code": totp.code()})
    assert response.status_code == 302
    assert response["Location"] == LOGIN


@pytest.mark.parametrize(
    "typed", ["demo-recovery-1", "DEMO-RECOVERY-1", " demo recovery 1 ", "ＤＥＭＯ－ＲＥＣＯＶＥＲＹ－１"]
)
def test_a_recovery_code_logs_in_once(db, password, typed):
    client = Client()
    password_step(client, "saihan_admin", password)
    done = client.post(VERIFY, {"code": typed}, follow=True)
    assert SESSION_KEY in client.session
    assert "还剩 4 个" in done.content.decode()
    assert not StaticToken.objects.filter(
        device__user__username="saihan_admin", token="demorecovery1"
    ).exists()
    other = Client()
    password_step(other, "saihan_admin", password)
    assert other.post(VERIFY, {"code": typed}).status_code == 400
    assert SESSION_KEY not in other.session


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        " ",
        "1" * 41,
        "12345",
        "1234567",
        "١٢٣٤٥٦",  # Arabic-Indic digits are not a code
        "' OR 1=1 --",
        "demo-recovery-1\x00",
        "<script>alert(1)</script>",
        "%00%00",
    ],
)
def test_hostile_codes_are_refused_without_error(db, password, hostile):
    client = Client()
    password_step(client, "city_admin", password)
    response = client.post(VERIFY, {"code": hostile})
    assert response.status_code == 400
    assert SESSION_KEY not in client.session
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_non_privileged_users_log_in_with_the_password_alone(db, password):
    client = Client()
    response = password_step(client, "gaobo", password)
    assert response["Location"] == "/"
    assert inside(client)
    assert token("gaobo", password).status_code == 200


def test_a_privileged_account_without_an_authenticator_enrols_at_login(db, password, user):
    person = user("city_admin")
    twofactor.reset_second_factor(person)
    client = Client()
    password_step(client, "city_admin", password)
    page = client.get(VERIFY).content.decode()
    assert 'src="data:image/svg+xml' in page
    assert "<script" not in page.split("</main>")[0].split("<main")[1]
    pending = TOTPDevice.objects.get(user=person, confirmed=False)
    secret = base64.b32encode(pending.bin_key).decode()
    assert secret[:4] in page
    # Reloading shows the same QR code (one pending device).
    assert client.get(VERIFY).content.decode() == page or TOTPDevice.objects.filter(user=person).count() == 1
    assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    done = client.post(VERIFY, {"code": code_of(pending)})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    shown = done.context["codes"]
    assert len(shown) == twofactor.RECOVERY_CODE_COUNT
    assert SESSION_KEY in client.session
    assert TOTPDevice.objects.get(user=person).confirmed
    # A shown recovery code works at the next login; the demo codes are gone.
    other = Client()
    password_step(other, "city_admin", password)
    assert other.post(VERIFY, {"code": "demo-recovery-2"}).status_code == 400
    assert other.post(VERIFY, {"code": shown[0]}).status_code == 302


def test_a_session_of_a_privileged_account_without_the_second_factor_is_ended(db, user):
    client = Client()
    client.force_login(user("city_admin"))  # a session from before the rule
    head = ChainHead.objects.get().seq
    response = client.get("/accounts/2fa/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session
    assert AuditEntry.objects.filter(seq__gt=head, action=Action.DENIED, actor_name="city_admin").exists()
    # A grid worker's session is untouched.
    worker = Client()
    worker.force_login(user("gaobo"))
    assert inside(worker)


def test_a_role_granted_during_a_session_asks_for_the_second_factor(db, user, node, login):
    client = login("gaobo")
    assert inside(client)
    RoleAssignment.objects.create(user=user("gaobo"), role=Role.COUNTY_ADMIN, node=node("新城区"))
    assert not inside(client)


def test_the_admin_logs_in_through_the_second_step(db, password):
    client = Client()
    redirect = client.get("/admin/login/?next=/admin/")
    assert redirect.status_code == 302
    assert redirect["Location"] == "/accounts/login/?next=/admin/"
    # The admin's own password-only form is not reachable.
    posted = client.post("/admin/login/", {"username": "sysadmin", "password": password})
    assert SESSION_KEY not in client.session
    assert posted.status_code in {302, 405}
    password_step(client, "sysadmin", password, next_url="/admin/")
    assert client.post(VERIFY, {"code": totp.code()})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- API tokens and the app's sign-in ----------------------------------------------------------


def test_token_for_a_privileged_account_needs_otp(db, password):
    missing = token("city_admin", password)
    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"
    wrong = token("city_admin", password, otp="000000" if totp.code() != "000000" else "111111")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "otp_invalid"
    assert LoginFailure.objects.filter(username="city_admin").count() == 1
    assert not ApiToken.objects.filter(user__username="city_admin").exists()
    code = totp.code()  # once: on a slow machine the 30-second step may turn between two calls
    ok = token("city_admin", password, otp=code)
    assert ok.status_code == 200
    assert (
        Client(headers={"Authorization": f"Bearer {ok.json()['token']}"}).get("/api/v1/auth/me").status_code
        == 200
    )
    # The same code is not accepted twice; a recovery code is, once.
    assert token("city_admin", password, otp=code).json()["code"] == "otp_invalid"
    assert token("city_admin", password, otp="demo-recovery-3").status_code == 200
    assert token("city_admin", password, otp="demo-recovery-3").status_code == 401


def test_token_with_a_wrong_password_says_nothing_about_otp(db):
    response = token("city_admin", "wrong-password", otp=totp.code())
    assert response.status_code == 401
    assert "code" not in response.json()


def test_token_for_a_privileged_account_not_enrolled_is_refused(db, password, user):
    twofactor.reset_second_factor(user("auditor"))
    response = token("auditor", password, otp="123456")
    assert response.status_code == 403
    assert response.json()["code"] == "otp_enrol"
    assert "/accounts/login/" in response.json()["detail"]


@pytest.mark.parametrize(
    "otp", ["1" * 41, ["123456"], {"a": 1}, 123456.5, None, "\x00" * 6, "１２３４５６７８９０" * 5]
)
def test_hostile_otp_in_the_token_body_is_a_4xx(db, password, otp):
    response = token("city_admin", password, otp=otp)
    assert 400 <= response.status_code < 500
    assert not ApiToken.objects.filter(user__username="city_admin").exists()


def test_app_sign_in_needs_otp_too(db, password):
    body = {
        "username": "saihan_admin",
        "password": password,
        "device_id": "a" * 32,
        "device_name": "测试手机",
    }
    missing = Client().post("/api/v1/auth/device", json.dumps(body), content_type="application/json")
    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"
    body["otp"] = totp.code()
    ok = Client().post("/api/v1/auth/device", json.dumps(body), content_type="application/json")
    assert ok.status_code == 200
    assert ok.json()["access"]


# --- the person's own page ---------------------------------------------------------------------


def test_recovery_codes_are_regenerated_after_a_fresh_code(db, login):
    client = login("auditor")
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200
    assert "剩余 5 个恢复码" in page.content.decode()
    assert "关闭两步验证" not in page.content.decode()
    refused = client.post("/accounts/2fa/", {"action": "regenerate", "code": "000000"})
    assert refused.status_code == 400
    done = client.post("/accounts/2fa/", {"action": "regenerate", "code": totp.code()})
    assert done.status_code == 200
    assert len(done.context["codes"]) == twofactor.RECOVERY_CODE_COUNT
    assert not StaticToken.objects.filter(device__user__username="auditor", token="demorecovery1").exists()


def test_the_authenticator_is_replaced_after_a_fresh_code(db, login, user):
    client = login("city_admin")
    assert client.post("/accounts/2fa/", {"action": "replace", "code": totp.code()}).status_code == 302
    page = client.get("/accounts/2fa/")
    assert 'src="data:image/svg+xml' in page.content.decode()
    pending = TOTPDevice.objects.get(user=user("city_admin"), confirmed=False)
    done = client.post("/accounts/2fa/", {"action": "confirm", "code": code_of(pending)})
    assert done.status_code == 200
    assert list(TOTPDevice.objects.filter(user=user("city_admin")).values_list("pk", flat=True)) == [
        pending.pk
    ]
    # The demo secret no longer works for this account.
    assert token("city_admin", "Gridgov#2026", otp=later()).status_code == 401


def test_confirm_without_a_fresh_code_is_refused(db, login, user):
    client = login("city_admin")
    response = client.post("/accounts/2fa/", {"action": "confirm", "code": totp.code()})
    assert response.status_code == 400
    assert TOTPDevice.objects.filter(user=user("city_admin"), confirmed=True).count() == 1


def test_privileged_accounts_cannot_turn_it_off(db, login, user):
    client = login("saihan_admin")
    response = client.post("/accounts/2fa/", {"action": "remove", "code": totp.code()}, follow=True)
    assert "不能关闭" in response.content.decode()
    assert twofactor.authenticator(user("saihan_admin")) is not None


def test_a_grid_worker_may_turn_it_on_and_off(db, login, user, password):
    client = login("gaobo")
    page = client.get("/accounts/2fa/").content.decode()
    assert "未开启" in page
    pending = TOTPDevice.objects.get(user=user("gaobo"), confirmed=False)
    assert client.post("/accounts/2fa/", {"action": "confirm", "code": code_of(pending)}).status_code == 200
    # From now on gaobo's logins and tokens need the code too.
    other = Client()
    assert password_step(other, "gaobo", password)["Location"] == VERIFY
    assert token("gaobo", password).json()["code"] == "otp_required"
    later_code = code_of(pending, at=time.time() + 30)
    assert client.post("/accounts/2fa/", {"action": "remove", "code": later_code}).status_code == 302
    assert twofactor.authenticator(user("gaobo")) is None
    assert token("gaobo", password).status_code == 200


def test_unknown_action_is_refused(db, login):
    response = login("auditor").post("/accounts/2fa/", {"action": "drop-table", "code": totp.code()})
    assert response.status_code == 400


def test_an_administrator_resets_a_lost_second_factor(db, login, user):
    person = user("saihan_admin")
    client = login("sysadmin")
    head = ChainHead.objects.get().seq
    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [person.pk]},
    )
    assert response.status_code == 302
    assert twofactor.authenticator(person) is None
    assert not StaticToken.objects.filter(device__user=person).exists()
    assert AuditEntry.objects.filter(seq__gt=head, object_type="accounts.secondfactor").exists()


# --- the demo -----------------------------------------------------------------------------------


def test_demo_privileged_users_share_the_documented_secret(db):
    for username in ("sysadmin", "city_admin", "saihan_admin", "auditor"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert device.bin_key == totp.key_of(totp.DEMO_TOTP_SECRET)
    for username in ("zhaowuda_admin", "huimin_admin", "gaobo"):
        assert not TOTPDevice.objects.filter(user__username=username).exists()
    assert User.objects.get(username="city_admin").staticdevice_set.get().token_set.count() == 5


def test_the_demo_code_command_prints_the_current_code():
    out = subprocess.run(
        [sys.executable, "-m", "gridgov.accounts.totp", "demo"], capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[0] in {totp.code(), totp.code(at=time.time() - 30)}
    bad = subprocess.run(
        [sys.executable, "-m", "gridgov.accounts.totp", "1!"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert "base32" in bad.stderr
