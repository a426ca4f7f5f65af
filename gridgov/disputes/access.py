"""Who may work on a dispute (beyond seeing it, which `selectors.disputes_for` decides)."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can
from gridgov.audit.services import record_denied
from gridgov.disputes.models import Dispute


def is_team_member(user: Any, dispute: Dispute) -> bool:
    return bool(getattr(user, "pk", None)) and dispute.team.filter(user_id=user.pk).exists()


def handles_event(user: Any, dispute: Dispute) -> bool:
    """A member of an organisation the event is dispatched to (lead or co-handler)."""
    return dispute.event.assignments.filter(active=True, organisation__members__user_id=user.pk).exists()


def can_work_on(user: Any, dispute: Dispute) -> bool:
    """The centres over the place, the reporter, the mediation team and the organisations the
    event is dispatched to work on a dispute."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return (
        can(user, Cap.HANDLE_EVENT, dispute.path)
        or dispute.event.reporter_id == user.pk
        or is_team_member(user, dispute)
        or handles_event(user, dispute)
    )


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
