from typing import Any

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """HTTP 409: the request is valid but not now (illegal state transition, duplicate, …)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class PreconditionFailed(ConflictError):
    """HTTP 412: the client's If-Match version is stale; someone else saved first."""


def validation_payload(exc: ValidationError) -> dict[str, Any]:
    """{"detail": "...", "errors": {"field": ["message", …]}} naming every bad field."""
    if hasattr(exc, "error_dict"):
        errors = {
            field: [str(m) for m in ValidationError(msgs).messages] for field, msgs in exc.error_dict.items()
        }
        first_field, first_messages = next(iter(errors.items()))
        return {"detail": f"{first_field}: {first_messages[0]}", "errors": errors}
    return {"detail": "; ".join(exc.messages), "errors": {"__all__": exc.messages}}
