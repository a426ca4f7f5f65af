"""The API object: error mapping and the routers of every app, assembled once by `build_api()`."""

import functools
import importlib
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.security import django_auth

from gridgov.api.auth import BearerToken
from gridgov.api.errors import OUT_OF_RANGE, JSONParser, body_payload, schema_payload, validation_payload
from gridgov.core.errors import ConflictError, LimitReached, PreconditionFailed
from gridgov.core.labels import reason_of

logger = logging.getLogger(__name__)


@functools.cache
def build_api() -> NinjaAPI:
    """The one API instance (a router can belong to one API only, hence built once)."""
    api = NinjaAPI(
        title="gridgov API",
        version="1",
        urls_namespace="api",
        auth=[BearerToken(), django_auth],
        docs_url="/docs",
        parser=JSONParser(),
    )

    @api.exception_handler(ValidationError)
    def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, validation_payload(exc), status=400)

    @api.exception_handler(SchemaError)
    def _schema_error(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        return api.create_response(request, schema_payload(exc), status=400)

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
            return api.create_response(request, body_payload(request), status=400)
        return api.create_response(request, {"detail": exc.message}, status=exc.status_code)

    @api.exception_handler(OverflowError)
    @api.exception_handler(DataError)
    def _out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        # A number (an id in the path, a count) beyond what the database column holds: SQLite
        # raises OverflowError, PostgreSQL a DataError. One line, not a traceback.
        logger.info("refused %s %s: %s", request.method, request.path, exc)
        return api.create_response(
            request, {"detail": OUT_OF_RANGE, "errors": {"__all__": [OUT_OF_RANGE]}}, status=400
        )

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": reason_of(exc) or "没有权限"}, status=403)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": "not found"}, status=404)

    @api.exception_handler(ConflictError)
    def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, **exc.extra}, status=409)

    @api.exception_handler(LimitReached)
    def _limit(request: HttpRequest, exc: LimitReached) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, **exc.extra}, status=429)

    @api.exception_handler(PreconditionFailed)
    def _precondition(request: HttpRequest, exc: PreconditionFailed) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message, **exc.extra}, status=412)

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, {"detail": "authentication required: send 'Authorization: Bearer <token>'"}, status=401
        )

    _add_routers(api)
    return api


# Each app's `router`, mounted at its prefix; a new app adds its line here.
ROUTERS = [
    ("/auth", "gridgov.accounts.api"),
    ("/", "gridgov.hierarchy.api"),
    ("/", "gridgov.registry.api"),
    ("/", "gridgov.events.api"),
    ("/", "gridgov.disputes.api"),
    ("/", "gridgov.search.api"),
    ("/", "gridgov.mobile.api"),
    ("/", "gridgov.notifications.api"),
    ("/", "gridgov.audit.api"),
    ("/", "gridgov.events.organisations_api"),
    ("/", "gridgov.care.api"),
    ("/", "gridgov.workforce.api"),
    ("/", "gridgov.patrols.api"),
    ("/", "gridgov.assessment.api"),
    ("/", "gridgov.overview.api"),
    ("/", "gridgov.tasks.api"),
    ("/", "gridgov.screening.api"),
    ("/", "gridgov.worklog.api"),
    ("/", "gridgov.inspection.api"),
    ("/", "gridgov.academy.api"),
]


def _add_routers(api: NinjaAPI) -> None:
    for prefix, module in ROUTERS:
        api.add_router(prefix, importlib.import_module(module).router)
