"""Domain errors every layer may raise; the API maps them to HTTP statuses (gridgov.api.site).

Bad input is Django's `ValidationError({field: message})` (HTTP 400 naming the field), a
refusal is `PermissionDenied` (403) or `Http404` (404, for objects outside the caller's scope).
"""

from typing import Any


class ConflictError(Exception):
    """HTTP 409: the request is valid but not now (illegal state transition, duplicate, …)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class PreconditionFailed(ConflictError):
    """HTTP 412: the client's If-Match version is stale; someone else saved first."""


class LimitReached(Exception):
    """HTTP 429: a per-person limit (named in the message) is used up for now."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra
