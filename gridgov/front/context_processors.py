from typing import Any

from django.http import HttpRequest

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import principal_of
from gridgov.notifications.selectors import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the navigation bar offers: only what the user's roles allow, and the unread count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    who = principal_of(user)
    return {
        "nav_can_audit": who.has(Cap.VIEW_AUDIT),
        "nav_can_manage": who.has(Cap.MANAGE_HIERARCHY),
        "nav_can_registry": who.has(Cap.VIEW_REGISTRY),
        "nav_can_events": who.has(Cap.REPORT_EVENT)
        or who.has(Cap.DEPARTMENT_WORK)
        or who.has(Cap.HANDLE_EVENT),
        "nav_department": bool(who.org_ids),
        # Visits, tasks, screening and work logs for those who lead grids (workers use the app).
        "nav_grid_work": who.has(Cap.HANDLE_EVENT)
        or any(a.role in ("grid_chief", "grid_instructor") for a in who.assignments),
        "nav_can_workforce": who.has(Cap.MANAGE_STAFF),
        # Supervision and inspection: the centres that plan and inspect (workers use the app).
        "nav_can_inspect": who.has(Cap.HANDLE_EVENT),
        "nav_can_patrols": who.has(Cap.VIEW_TRACKS),
        "nav_unread": unread_count(user),
    }
