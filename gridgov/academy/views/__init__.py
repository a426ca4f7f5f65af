"""Desktop pages of the grid academy (网格学院). Thin: parse, call a service or selector, render.

- courses.py: courses and their material and quiz, lecturers, the academy's front page;
- sessions.py: learning-and-exchange sessions, their QR code for check-in and attendance;
- cases.py: the case library's drafts, review and publishing;
- hours.py: training hours per level against the counties' minimum.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect

from gridgov.accounts.models import User
from gridgov.core.errors import ConflictError


def user_of(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required has checked
    return request.user


def error_lines(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}：{'；'.join(msgs)}" for field, msgs in exc.message_dict.items()]
    return list(exc.messages)


def attempt(
    request: HttpRequest, action: Callable[[], Any], done: str, back: str, **kwargs: Any
) -> HttpResponse:
    """Run a write; on success say so, on refusal show why (a 400 or 409 for htmx and scripts,
    a message on the page it came from otherwise)."""
    try:
        action()
    except ValidationError as exc:
        for line in error_lines(exc):
            messages.error(request, line)
        return _refused(request, back, 400, **kwargs)
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _refused(request, back, 409, **kwargs)
    messages.success(request, done)
    answer: HttpResponse = redirect(back, **kwargs)
    return answer


def _refused(request: HttpRequest, back: str, status: int, **kwargs: Any) -> HttpResponse:
    response: HttpResponseRedirect = redirect(back, **kwargs)
    if request.headers.get("HX-Request"):
        response.status_code = status
    return response
