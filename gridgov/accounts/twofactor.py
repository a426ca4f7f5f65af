"""The second factor: TOTP (an authenticator app) plus single-use recovery codes, via django-otp.

Who needs it: city and county administrators, auditors and system administrators — whoever can
see or change a whole county or more, or the audit trail — and anyone else who enrolled of
their own accord. They pass it at every way in: the login page (a second step after the
password), the admin (which logs in through that page) and the API's token and app sign-in
(`otp` in the body). `SecondFactorMiddleware` ends any session of a privileged account that was
opened without it (a session from before the rule, a role granted during a session).

A wrong code counts as a failed login of the username, so codes and passwords share one
lock-out (LOGIN_FAILURE_LIMIT per LOGIN_LOCKOUT_SECONDS). A TOTP code is accepted once (the
device remembers the last time step used); a recovery code is deleted when used.
"""

import re
import secrets
from dataclasses import dataclass

import segno
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device as OtpDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.accounts.backends import is_locked_out
from gridgov.accounts.models import LoginFailure, User
from gridgov.accounts.roles import Role
from gridgov.accounts.scope import principal_of
from gridgov.audit.models import Action
from gridgov.audit.services import record

# Roles whose accounts must pass a second factor (plus every superuser).
PRIVILEGED_ROLES = frozenset({Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR})
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "身份验证器"
RECOVERY_DEVICE_NAME = "恢复码"
_TOTP_CODE = re.compile(r"[0-9]{6}")
# Recovery codes: 10 lowercase base32 characters (shown as xxxxx-xxxxx); up to 16 stored.
_RECOVERY_CODE = re.compile(r"[a-z0-9]{6,16}")


class Locked(Exception):
    """Too many failed logins (passwords or codes) for this username: try later."""


@dataclass(frozen=True)
class Verified:
    device: OtpDevice
    kind: str  # "totp" or "recovery"
    recovery_codes_left: int | None = None


def is_privileged(user: User) -> bool:
    """Superusers and holders of a privileged role (read once per user object)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(a.role in PRIVILEGED_ROLES for a in principal_of(user).assignments)


def authenticator(user: User) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if they enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def needs_second_factor(user: User) -> bool:
    return is_privileged(user) or authenticator(user) is not None


def normalise_code(raw: str) -> str:
    """What a person types, as stored: digits of a TOTP code, or a recovery code without the
    separators and spaces people add when copying it (full-width characters folded)."""
    folded = raw.translate({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
    return re.sub(r"[\s\-_.·]", "", folded).lower()


def _fail(user: User, ip: str | None, message: str) -> None:
    LoginFailure.objects.create(username=user.username.lower(), ip=ip)
    record(
        Action.LOGIN_FAILED,
        user,
        user=user,
        object_type="accounts.user",
        object_repr=user.username,
        success=False,
        message=message,
    )


def verify_code(user: User, raw: str, *, ip: str | None = None) -> Verified | None:
    """Check a one-time code (TOTP or recovery) for `user`; a wrong one is a failed login.

    Raises Locked when the username is locked out, even for a right code.
    """
    if is_locked_out(user.username):
        raise Locked
    code = normalise_code(raw or "")[:32]
    verified: Verified | None = None
    with transaction.atomic():
        if _TOTP_CODE.fullmatch(code):
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if device is not None and device.verify_token(code):
                verified = Verified(device, "totp")
        elif _RECOVERY_CODE.fullmatch(code):
            static = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if static is not None and static.verify_token(code):
                left = static.token_set.count()
                verified = Verified(static, "recovery", left)
                record(
                    Action.UPDATE,
                    user,
                    object_type="accounts.recoverycode",
                    object_repr=user.username,
                    changes={"recovery_codes_left": left},
                    message="recovery code used (each works once)",
                )
    if verified is None:
        _fail(user, ip, "bad one-time code")
    return verified


def pending_authenticator(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (made once, so the QR code stays the same)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (no script; the CSP allows data: images)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app that cannot scan."""
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _new_recovery_codes(user: User) -> list[str]:
    static, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": RECOVERY_DEVICE_NAME, "confirmed": True}
    )
    static.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


def confirm_enrolment(user: User, device: TOTPDevice, raw: str, *, ip: str | None = None) -> list[str] | None:
    """Confirm the app with a code it shows; the old app (if any) is removed and fresh recovery
    codes made. Returns the codes (shown once), or None for a wrong code (a failed login)."""
    if is_locked_out(user.username):
        raise Locked
    code = normalise_code(raw or "")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not (_TOTP_CODE.fullmatch(code) and device.verify_token(code)):
            ok = False
        else:
            ok = True
            replaced = TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk)
            had = replaced.exists()
            replaced.delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(user)
            record(
                Action.UPDATE,
                user,
                object_type="accounts.secondfactor",
                object_repr=user.username,
                changes={"authenticator": ["replaced" if had else "none", "enrolled"]},
                message=f"second factor {'replaced' if had else 'enrolled'}; {len(codes)} new recovery codes",
            )
    if not ok:
        _fail(user, ip, "bad one-time code while enrolling")
        return None
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code (after a fresh code check by the caller)."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record(
            Action.UPDATE,
            user,
            object_type="accounts.recoverycode",
            object_repr=user.username,
            changes={"recovery_codes_left": len(codes)},
            message="recovery codes replaced",
        )
    return codes


def remove_second_factor(user: User) -> None:
    """Turn the second factor off; only for accounts that do not need it."""
    if is_privileged(user):
        raise ValueError(_("该账号的角色要求两步验证，不能关闭"))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        record(
            Action.UPDATE,
            user,
            object_type="accounts.secondfactor",
            object_repr=user.username,
            changes={"authenticator": ["enrolled", "none"]},
            message="second factor removed",
        )


def reset_second_factor(person: User) -> None:
    """An administrator's reset for a lost phone and lost recovery codes: the authenticator and
    the codes go; an account that needs a second factor enrols a new one at its next login."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=person).delete()
        StaticDevice.objects.filter(user=person).delete()
        record(
            Action.UPDATE,
            person,
            object_type="accounts.secondfactor",
            object_repr=person.username,
            changes={"authenticator": ["enrolled", "reset"]},
            message="second factor reset by an administrator",
        )


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


@dataclass(frozen=True)
class ApiRefusal:
    status: int
    detail: str
    code: str


def check_api_sign_in(user: User, otp: str, *, ip: str | None = None) -> ApiRefusal | None:
    """For token and app sign-in after a right password: None when no second factor is needed or
    `otp` is right; else why not (401 missing/wrong/locked, 403 not enrolled yet)."""
    if not needs_second_factor(user):
        return None
    if authenticator(user) is None:
        return ApiRefusal(
            403, "该账号的角色要求两步验证：请先在网页登录（/accounts/login/）绑定身份验证器", "otp_enrol"
        )
    if not otp.strip():
        return ApiRefusal(
            401, "该账号需要两步验证：请在 otp 中提供验证器上的 6 位验证码或一个恢复码", "otp_required"
        )
    try:
        verified = verify_code(user, otp, ip=ip)
    except Locked:
        return ApiRefusal(401, "账号因多次失败已锁定，请稍后再试", "locked")
    if verified is None:
        return ApiRefusal(401, "验证码不正确或已使用过", "otp_invalid")
    return None
