import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from gridgov.accounts.scope import deny
from gridgov.core.context import set_user


class SessionLifetimeMiddleware:
    """Idle timeout and absolute lifetime for sessions; also hands the user to the audit context."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            login_at = float(session.get("gridgov_login_at", now))
            seen_at = float(session.get("gridgov_seen_at", now))
            if now - seen_at > settings.SESSION_IDLE_TIMEOUT or now - login_at > settings.SESSION_COOKIE_AGE:
                logout(request)
            else:
                if "gridgov_login_at" not in session:
                    session["gridgov_login_at"] = login_at
                # Refresh the idle clock at most once a minute: a session write per request is waste.
                if now - seen_at > 60 or "gridgov_seen_at" not in session:
                    session["gridgov_seen_at"] = now
                set_user(user)
        return self.get_response(request)


class SecondFactorMiddleware:
    """End a session of an account that needs a second factor but was opened without one.

    Sessions are opened through the two-step login (gridgov.accounts.twofactor_views), so this
    catches sessions from before the rule, a privileged role granted during a session, and any
    login path that forgets the second step. Runs after django-otp's OTPMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from gridgov.accounts.twofactor import is_privileged

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and is_privileged(user):
            deny(user, "session without a second factor ended", user)
            logout(request)
        return self.get_response(request)
