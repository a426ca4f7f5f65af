"""Every URL of the project, scoped: walks the whole URL configuration (pages, /api/v1, admin,
and whatever later apps add) so that no door into the data is forgotten.

- A URL with an object id (kwargs named `<model>_id` by convention, or the admin's
  `object_id`) is called for an object inside 赛罕区 (惠民社区 where there is one): an insider
  persona reaches it, the outsider laogangfang_worker (新城区) gets 404 or 403, and an
  anonymous user does not get in.
- A URL without an object id sends anonymous users to the login page (pages, admin) or
  answers 401 (API), unless it is on the short public allowlist below.

A route that cannot be called (no sample object, a kwarg without a model, a disabled URL) fails,
unless it is on ALLOWED_SKIPS with its reason; the number of routes exercised is asserted, so a
door cannot silently drop out of the walk.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from gridgov.accounts.models import Device, User
from gridgov.accounts.scope import RULES
from gridgov.accounts.services import issue_token
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.disputes.models import Dispute, FollowUp, TeamMember, TeamRole
from gridgov.hierarchy.models import Node
from gridgov.registry import exports
from gridgov.registry.models import BreakGlassGrant

# Public by design: logging in and out, the API's description and token exchange, Open311
# (whose reads the GeoReport v2 spec makes public; the open311 tests cover what they reveal),
# Django's admin login and catch-all, and the browser's /favicon.ico (a redirect to the static icon).
PUBLIC = [
    r"^accounts/login/$",
    r"^accounts/logout/$",
    r"^admin/login/$",
    r"^admin/logout/$",
    r"^admin/\(\?P<url>",
    r"^api/v1/openapi\.json$",
    r"^api/v1/docs$",
    r"^api/v1/auth/token$",
    # The app's sign-in and refresh (its sign-out needs the bearer token: tests/accounts/test_devices.py).
    r"^api/v1/auth/device(/refresh)?$",
    # The app's shell, manifest and service worker: no personal data (that comes through the API).
    r"^app/",
    r"^api/v1/$",
    r"^open311/",
    r"^favicon\.ico$",
    # The big screen: its display link's token is the credential (tests/overview/test_screen.py
    # checks unknown and revoked tokens, and that it shows no personal data).
    r"^screen/",
]
# Kwargs that are not object ids, with a value to call the URL with.
SAMPLE_KWARGS: dict[str, str] = {
    "field": "id_number",
    "app_label": "hierarchy",
    "format": "json",
    "key": "6f1c2a9e-receipt",
}
# How to find where a row of a model without its own `path` lives (a lookup ending in `path`).
PATH_LOOKUPS: dict[str, str] = {
    "accounts.user": "assignments__node__path",
    "accounts.apitoken": "user__assignments__node__path",
    "accounts.device": "user__assignments__node__path",
}
# URL kwargs whose name is not their model's.
KWARG_MODELS: dict[str, str] = {
    "job_id": "registry.ExportJob",
    "item_id": "disputes.FollowUp",
}
# The only routes a test may skip, with why. Anything else that cannot be exercised fails.
# A model with no path and no scope rule is city-wide configuration (categories, holidays, care
# rules…), edited by administrators: its routes are skipped with that reason.
CITY_CONFIG = "city-wide configuration, not scoped data"
ALLOWED_SKIPS: dict[str, str] = {
    r"^admin/open311/client/": "Open311 client keys: city-wide, system administrator only",
    r"^admin/r/": "admin view-on-site shortcut: a redirect to the object's page, checked there",
    # Deleting is refused to everyone (nothing is hard-deleted; the audit log is append-only).
    r"^admin/[a-z0-9]+/[a-z0-9]+/<path:object_id>/delete/$": "deleting is disabled for everyone",
    r"^open311/": "Open311 reads are public by the GeoReport v2 spec (tests/open311 cover what they reveal)",
    # Writes whose body names a second object: with an empty body every insider gets the same
    # answer as for a missing object (the outsider check runs; the app's tests cover the writes).
    r"^api/v1/disputes/<dispute_id>/team$": "a write whose body names the member to add",
    r"^disputes/<int:dispute_id>/team/$": "a write whose form names the member to add",
    r"^admin/\(\?P<url>": "Django admin's catch-all: a redirect to the admin's login, or 404",
    r"^screen/": "the big screen: its display link's token is the credential (tests/overview/test_screen.py "
    "checks unknown and revoked tokens, no-store and that it shows no personal data)",
}

INSIDERS = ["huimin_admin", "gaobo", "saihan_admin", "auditor", "city_admin", "sysadmin"]
OUTSIDER = "laogangfang_worker"
MISSING_ID = "987654321"
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@dataclass
class Route:
    route: str  # e.g. "api/v1/nodes/<node_id>"
    pattern: Any
    name: str | None
    kwargs: list[str]
    admin_model: type[models.Model] | None = None
    id_models: dict[str, type[models.Model] | None] = field(default_factory=dict)

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            found.append((prefix + str(entry.pattern), entry))
    return found


def _kwargs_of(route: str) -> list[str]:
    names = re.findall(r"\(\?P<(\w+)>", route) + re.findall(r"<(?:\w+:)?(\w+)>", route)
    return list(dict.fromkeys(names))


def _model_named(name: str) -> type[models.Model] | None:
    candidates = [m for m in apps.get_models() if m._meta.model_name == name]
    gridgov = [m for m in candidates if m.__module__.startswith("gridgov.")]
    return (gridgov or candidates or [None])[0]


def _admin_model(route: str) -> type[models.Model] | None:
    match = re.match(r"^admin/(\w+)/(\w+)/", route)
    if match is None:
        return None
    try:
        return apps.get_model(match.group(1), match.group(2))
    except LookupError:
        return None


def collect_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if route in routes:  # django-ninja lists one pattern per operation of a path
            continue
        kwargs = _kwargs_of(route)
        item = Route(
            route, pattern, pattern.name, kwargs, _admin_model(route) if route.startswith("admin/") else None
        )
        for kwarg in kwargs:
            if kwarg in KWARG_MODELS:
                item.id_models[kwarg] = apps.get_model(KWARG_MODELS[kwarg])
            elif kwarg.endswith("_id") and kwarg not in {"object_id", "content_type_id"}:
                item.id_models[kwarg] = _model_named(kwarg.removesuffix("_id"))
            elif kwarg in {"object_id", "id"} and item.admin_model is not None:
                item.id_models[kwarg] = item.admin_model
        routes[route] = item
    return list(routes.values())


ROUTES = collect_routes()
OBJECT_ROUTES = [r for r in ROUTES if r.id_models]
PLAIN_ROUTES = [r for r in ROUTES if not r.id_models]


def _is_public(route: Route) -> bool:
    return any(re.search(rule, route.route) for rule in PUBLIC)


def _allowed_skip(route: Route) -> str | None:
    return next((why for rule, why in ALLOWED_SKIPS.items() if re.search(rule, route.route)), None)


def is_city_config(model: type[models.Model]) -> bool:
    """A model with no scope rule: city-wide configuration (see CITY_CONFIG)."""
    return model._meta.label_lower not in RULES


def skip(route: Route, reason: str) -> None:
    """Skip a route only if ALLOWED_SKIPS says why; otherwise the walk has a hole: fail."""
    why = _allowed_skip(route) or (reason if reason.startswith(CITY_CONFIG) else None)
    if why is None:
        pytest.fail(
            f"{route.route} cannot be exercised ({reason}): give it a sample or a reason in ALLOWED_SKIPS"
        )
    pytest.skip(f"{why} ({reason})")


def build_url(route: Route, values: dict[str, str]) -> str | None:
    pattern = route.pattern.pattern
    text = route.route
    if isinstance(pattern, RoutePattern) or "(?P<" not in text:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], text)
    if isinstance(pattern, RegexPattern):
        url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), ""), text)
        return "/" + url.replace("^", "").replace("$", "")
    return None


# --- where an object lives ----------------------------------------------------------------------


def path_lookup(model: type[models.Model]) -> str | None:
    label = model._meta.label_lower
    if label in PATH_LOOKUPS:
        return PATH_LOOKUPS[label]
    names = {f.name for f in model._meta.concrete_fields}
    if "path" in names:
        return "path"
    # One or two forward hops to a row with a path (e.g. an assignment's node).
    for first in model._meta.concrete_fields:
        target = getattr(first, "related_model", None)
        if not isinstance(first, models.ForeignKey) or target is None or target is model:
            continue
        if "path" in {f.name for f in target._meta.concrete_fields}:
            return f"{first.name}__path"
    for first in model._meta.concrete_fields:
        target = getattr(first, "related_model", None)
        if not isinstance(first, models.ForeignKey) or target is None or target is model:
            continue
        for second in target._meta.concrete_fields:
            deeper = getattr(second, "related_model", None)
            if (
                isinstance(second, models.ForeignKey)
                and deeper is not None
                and "path" in {f.name for f in deeper._meta.concrete_fields}
            ):
                return f"{first.name}__{second.name}__path"
    return None


def _related_filter(model: type[models.Model], previous: models.Model) -> dict[str, Any]:
    """A filter tying `model` to an object already chosen for the same URL (directly or via a
    table between them), so that e.g. a team member is picked from the dispute's team."""
    other = type(previous)
    for f in model._meta.get_fields():
        if getattr(f, "related_model", None) is other and (f.many_to_one or f.many_to_many or f.one_to_one):
            return {f.name: previous}
    for rel in model._meta.related_objects:
        through = rel.related_model
        for f in through._meta.get_fields():
            if getattr(f, "related_model", None) is other and f.many_to_one:
                return {f"{rel.get_accessor_name() if rel.multiple else rel.name}__{f.name}": previous}
    return {}


