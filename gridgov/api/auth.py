from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from gridgov.accounts import access
from gridgov.core.context import set_user


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` from `POST /api/v1/auth/token`; expired or revoked tokens fail."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = access.token_user(token)
        if found is None:
            return None
        api_token, user = found
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        set_user(user)
        return user
