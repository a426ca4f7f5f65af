from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

FAVICON = "gridgov/favicon.svg"


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon (a
    temporary redirect: the static URL carries a content hash in production)."""
    return HttpResponseRedirect(static(FAVICON))
