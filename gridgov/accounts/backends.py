from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from gridgov.accounts.models import LoginFailure


def is_locked_out(username: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    return (
        LoginFailure.objects.filter(username=username.lower(), at__gte=since).count()
        >= settings.LOGIN_FAILURE_LIMIT
    )


class LockoutModelBackend(ModelBackend):
    """Refuse a username after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_SECONDS.

    Counted per username, not per IP: many grid workers share one carrier's address.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username and is_locked_out(username):
            if request is not None:
                request.gridgov_locked_out = True  # type: ignore[attr-defined]
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
