from typing import cast

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from gridgov.accounts import devices, services, twofactor
from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.api.auth import BearerToken
from gridgov.core.context import set_user

router = Router(tags=["auth"])


# The second factor of accounts that need one (gridgov.accounts.twofactor): the authenticator's
# 6-digit code or a recovery code.
OTP_FIELD = Field("", max_length=40, description="one-time code: required for privileged accounts")


class TokenIn(Schema):
    username: str
    password: str
    label: str = ""
    otp: str = OTP_FIELD


class TokenOut(Schema):
    token: str
    expires_at: str
    username: str


class Error(Schema):
    detail: str


class OtpError(Schema):
    detail: str
    code: str = Field(description="otp_required, otp_invalid, otp_enrol or locked")


class AssignmentOut(Schema):
    role: str
    role_name: str
    node_id: int
    node_name: str
    node_code: str


class MeOut(Schema):
    username: str
    full_name: str
    assignments: list[AssignmentOut]


@router.post("/token", auth=None, response={200: TokenOut, 401: Error | OtpError, 403: OtpError})
def create_token(request: HttpRequest, body: TokenIn) -> Status[dict[str, str]]:
    """Exchange a username and password (and, for privileged accounts, `otp`: a one-time code)
    for a bearer token that expires (and can be revoked)."""
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        locked = getattr(request, "gridgov_locked_out", False)
        return Status(
            401,
            {
                "detail": "account locked after repeated failures; try later"
                if locked
                else "username or password is wrong"
            },
        )
    refused = twofactor.check_api_sign_in(user, body.otp, ip=_ip(request))
    if refused is not None:
        return Status(refused.status, {"detail": refused.detail, "code": refused.code})
    set_user(user)
    token, raw = services.issue_token(user, body.label)
    return Status(200, {"token": raw, "expires_at": token.expires_at.isoformat(), "username": user.username})


@router.delete("/token", auth=BearerToken(), response={204: None})
def revoke_token(request: HttpRequest) -> Status[None]:
    """Revoke the token this request was made with."""
    services.revoke_token(request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


class DeviceSignInIn(Schema):
    username: str
    password: str
    device_id: str
    device_name: str = ""
    otp: str = OTP_FIELD


class DeviceOut(Schema):
    id: int
    name: str


class TokenPairOut(Schema):
    access: str
    access_expires_at: str
    refresh: str
    refresh_expires_at: str
    device: DeviceOut
    username: str
    full_name: str


class RefreshIn(Schema):
    refresh: str
    device_id: str


class DeviceError(Schema):
    detail: str
    code: str


def _pair_out(pair: devices.TokenPair) -> dict[str, object]:
    user = pair.device.user
    return {
        "access": pair.access,
        "access_expires_at": pair.access_expires_at.isoformat(),
        "refresh": pair.refresh,
        "refresh_expires_at": pair.refresh_expires_at.isoformat(),
        "device": {"id": pair.device.pk, "name": pair.device.name},
        "username": user.username,
        "full_name": user.full_name,
    }


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@router.post("/device", auth=None, response={200: TokenPairOut, 401: Error | OtpError, 403: OtpError})
def device_sign_in(request: HttpRequest, body: DeviceSignInIn) -> Status[dict[str, object]]:
    """The app's sign-in: a short-lived access token and a refresh token bound to this device
    (`device_id`: the random id the app made on first start; `device_name`: how it calls itself)."""
    user = authenticate(request, username=body.username, password=body.password)
    if user is None:
        locked = getattr(request, "gridgov_locked_out", False)
        return Status(401, {"detail": "账号因多次失败已锁定，请稍后再试" if locked else "用户名或密码错误"})
    refused = twofactor.check_api_sign_in(user, body.otp, ip=_ip(request))
    if refused is not None:
        return Status(refused.status, {"detail": refused.detail, "code": refused.code})
    set_user(user)
    pair = devices.sign_in(
        user=user,
        device_id=body.device_id,
        name=body.device_name,
        user_agent=request.headers.get("User-Agent", ""),
        ip=_ip(request),
    )
    return Status(200, _pair_out(pair))


@router.post("/device/refresh", auth=None, response={200: TokenPairOut, 401: DeviceError})
def device_refresh(request: HttpRequest, body: RefreshIn) -> Status[dict[str, object]]:
    """Spend the refresh token for the next pair (the old one is then spent). 401 with
    `code: "wipe"` when the device was revoked, the account disabled or the token reused: the app
    then erases its data; `code: "signin"` when the token expired: the person signs in again."""
    try:
        pair = devices.refresh(raw=body.refresh, device_id=body.device_id, ip=_ip(request))
    except devices.DeviceGone as gone:
        return Status(401, {"detail": gone.message, "code": "wipe" if gone.wipe else "signin"})
    set_user(pair.device.user)
    return Status(200, _pair_out(pair))


@router.delete("/device", auth=BearerToken(), response={204: None, 400: Error})
def device_sign_out(request: HttpRequest) -> Status[object]:
    """Sign this device out: every token of it ends (the app erases its data itself)."""
    device = getattr(request.api_token, "device", None)  # type: ignore[attr-defined]
    if device is None:
        return Status(400, {"detail": "此令牌不属于手机应用设备"})
    devices.sign_out(device, user=request.user)  # type: ignore[arg-type]
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    user = cast(User, request.user)  # authenticated: the router's auth has checked
    names = dict(Role.choices)
    return {
        "username": user.username,
        "full_name": getattr(user, "full_name", ""),
        "assignments": [
            {
                "role": a.role,
                "role_name": str(names[a.role]),
                "node_id": a.node_id,
                "node_name": a.node.name,
                "node_code": a.node.code,
            }
            for a in user.assignments.select_related("node")
        ],
    }
