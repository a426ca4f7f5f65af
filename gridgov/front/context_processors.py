from typing import Any

from django.http import HttpRequest

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import scope_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar offers: only what the user's roles allow."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_can_audit": not scope_of(user, Cap.VIEW_AUDIT).empty,
        "nav_can_manage": not scope_of(user, Cap.MANAGE_HIERARCHY).empty,
        "nav_can_registry": not scope_of(user, Cap.EDIT_REGISTRY).empty
        or not scope_of(user, Cap.SEE_PII).empty,
        "nav_can_events": not scope_of(user, Cap.REPORT_EVENT).empty
        or not scope_of(user, Cap.DEPARTMENT_WORK).empty
        or not scope_of(user, Cap.HANDLE_EVENT).empty,
    }