# Rows the demo seed does not have, made when a route needs one: label → maker(objects already
# chosen for the URL). Made per test (the database is rolled back after each), so only on demand.
def _device(chosen: list[models.Model]) -> None:
    Device.objects.create(user=User.objects.get(username="gaobo"), device_id="scope-test", name="测试手机")


def _grant(chosen: list[models.Model]) -> None:
    huimin = Node.objects.get(name="惠民社区")
    BreakGlassGrant.objects.create(
        user=User.objects.get(username="gaobo"),
        path=huimin.path,
        county_code=huimin.county_code,
        reason="scope test",
        expires_at=timezone.now() + timedelta(hours=1),
    )


def _export(chosen: list[models.Model]) -> None:
    exports.request_export(
        user=User.objects.get(username="huimin_admin"), node=Node.objects.get(name="惠民社区第一网格")
    )
    exports.run_pending()


def _team_member(chosen: list[models.Model]) -> None:
    admin = User.objects.get(username="huimin_admin")
    for dispute in (c for c in chosen if isinstance(c, Dispute)):
        TeamMember.objects.create(dispute=dispute, user=admin, role=TeamRole.COMMUNITY_STAFF, added_by=admin)


def _follow_up(chosen: list[models.Model]) -> None:
    for dispute in (c for c in chosen if isinstance(c, Dispute)):
        FollowUp.objects.create(dispute=dispute, due_on=timezone.localdate() + timedelta(days=7))


