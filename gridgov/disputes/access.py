"""Refusing dispute writes to those who do not work on the dispute (the services are wrapped in
`gridgov.audit.services.logs_failures`, which logs the refusal)."""

from typing import Any

from django.core.exceptions import PermissionDenied

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import allows
from gridgov.disputes.models import Dispute


def can_work_on(user: Any, dispute: Dispute) -> bool:
    """Whether `user` works on the dispute (the door's rule for disputes, `Cap.MEDIATE`)."""
    return allows(user, dispute, Cap.MEDIATE)


def require_work(user: Any, dispute: Dispute, what: str) -> None:
    """Raise PermissionDenied (logged by `logs_failures` around the service) unless `user` works on it."""
    if not can_work_on(user, dispute):
        raise PermissionDenied(f"只有本纠纷的调解团队、上报人或辖区综治中心可以{what}")
