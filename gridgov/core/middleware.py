import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from gridgov.core.context import ActorContext, _current

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def channel_for(path: str) -> str:
    if path.startswith("/api/") or path.startswith("/open311/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


class RequestContextMiddleware:
    """Give every request an id (echoed in X-Request-ID) and record who/where for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        ctx = ActorContext(ip=client_ip(request), request_id=request_id, channel=channel_for(request.path))
        token = _current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