def _display_link(chosen: list[models.Model]) -> None:
    from gridgov.overview import services as overview

    overview.create_display_link(
        user=User.objects.get(username="huimin_admin"),
        node=Node.objects.get(name="惠民社区"),
        name="惠民社区大屏",
    )


def _report(chosen: list[models.Model]) -> None:
    """A queued report (its download answers 409 until the worker built it)."""
    from gridgov.overview import services as overview

    overview.request_report(
        user=User.objects.get(username="huimin_admin"),
        node=Node.objects.get(name="惠民社区"),
        start=date(2026, 1, 1),
        end=date(2026, 1, 31),
    )


def _event_photo(chosen: list[models.Model]) -> None:
    from django.core.files.base import ContentFile

    from gridgov.events.models import Event, EventPhoto

    for event in (c for c in chosen if isinstance(c, Event)):
        photo = EventPhoto(event=event, content_type="image/png", size=4)
        photo.image.save("scope-test.png", ContentFile(b"\x89PNG"), save=False)
        photo.save()


def _task_photo(chosen: list[models.Model]) -> None:
    from django.core.files.base import ContentFile

    from gridgov.tasks.models import TaskAssignment, TaskPhoto

    for assignment in (c for c in chosen if isinstance(c, TaskAssignment)):
        photo = TaskPhoto(assignment=assignment, content_type="image/png", size=4)
        photo.image.save("scope-test.png", ContentFile(b"\x89PNG"), save=False)
        photo.save()


