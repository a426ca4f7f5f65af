from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from gridgov.accounts.models import ApiToken
from gridgov.core.context import set_user


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` from `POST /api/v1/auth/token`; expired or revoked tokens fail."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.find(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        set_user(found.user)
        return found.user
