"""Refusing dispute writes to those who do not work on the dispute, and logging the refusal."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import allows
from gridgov.audit.services import record_denied
from gridgov.disputes.models import Dispute


def can_work_on(user: Any, dispute: Dispute) -> bool:
    """Whether `user` works on the dispute (the door's rule for disputes, `Cap.MEDIATE`)."""
    return allows(user, dispute, Cap.MEDIATE)


def require_work(user: Any, dispute: Dispute, what: str) -> None:
    """Raise PermissionDenied (logged by `logs_denials` around the service) unless `user` works on it."""
    if not can_work_on(user, dispute):
        raise PermissionDenied(f"只有本纠纷的调解团队、上报人或辖区综治中心可以{what}")


F = TypeVar("F", bound=Callable[..., Any])


def logs_denials(func: F) -> F:
    """Write a refused dispute write to the audit log outside the service's rolled-back transaction."""

    @functools.wraps(func)
    def wrapper(dispute: Dispute, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(dispute, *args, **kwargs)
        except PermissionDenied as exc:
            user = kwargs.get("user")
            record_denied(
                dispute,
                message=f"{func.__name__}: {exc}"[:500],
                user=user if getattr(user, "is_authenticated", False) else None,
            )
            raise

    return wrapper  # type: ignore[return-value]