def _inspection_photo(chosen: list[models.Model]) -> None:
    from django.core.files.base import ContentFile

    from gridgov.inspection.models import InspectionFinding, InspectionPhoto

    finding = InspectionFinding.objects.filter(
        path__startswith=Node.objects.get(name="惠民社区").path
    ).first()
    assert finding is not None, "the demo seed makes inspection findings in 惠民社区"
    photo = InspectionPhoto(
        finding=finding, path=finding.path, county_code=finding.county_code, content_type="image/png", size=4
    )
    photo.image.save("scope-test.png", ContentFile(b"\x89PNG"), save=False)
    photo.save()


SAMPLE_MAKERS: dict[str, Any] = {
    "events.eventphoto": _event_photo,
    "inspection.inspectionphoto": _inspection_photo,
    "tasks.taskphoto": _task_photo,
    "overview.displaylink": _display_link,
    "overview.monthlyreport": _report,
    "accounts.device": _device,
    "registry.breakglassgrant": _grant,
    "registry.exportjob": _export,
    "accounts.user": _team_member,
    "disputes.followup": _follow_up,
}


def pick_objects(route: Route, roots: list[str]) -> tuple[dict[str, str] | None, str]:
    """Values for the URL's kwargs, all inside the first root that has them; or a skip reason."""
    values = {k: SAMPLE_KWARGS[k] for k in route.kwargs if k in SAMPLE_KWARGS}
    unknown = [k for k in route.kwargs if k not in values and k not in route.id_models]
    if unknown:
        return None, f"no sample value for URL kwarg(s) {unknown}: add one to SAMPLE_KWARGS"
    chosen: list[models.Model] = []
    for kwarg, model in route.id_models.items():
        if model is None:
            return None, f"no model is named {kwarg.removesuffix('_id')!r} (URL kwarg {kwarg})"
        lookup = path_lookup(model)
        if lookup is None and is_city_config(model):
            return (
                None,
                f"{CITY_CONFIG}: {model._meta.label} has no path and no rule in gridgov.accounts.scope.RULES",
            )
        if lookup is None:
            return None, (
                f"{model._meta.label} does not belong to a place (no path): city-wide data, not scoped "
                "(if it is scoped, add its lookup to PATH_LOOKUPS)"
            )
        queryset = model._default_manager.all()
        for previous in chosen:
            related = _related_filter(model, previous)
            if related:
                queryset = queryset.filter(**related)
        obj = None
        for attempt in range(2):
            for root in roots:
                obj = queryset.filter(**{f"{lookup}__startswith": root}).order_by("pk").first()
                if obj is not None:
                    break
            maker = SAMPLE_MAKERS.get(model._meta.label_lower)
            if obj is not None or attempt or maker is None:
                break
            maker(chosen)
        if obj is None and is_city_config(model):
            return None, f"{CITY_CONFIG}: {model._meta.label} has no row in a place and no rule in RULES"
        if obj is None:
            return None, f"no demo {model._meta.label} inside 赛罕区 yet"
        chosen.append(obj)
        values[kwarg] = str(obj.pk)
    return values, ""


# --- calling ---------------------------------------------------------------------------------------


