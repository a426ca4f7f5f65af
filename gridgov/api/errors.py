"""How the API words a ValidationError (400): every bad field named."""

from typing import Any

from django.core.exceptions import ValidationError


def validation_payload(exc: ValidationError) -> dict[str, Any]:
    """{"detail": "...", "errors": {"field": ["message", …]}} naming every bad field."""
    if hasattr(exc, "error_dict"):
        errors = {
            field: [str(m) for m in ValidationError(msgs).messages] for field, msgs in exc.error_dict.items()
        }
        first_field, first_messages = next(iter(errors.items()))
        return {"detail": f"{first_field}: {first_messages[0]}", "errors": errors}
    return {"detail": "; ".join(exc.messages), "errors": {"__all__": exc.messages}}
