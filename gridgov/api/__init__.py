"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json). Each app contributes a router."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.security import django_auth

from gridgov.api.auth import BearerToken
from gridgov.api.errors import ConflictError, PreconditionFailed, validation_payload

api = NinjaAPI(
    title="gridgov API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, validation_payload(exc), status=400)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "not found"}, status=404)


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, **exc.extra}, status=409)


@api.exception_handler(PreconditionFailed)
def _precondition(request: HttpRequest, exc: PreconditionFailed) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, **exc.extra}, status=412)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "authentication required: send 'Authorization: Bearer <token>'"}, status=401
    )


def _add_routers() -> None:
    from gridgov.accounts.api import router as accounts_router
    from gridgov.disputes.api import router as disputes_router
    from gridgov.events.api import router as events_router
    from gridgov.hierarchy.api import router as hierarchy_router
    from gridgov.registry.api import router as registry_router
    from gridgov.search.api import router as search_router

    api.add_router("/auth", accounts_router)
    api.add_router("/", hierarchy_router)
    api.add_router("/", registry_router)
    api.add_router("/", events_router)
    api.add_router("/", disputes_router)
    api.add_router("/", search_router)


_add_routers()