def call(client: Client, url: str, route: Route) -> Any:
    """GET, or the first write method the view allows (with an empty body) if it has no GET."""
    response = client.get(url)
    response.write_only = response.status_code == 405
    if response.status_code != 405:
        return response
    allowed = [m.strip().upper() for m in response.get("Allow", "").split(",")]
    method = next((m for m in ("POST", "PATCH", "PUT", "DELETE") if m in allowed), "POST")
    if route.is_api:
        response = client.generic(method, url, "{}", content_type="application/json")
    else:
        response = client.generic(method, url, "", content_type="application/x-www-form-urlencoded")
    response.write_only = True
    return response


def to_login(response: Any) -> bool:
    return response.status_code in {301, 302} and any(p in response.get("Location", "") for p in LOGIN_PATHS)


def blocked(response: Any) -> bool:
    return response.status_code in {401, 403, 404} or to_login(response)


def describe(response: Any) -> str:
    return f"{response.status_code} {response.get('Location', '')}".strip()


@pytest.fixture
def clients(login: Any) -> Any:
    """Logged-in clients (privileged ones with their second factor passed, like `login`)."""
    cache: dict[str, Client] = {}

    def get(username: str) -> Client:
        if username not in cache:
            cache[username] = login(username)
        return cache[username]

    return get


