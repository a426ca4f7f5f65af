"""Tokens for the grid worker's app: a short-lived access token and a rotating refresh token,
both bound to a device (`Device`), revocable per device.

- `sign_in` checks nothing itself (the caller authenticated the password) and gives the device a
  pair; signing in again from the same device replaces its chain.
- `refresh` spends a refresh token and gives the next pair. A spent token presented again is
  reuse: someone else holds a copy, so the device is revoked. One exception keeps a phone on a
  bad network from locking itself out: the answer to a refresh can be lost, and the app then
  sends the same token again. Within `REUSE_GRACE` seconds, and if the token issued in its place
  was never used, that retry gets a fresh pair instead (the unused successor is spent).
- `revoke_device` ends every token of the device at once: the access generation moves in the same
  transaction (gridgov.accounts.access), so every server process refuses them at the next
  request, and the device's next refresh answers `DeviceGone`, which the app takes as "wipe".
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.accounts import access
from gridgov.accounts.models import ApiToken, Device, RefreshToken, User, hash_token
from gridgov.audit.models import Action
from gridgov.audit.services import record

# Seconds within which a spent refresh token may be presented again (its answer was lost).
REUSE_GRACE = 60
# How often `touch` writes a device's last-seen time (not on every request).
SEEN_EVERY = timedelta(minutes=5)


class DeviceGone(Exception):
    """The device may no longer be used (revoked, account disabled, token reused or expired).

    `wipe` says whether the app must erase what it holds: always, except for an expired or
    unknown refresh token, after which the person only signs in again."""

    def __init__(self, message: str, *, wipe: bool) -> None:
        super().__init__(message)
        self.message = message
        self.wipe = wipe


@dataclass(frozen=True)
class TokenPair:
    device: Device
    access: str
    access_expires_at: datetime
    refresh: str
    refresh_expires_at: datetime


def _issue(device: Device, now: datetime) -> tuple[TokenPair, RefreshToken]:
    token, raw_access = ApiToken.issue(
        device.user, f"app:{device.name}"[:100], device=device, lifetime=settings.APP_ACCESS_TOKEN_LIFETIME
    )
    raw_refresh = secrets.token_urlsafe(32)
    row = RefreshToken.objects.create(
        device=device,
        token_hash=hash_token(raw_refresh),
        expires_at=now + timedelta(seconds=settings.APP_REFRESH_TOKEN_LIFETIME),
    )
    pair = TokenPair(
        device=device,
        access=raw_access,
        access_expires_at=token.expires_at,
        refresh=raw_refresh,
        refresh_expires_at=row.expires_at,
    )
    return pair, row


def _clean_device_id(device_id: str) -> str:
    from django.core.exceptions import ValidationError

    value = (device_id or "").strip()
    if not value or len(value) > 64 or not all(c.isalnum() or c in "-_" for c in value):
        raise ValidationError({"device_id": "设备标识必须是 1–64 位字母、数字、- 或 _"})
    return value


@transaction.atomic
def sign_in(
    *, user: User, device_id: str, name: str, user_agent: str = "", ip: str | None = None
) -> TokenPair:
    """A pair for `user` on this device (made on first sign-in; an earlier chain of it is ended)."""
    device_id = _clean_device_id(device_id)
    now = timezone.now()
    device = (
        Device.objects.select_for_update().filter(user=user, device_id=device_id, revoked_at=None).first()
    )
    if device is None:
        device = Device.objects.create(
            user=user,
            device_id=device_id,
            name=(name or "").strip()[:100] or "手机",
            user_agent=user_agent[:300],
            last_seen_at=now,
            last_ip=ip,
        )
    else:
        _end_tokens(device, now)
        Device.objects.filter(pk=device.pk).update(last_seen_at=now, last_ip=ip, user_agent=user_agent[:300])
    pair, _row = _issue(device, now)
    record(
        Action.LOGIN,
        user,
        user=user,
        changes={"device": [None, device.name]},
        message=f"app sign-in on device #{device.pk} ({device.name})",
    )
    return pair


def _end_tokens(device: Device, now: datetime) -> None:
    device.access_tokens.filter(revoked_at=None).update(revoked_at=now)
    device.refresh_tokens.filter(used_at=None).update(used_at=now)
    access.bump()


def refresh(*, raw: str, device_id: str, ip: str | None = None) -> TokenPair:
    """The next pair for a refresh token; DeviceGone when it may not be used (see the module doc).

    A refused refresh still leaves its consequences (a reused chain revoked), so the decision is
    committed before the error goes up."""
    outcome: TokenPair | DeviceGone
    with transaction.atomic():
        outcome = _refresh(raw=raw, device_id=device_id, ip=ip)
    if isinstance(outcome, DeviceGone):
        raise outcome
    return outcome


def _refresh(*, raw: str, device_id: str, ip: str | None) -> "TokenPair | DeviceGone":
    now = timezone.now()
    found = (
        RefreshToken.objects.select_for_update(of=("self",))
        .select_related("device__user", "replaced_by")
        .filter(token_hash=hash_token(raw or ""))
        .first()
    )
    if found is None or found.device.device_id != (device_id or "").strip():
        return DeviceGone("登录已失效，请重新登录", wipe=False)
    device = found.device
    if device.revoked_at is not None:
        return DeviceGone("此设备已被撤销，本机数据已清除", wipe=True)
    if not device.user.is_active:
        return DeviceGone("账号已停用，本机数据已清除", wipe=True)
    if found.used_at is not None:
        successor = found.replaced_by
        if (
            successor is not None
            and successor.used_at is None
            and found.used_at > now - timedelta(seconds=REUSE_GRACE)
        ):
            # The answer to the first use was lost; the successor never reached the app.
            successor.used_at = now
            successor.save(update_fields=["used_at"])
            return _rotate(found, device, now, ip, retry=True)
        revoke_device(device, by=None, reason="刷新令牌被重复使用（疑似泄露）")
        return DeviceGone("登录凭据被重复使用，设备已撤销，本机数据已清除", wipe=True)
    if found.expires_at <= now:
        return DeviceGone("登录已过期，请重新登录", wipe=False)
    found.used_at = now
    found.save(update_fields=["used_at"])
    return _rotate(found, device, now, ip, retry=False)


def _rotate(spent: RefreshToken, device: Device, now: datetime, ip: str | None, *, retry: bool) -> TokenPair:
    pair, row = _issue(device, now)
    RefreshToken.objects.filter(pk=spent.pk).update(replaced_by=row)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now, last_ip=ip)
    if retry:
        record(
            Action.UPDATE,
            device,
            user=device.user,
            message=f"refresh of device #{device.pk} repeated within {REUSE_GRACE}s (lost answer)",
        )
    return pair


@transaction.atomic
def revoke_device(device: Device, *, by: Any, reason: str) -> Device:
    """End the device: its tokens are refused from the next request on, in every process."""
    now = timezone.now()
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.revoked_at is not None:
        return device
    device.revoked_at = now
    device.revoked_by = by if getattr(by, "pk", None) else None
    device.revoke_reason = reason[:200]
    device.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    _end_tokens(device, now)
    return device


def sign_out(device: Device, *, user: User) -> None:
    """The app's own sign-out: the device is ended like a revocation, by its owner."""
    revoke_device(device, by=user, reason="用户在手机上退出登录")
    record(Action.LOGOUT, user, user=user, message=f"app sign-out on device #{device.pk}")


def touch(device_id: int, ip: str | None) -> None:
    """Note that the device was used (at most every SEEN_EVERY; no audit row: it is not a change)."""
    now = timezone.now()
    Device.objects.filter(pk=device_id).exclude(last_seen_at__gt=now - SEEN_EVERY).update(
        last_seen_at=now, last_ip=ip
    )


def devices_of(person: User) -> list[Device]:
    return list(person.devices.select_related("revoked_by").order_by("revoked_at", "-last_seen_at", "-pk"))
