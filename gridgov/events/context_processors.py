from typing import Any

from django.http import HttpRequest

from gridgov.accounts.scope import principal_of
from gridgov.events import selectors


def inbox(request: HttpRequest) -> dict[str, Any]:
    """The unread notification count and whether to link the department inbox, for the nav bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    return {"nav_unread": selectors.unread_count(user), "nav_department": bool(principal_of(user).org_ids)}