@pytest.fixture(autouse=True)
def _media(tmp_path: Any, settings: Any) -> None:
    """Photos made for the walk are written under the test's own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scope_roots(db: Any) -> list[str]:
    """Objects are taken inside 惠民社区 if it has one, else anywhere in 赛罕区.

    Rows that the demo seed does not make for every model are made here (an audit row and an
    API token that belong to 惠民社区) or, when a route needs one, by SAMPLE_MAKERS.
    """
    huimin = Node.objects.get(name="惠民社区")
    record(Action.READ_SENSITIVE, Node.objects.get(name="惠民社区第一网格"), message="scope test")
    issue_token(User.objects.get(username="gaobo"), "scope test")
    from gridgov.workforce.runs import preview_run

    preview_run(
        user=User.objects.get(username="saihan_admin"),
        county=Node.objects.get(name="赛罕区"),
        assessment_year=2025,
    )
    return [huimin.path, Node.objects.get(name="赛罕区").path]


def test_the_walk_finds_pages_api_and_admin() -> None:
    routes = {r.route for r in ROUTES}
    assert "api/v1/nodes/<node_id>" in routes
    assert "admin/hierarchy/node/<path:object_id>/change/" in routes
    assert "nodes/<int:node_id>/" in routes
    assert len(OBJECT_ROUTES) >= 10


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=[r.route for r in OBJECT_ROUTES])
def test_object_url_is_reachable_inside_and_hidden_outside(
    route: Route, clients: Any, scope_roots: list[str]
) -> None:
    if _is_public(route):
        pytest.skip("public by design (PUBLIC)")
    values, reason = pick_objects(route, scope_roots)
    if values is None:
        skip(route, reason)
        return
    url = build_url(route, values)
    if url is None:
        skip(route, "cannot build a URL")
        return

    outside = call(clients(OUTSIDER), url, route)
    if outside.status_code not in {403, 404}:
        # Tolerated only if it is exactly what a nonexistent object gets (nothing leaks), as
        # with the admin's redirect from <id>/ to <id>/change/ or an API body checked before
        # the lookup.
        missing_values = {k: (MISSING_ID if k in route.id_models else v) for k, v in values.items()}
        missing = call(clients(OUTSIDER), build_url(route, missing_values) or url, route)
        location = outside.get("Location", "")
        for kwarg in route.id_models:
            location = location.replace(f"/{values[kwarg]}/", f"/{MISSING_ID}/")
        why = f"{OUTSIDER} got {describe(outside)} on {url} (an unknown id gets {describe(missing)}): want 404/403"
        assert (outside.status_code, location) == (missing.status_code, missing.get("Location", "")), why
        assert outside.status_code not in {200, 201, 204}, why

    anonymous = call(Client(), url, route)
    assert blocked(anonymous) or anonymous.status_code in {400, 405, 422}, (
        f"anonymous got {describe(anonymous)} on {url}"
    )

    answers: dict[str, Any] = {}
    for username in INSIDERS:
        response = call(clients(username), url, route)
        answers[username] = response
        if not blocked(response) and response.status_code < 500:
            return
    statuses = {r.status_code for r in answers.values()}
    if statuses == {403}:
        skip(route, "refused to everyone, system administrators included")
    if (
        len(statuses) == 1
        and statuses <= {400, 404, 409, 422}
        and all(r.write_only for r in answers.values())
    ):
        skip(route, f"write-only URL: with an empty body every insider gets {statuses.pop()}")
    pytest.fail(f"no insider reached {url}: { {u: describe(r) for u, r in answers.items()} }")


@pytest.mark.parametrize("route", PLAIN_ROUTES, ids=[r.route for r in PLAIN_ROUTES])
def test_url_without_object_needs_a_login(route: Route, db: Any) -> None:
    if _is_public(route):
        pytest.skip("public by design (PUBLIC)")
    values = {k: SAMPLE_KWARGS[k] for k in route.kwargs if k in SAMPLE_KWARGS}
    if len(values) != len(route.kwargs):
        skip(route, f"no sample value for URL kwarg(s) {sorted(set(route.kwargs) - set(values))}")
    url = build_url(route, values)
    if url is None:
        skip(route, "cannot build a URL")
        return
    response = call(Client(), url, route)
    if route.is_api:
        assert response.status_code == 401, f"anonymous got {describe(response)} on {url}: want 401"
    else:
        assert to_login(response) or response.status_code in {401, 403}, (
            f"anonymous got {describe(response)} on {url}: want a redirect to the login page"
        )


# --- no-store: nothing the application answers with data is kept by a cache ----------------------

# Answers that may be cached: they hold no personal data and set their own Cache-Control.
CACHEABLE = [
    r"^app/$",  # the shell (no-cache: revalidated on every visit)
    r"^app/sw\.js$",
    r"^app/manifest",
    r"^favicon\.ico$",
]


def _cacheable(route: Route) -> bool:
    return any(re.search(rule, route.route) for rule in CACHEABLE)


def assert_no_store(response: Any, url: str) -> None:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, f"{url} answered {response.status_code} without Cache-Control: no-store"


@pytest.mark.parametrize("route", ROUTES, ids=[r.route for r in ROUTES])
def test_every_answer_is_no_store(route: Route, clients: Any, scope_roots: list[str]) -> None:
    """Pages, API answers, exports and the app's data, as an insider who sees them."""
    if route.id_models:
        picked, reason = pick_objects(route, scope_roots)
        if picked is None:
            skip(route, reason)
            return
        values = picked
    else:
        values = {k: SAMPLE_KWARGS[k] for k in route.kwargs if k in SAMPLE_KWARGS}
        if len(values) != len(route.kwargs):
            skip(route, f"no sample value for URL kwarg(s) {sorted(set(route.kwargs) - set(values))}")
    url = build_url(route, values)
    if url is None:
        skip(route, "cannot build a URL")
        return
    if _cacheable(route):
        return
    # One insider who reaches it: the admin is the system administrator's, the rest huimin_admin's.
    assert_no_store(call(clients("sysadmin" if route.is_admin else "huimin_admin"), url, route), url)


def test_the_walk_exercises_every_route_but_the_allowed_skips() -> None:
    """Routes that are neither public nor allowed to skip are all exercised (a skip of one fails)."""

    def config(route: Route) -> bool:
        return any(m is not None and is_city_config(m) for m in route.id_models.values())

    object_routes = [r for r in OBJECT_ROUTES if not (_is_public(r) or _allowed_skip(r) or config(r))]
    plain_routes = [r for r in PLAIN_ROUTES if not _is_public(r) and _allowed_skip(r) is None]
    assert len(object_routes) >= 95, len(object_routes)
    assert len(plain_routes) >= 71, len(plain_routes)
    unused = [rule for rule in ALLOWED_SKIPS if not any(re.search(rule, r.route) for r in ROUTES)]
    assert unused == [], f"ALLOWED_SKIPS entries no route needs any more: {unused}"
