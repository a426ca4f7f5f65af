import json
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import add_never_cache_headers

from gridgov.core import inputs
from gridgov.core.context import ActorContext, _current

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Submitted field names are logged for a failed write, never their values (they may be ID
# numbers or passwords); these are noise.
_IGNORED_FIELDS = {"csrfmiddlewaretoken"}


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def channel_for(path: str) -> str:
    if path.startswith("/api/") or path.startswith("/open311/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


def _submitted_fields(request: HttpRequest) -> list[str]:
    try:
        if request.content_type == "application/json":
            return sorted(str(key) for key in inputs.request_object(request))
        return sorted(set(request.POST) - _IGNORED_FIELDS)
    except Exception:  # an unreadable body is itself the failure; the status says why
        return []


def _detail(response: HttpResponse) -> str:
    if response.get("Content-Type", "").startswith("application/json") and not getattr(
        response, "streaming", False
    ):
        try:
            body = json.loads(response.content)
        except ValueError:
            return ""
        if isinstance(body, dict):
            return str(body.get("detail", ""))
    return ""


def _failure_logged() -> bool:
    from gridgov.audit.services import failure_logged

    return failure_logged()


def log_failed_write(request: HttpRequest, response: HttpResponse) -> None:
    """A write that did not succeed (4xx/5xx) and that nothing else logged: record it as failed."""
    from gridgov.audit.models import Action
    from gridgov.audit.services import record_failure

    if response.status_code in {401, 403}:
        action = Action.DENIED
    else:
        action = {"DELETE": Action.DELETE, "POST": Action.CREATE}.get(request.method or "", Action.UPDATE)
    match = getattr(request, "resolver_match", None)
    detail = _detail(response)
    record_failure(
        action,
        object_type=f"view:{match.view_name}"[:64] if match is not None else "",
        object_repr=f"{request.method} {request.path}"[:200],
        changes={"submitted_fields": _submitted_fields(request)},
        message=f"HTTP {response.status_code}" + (f": {detail}" if detail else f" {response.reason_phrase}"),
    )


class RequestContextMiddleware:
    """Give every request an id (echoed in X-Request-ID) and record who/where for the audit log.

    Successful writes are logged next to the data (audit signals); denied access by the scope
    helpers; a write that fails in any other way (validation, conflict, CSRF, crash) is logged
    here, once, with success=False.
    """

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
            # 429 is left to the rate limiter, which logs the first refusal of a window only.
            if (
                request.method not in _SAFE_METHODS
                and response.status_code >= 400
                and response.status_code != 429
                and not _failure_logged()
            ):
                log_failed_write(request, response)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _unstorable_field(request: HttpRequest) -> str | None:
    if inputs.has_unstorable(request.path):
        return "path"
    field = inputs.first_unstorable_pair((k, v) for k, values in request.GET.lists() for v in values)
    if field is not None:
        return field
    if request.method in _SAFE_METHODS:
        return None
    content_type = request.content_type or ""
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        return inputs.first_unstorable_pair((k, v) for k, values in request.POST.lists() for v in values)
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return inputs.first_unstorable_field(inputs.request_json(request))
        except inputs.JSONRefused:
            return None  # the parser behind answers that with a 400 saying why
    return None


class RefuseUnstorableTextMiddleware:
    """Refuse, with a 400 naming the field, text the database cannot store (see core.inputs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            field = _unstorable_field(request)
        except UnicodeDecodeError:
            field = "body"
        if field is None:
            return self.get_response(request)
        field = inputs.printable(field)
        if request.path.startswith(("/api/", "/open311/")):
            detail = f"{field}: {inputs.MESSAGE}"
            return JsonResponse({"detail": detail, "errors": {field: [inputs.MESSAGE]}}, status=400)
        return HttpResponseBadRequest(f"{field}：{inputs.MESSAGE}", content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """Every answer the application makes is `Cache-Control: no-store` unless its view said otherwise.

    Pages, API answers, exports and photos hold personal data; no browser, proxy or shared cache may
    keep them. A view that serves nothing personal (the app's shell, its service worker) sets its
    own Cache-Control and keeps it; static files never reach this middleware (WhiteNoise answers
    them first). A default rather than a decorator per view, so a new view cannot forget it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
