from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Router, Schema, Status

from gridgov.accounts import services
from gridgov.accounts.roles import Role
from gridgov.api.auth import BearerToken
from gridgov.core.context import set_user

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str
    label: str = ""


class TokenOut(Schema):
    token: str
    expires_at: str
    username: str


class Error(Schema):
    detail: str


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


@router.post("/token", auth=None, response={200: TokenOut, 401: Error})
def create_token(request: HttpRequest, body: TokenIn) -> Status[dict[str, str]]:
    """Exchange a username and password for a bearer token that expires (and can be revoked)."""
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
    set_user(user)
    token, raw = services.issue_token(user, body.label)
    return Status(200, {"token": raw, "expires_at": token.expires_at.isoformat(), "username": user.username})


@router.delete("/token", auth=BearerToken(), response={204: None})
def revoke_token(request: HttpRequest) -> Status[None]:
    """Revoke the token this request was made with."""
    services.revoke_token(request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, object]:
    user = request.user
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
            for a in user.assignments.select_related("node")  # type: ignore[union-attr]
        ],
    }
