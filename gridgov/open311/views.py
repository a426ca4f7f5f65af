"""Open311 GeoReport v2 at /open311/v2/: discovery, services, service definitions, requests (POST
and GET), one request, tokens; `.json` or `.xml`; errors as [{code, description}].

One jurisdiction (the city, settings.GRIDGOV_CITY_CODE): `jurisdiction_id` is optional, and any
other value is 404. POST needs an `api_key` (403 without a valid one). Too many requests from one
client IP, or POSTs with one api_key, in a minute get 429 with Retry-After (gridgov.open311.ratelimit).
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.context import set_user
from gridgov.core.errors import ConflictError
from gridgov.open311 import ratelimit, selectors
from gridgov.open311.models import Client
from gridgov.open311.render import error, respond
from gridgov.open311.services import Open311Error, Submission, submit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-03-01T00:00:00+08:00"

View = Callable[..., HttpResponse]


def _param(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name) if request.method == "POST" else None
    return (value if value is not None else request.GET.get(name, "")).strip()


def open311_view(methods: tuple[str, ...]) -> Callable[[View], View]:
    """Rate limits, method check, the jurisdiction, and Open311Error → [{code, description}] in
    the right format."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, format: str, **kwargs: Any) -> HttpResponse:
            exceeded = ratelimit.check(request, _param(request, "api_key"))
            if exceeded is not None:
                response = error(429, exceeded.description, format)
                response["Retry-After"] = str(exceeded.retry_after)
                return response
            if request.method not in methods:
                response = error(
                    405, f"method {request.method} not allowed; use {' or '.join(methods)}", format
                )
                response["Allow"] = ", ".join(methods)
                return response
            jurisdiction = _param(request, "jurisdiction_id")
            if jurisdiction and jurisdiction != settings.GRIDGOV_CITY_CODE:
                return error(
                    404,
                    f"jurisdiction_id {jurisdiction!r} not found; this server serves "
                    f"{settings.GRIDGOV_CITY_CODE}",
                    format,
                )
            try:
                return view(request, *args, format=format, **kwargs)
            except Open311Error as exc:
                return error(exc.status, exc.description, format)

        return wrapper

    return decorate


def _client(request: HttpRequest, *, required: bool) -> Client | None:
    raw = _param(request, "api_key")
    if not raw:
        if required:
            raise Open311Error(403, "api_key was not provided")
        return None
    client = Client.objects.find(raw)
    if client is None:
        record(
            Action.DENIED,
            object_type="open311.client",
            success=False,
            message=f"invalid Open311 api_key ({raw[:4]}…) on {request.path}",
        )
        raise Open311Error(403, "api_key is invalid")
    set_user(client.user)
    return client


@open311_view(("GET",))
def discovery(request: HttpRequest, format: str) -> HttpResponse:
    url = request.build_absolute_uri("/open311/v2/")
    return respond(
        {
            "changeset": CHANGESET,
            "contact": "呼和浩特市综治中心 0471-12345",
            "key_service": "API keys are issued by the city's governance centre (gridgov admin: Open311 客户端)",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": url.rstrip("/"),
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
        format,
        root="discovery",
    )


@open311_view(("GET",))
def service_list(request: HttpRequest, format: str) -> HttpResponse:
    return respond(selectors.service_list(), format, root="services")


@open311_view(("GET",))
def service_definition(request: HttpRequest, service_code: str, format: str) -> HttpResponse:
    category = selectors.service(service_code)
    if category is None:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    return respond(selectors.definition(category), format, root="service_definition")


def _dates(request: HttpRequest) -> tuple[datetime | None, datetime | None]:
    found: list[datetime | None] = []
    for name in ("start_date", "end_date"):
        raw = request.GET.get(name, "").strip()
        if not raw:
            found.append(None)
            continue
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is None:
            raise Open311Error(400, f"{name} must be a W3C date-time such as 2026-03-12T19:40:00+08:00")
        found.append(value if timezone.is_aware(value) else timezone.make_aware(value))
    return found[0], found[1]


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


@open311_view(("GET", "POST"))
def requests(request: HttpRequest, format: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, format)
    client = _client(request, required=False)
    statuses = [s.lower() for s in _split(request.GET.get("status", ""))]
    if set(statuses) - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or open,closed")
    start, end = _dates(request)
    events = selectors.find_requests(
        client,
        ids=_split(request.GET.get("service_request_id", "")),
        codes=_split(request.GET.get("service_code", "")),
        start=start,
        end=end,
        statuses=statuses,
    )
    return respond([selectors.request_dict(e) for e in events], format, root="service_requests")


def _create(request: HttpRequest, format: str) -> HttpResponse:
    client = _client(request, required=True)
    assert client is not None
    data = request.POST if request.POST else request.GET
    submission = Submission.from_form(data)
    if not submission.service_code:
        raise Open311Error(400, "service_code was not provided")
    category = selectors.service(submission.service_code)
    if category is None:
        raise Open311Error(400, f"service_code {submission.service_code!r} not found")
    try:
        event, service_request = submit(client, category, submission)
    except ValidationError as exc:
        messages = [m for msgs in getattr(exc, "message_dict", {"": exc.messages}).values() for m in msgs]
        raise Open311Error(400, "; ".join(messages)) from None
    except (PermissionDenied, ConflictError) as exc:
        raise Open311Error(403, str(exc)) from None
    return respond(
        [
            {
                "service_request_id": event.number,
                "token": service_request.token,
                "service_notice": f"已受理登记，{category.resolve_hours}小时内办结",
                "account_id": None,
            }
        ],
        format,
        root="service_requests",
    )


@open311_view(("GET",))
def request_detail(request: HttpRequest, service_request_id: str, format: str) -> HttpResponse:
    event = selectors.find_request(_client(request, required=False), service_request_id)
    if event is None:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found")
    return respond([selectors.request_dict(event)], format, root="service_requests")


@open311_view(("GET",))
def token(request: HttpRequest, token: str, format: str) -> HttpResponse:
    event = selectors.find_token(_client(request, required=False), token)
    if event is None:
        raise Open311Error(404, f"token {token!r} not found")
    return respond([{"service_request_id": event.number, "token": token}], format, root="service_requests")
