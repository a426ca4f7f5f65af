"""The app's device tokens: a short-lived access token and a refresh token bound to the device,
rotated on every use, a reuse revoking the device, revocation reaching the next request (cached
tokens too), and the device list with its revoke button on the person's page."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.accounts import access, devices
from gridgov.accounts.models import ApiToken, Device, RefreshToken, User
from gridgov.audit.models import AuditEntry


def sign_in(password: str, username: str = "gaobo", device_id: str = "phone-1") -> dict[str, Any]:
    response = Client().post(
        "/api/v1/auth/device",
        json.dumps(
            {"username": username, "password": password, "device_id": device_id, "device_name": "测试手机"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def refresh(raw: str, device_id: str = "phone-1") -> Any:
    return Client().post(
        "/api/v1/auth/device/refresh",
        json.dumps({"refresh": raw, "device_id": device_id}),
        content_type="application/json",
    )


def me(access_token: str) -> int:
    return Client(headers={"Authorization": f"Bearer {access_token}"}).get("/api/v1/auth/me").status_code


def test_sign_in_gives_a_short_lived_access_token_bound_to_the_device(db, password):
    pair = sign_in(password)
    assert me(pair["access"]) == 200
    device = Device.objects.get(pk=pair["device"]["id"])
    assert device.user.username == "gaobo"
    assert device.name == "测试手机"
    token = ApiToken.objects.get(device=device)
    lifetime = token.expires_at - token.created_at
    assert lifetime <= timedelta(minutes=16)
    assert RefreshToken.objects.filter(device=device, used_at=None).count() == 1
    assert AuditEntry.objects.filter(action="login", message__contains=f"device #{device.pk}").exists()


def test_wrong_password_and_bad_device_id_are_refused(db, password):
    response = Client().post(
        "/api/v1/auth/device",
        json.dumps({"username": "gaobo", "password": "nope-nope-nope", "device_id": "p"}),
        content_type="application/json",
    )
    assert response.status_code == 401
    response = Client().post(
        "/api/v1/auth/device",
        json.dumps({"username": "gaobo", "password": password, "device_id": "../../etc"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "device_id" in response.json()["errors"]


def test_refresh_rotates_and_the_spent_token_is_not_accepted_again(db, password):
    first = sign_in(password)
    response = refresh(first["refresh"])
    assert response.status_code == 200
    second = response.json()
    assert second["refresh"] != first["refresh"]
    assert me(second["access"]) == 200
    # A spent token presented again after the grace period: someone else holds a copy.
    RefreshToken.objects.filter(used_at__isnull=False).update(used_at=timezone.now() - timedelta(minutes=5))
    response = refresh(first["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "wipe"
    device = Device.objects.get(pk=first["device"]["id"])
    assert device.revoked_at is not None
    assert "重复使用" in device.revoke_reason
    # Every token of the chain is dead, the legitimate holder's too.
    assert me(second["access"]) == 401
    assert refresh(second["refresh"]).json()["code"] == "wipe"


def test_a_refresh_repeated_at_once_after_a_lost_answer_gets_a_new_pair(db, password):
    first = sign_in(password)
    lost = refresh(first["refresh"]).json()  # the phone never received this answer
    retry = refresh(first["refresh"])
    assert retry.status_code == 200
    again = retry.json()
    assert me(again["access"]) == 200
    # The pair that never arrived cannot be used any more; using it is reuse.
    assert refresh(lost["refresh"]).status_code == 401
    assert Device.objects.get(pk=first["device"]["id"]).revoked_at is not None


def test_refresh_with_another_device_id_or_after_expiry_asks_to_sign_in_again(db, password):
    pair = sign_in(password)
    response = refresh(pair["refresh"], device_id="someone-else")
    assert response.status_code == 401
    assert response.json()["code"] == "signin"
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = refresh(pair["refresh"])
    assert response.json()["code"] == "signin"
    assert refresh("garbage").json()["code"] == "signin"


def test_revoking_a_device_reaches_a_token_already_in_the_cache(db, password, user):
    pair = sign_in(password)
    assert me(pair["access"]) == 200
    assert access.is_cached(pair["access"])
    devices.revoke_device(Device.objects.get(pk=pair["device"]["id"]), by=user("huimin_admin"), reason="丢失")
    assert me(pair["access"]) == 401
    assert refresh(pair["refresh"]).json()["code"] == "wipe"


def test_a_disabled_account_is_told_to_wipe(db, password):
    pair = sign_in(password)
    gaobo = User.objects.get(username="gaobo")
    gaobo.is_active = False
    gaobo.save()
    assert me(pair["access"]) == 401
    response = refresh(pair["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "wipe"


def test_signing_in_again_on_the_same_device_ends_its_earlier_tokens(db, password):
    first = sign_in(password)
    second = sign_in(password)
    assert first["device"]["id"] == second["device"]["id"]
    assert me(first["access"]) == 401
    assert me(second["access"]) == 200
    assert Device.objects.filter(user__username="gaobo", revoked_at=None).count() == 1


def test_sign_out_ends_the_device(db, password):
    pair = sign_in(password)
    client = Client(headers={"Authorization": f"Bearer {pair['access']}"})
    assert client.delete("/api/v1/auth/device").status_code == 204
    assert me(pair["access"]) == 401
    assert refresh(pair["refresh"]).json()["code"] == "wipe"


def test_sign_out_with_a_plain_api_token_is_refused(api):
    assert api("gaobo").delete("/api/v1/auth/device").status_code == 400


# --- the person's page ----------------------------------------------------------------------------


def test_the_person_page_lists_devices_and_an_administrator_revokes_one(db, password, login, user):
    pair = sign_in(password)
    gaobo = user("gaobo")
    page = login("huimin_admin").get(f"/accounts/users/{gaobo.pk}/")
    assert page.status_code == 200
    assert "测试手机" in page.content.decode()
    assert "撤销此设备" in page.content.decode()
    response = login("huimin_admin").post(f"/accounts/devices/{pair['device']['id']}/revoke/")
    assert response.status_code == 302
    device = Device.objects.get(pk=pair["device"]["id"])
    assert device.revoked_by == user("huimin_admin")
    assert me(pair["access"]) == 401
    assert AuditEntry.objects.filter(object_type="accounts.device", action="update").exists()


def test_a_worker_revokes_their_own_lost_phone(db, password, login):
    pair = sign_in(password)
    response = login("gaobo").post(f"/accounts/devices/{pair['device']['id']}/revoke/")
    assert response.status_code == 302
    assert me(pair["access"]) == 401


@pytest.mark.parametrize("outsider", ["laogangfang_worker", "huimin_volunteer"])
def test_outsiders_cannot_revoke_a_device(db, password, login, outsider):
    pair = sign_in(password)
    response = login(outsider).post(f"/accounts/devices/{pair['device']['id']}/revoke/")
    assert response.status_code in (403, 404)
    assert me(pair["access"]) == 200


def test_revoke_needs_post(db, password, login):
    pair = sign_in(password)
    assert login("huimin_admin").get(f"/accounts/devices/{pair['device']['id']}/revoke/").status_code == 405
