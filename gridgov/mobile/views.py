"""The app's pages: the shell (/app/), its service worker and its manifest. None holds personal
data (the data comes through the API with the device's tokens), so none needs a session."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from gridgov.mobile import shell


@require_safe
def app_shell(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(shell.shell_html())
    # Checked on every visit (the service worker serves it offline).
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(shell.service_worker(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/app/"
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(shell.manifest_json(), content_type="application/manifest+json; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
