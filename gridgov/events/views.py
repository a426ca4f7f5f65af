"""Event pages: the mobile report form, the list (overdue first), the detail with its timeline and
the actions the user may take, the department inbox and the notification inbox. Thin: the rules
live in services and selectors."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.core.errors import ConflictError
from gridgov.core.paging import offset_param
from gridgov.core.uploads import serve_upload
from gridgov.events import exports, intake, selectors, transitions
from gridgov.events.forms import FilterForm, ReportForm
from gridgov.events.models import Event, Supervision
from gridgov.events.workflow import ACTION_NAMES, STATE_NAMES, Action
from gridgov.hierarchy.models import Level, Node
from gridgov.registry.models import Resident

PAGE_SIZE = 20
# Which inputs each action's form shows on the detail page.
ACTION_FIELDS: dict[str, set[str]] = {
    Action.RETURN: {"note_required"},
    Action.DECLINE: {"note_required"},
    Action.REOPEN: {"note_required", "rating"},
    Action.REQUEST_SUSPENSION: {"note_required"},
    Action.REFUSE_SUSPENSION: {"note_required"},
    Action.REFUSE_EXTENSION: {"note_required"},
    Action.REQUEST_EXTENSION: {"note_required", "hours"},
    Action.DISPATCH: {"orgs"},
    Action.HANDLE: {"result", "photos"},
    Action.CO_HANDLE: {"result", "photos"},
    Action.CONFIRM: {"satisfaction"},
    Action.SUPERVISE: {"grade"},
    Action.MERGE: {"into"},
    Action.RESUBMIT: {"description"},
}


def _event(request: HttpRequest, event_id: int) -> Event:
    related = ("category", "grid", "handling_node", "lead_org", "reporter", "merged_into")
    return get_visible_or_404(Event.objects.select_related(*related), request.user, pk=event_id)


def _list_filters(request: HttpRequest) -> tuple[FilterForm, selectors.EventFilter]:
    """The list's filter form and the filters it gives (an invalid field is left out and shown)."""
    try:
        selected: int | None = int(request.GET.get("node", ""))
    except ValueError:
        selected = None
    form = FilterForm(request.GET or None, areas=selectors.area_choices(request.user, selected))
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    overdue = {"1": True, "0": False}.get(data.get("overdue") or "")
    filters = selectors.EventFilter(
        state=data.get("state") or "",
        category=data.get("category") or "",
        overdue=overdue,
        q=data.get("q") or "",
        node_id=data.get("node"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        date_field=data.get("by") or "created",
        supervision=data.get("supervision") or "",
        mine=bool(data.get("mine")),
    )
    return form, filters


@login_required
def event_export(request: HttpRequest) -> HttpResponse:
    """The list with the same filters as an Excel file (masked as the viewer sees it, audited)."""
    form, filters = _list_filters(request)
    if form.errors:
        message = "；".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    try:
        content, _count = exports.export_events(request.user, filters)
    except ValidationError as exc:
        return HttpResponse("；".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=XLSX)
    name = f"events-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    form, filters = _list_filters(request)
    offset = offset_param(request.GET.get("offset", 0))
    page = selectors.list_events(request.user, filters, limit=PAGE_SIZE + 1, offset=offset)
    query = request.GET.copy()
    query.pop("offset", None)
    return render(
        request,
        "events/list.html",
        {
            "form": form,
            "events": page[:PAGE_SIZE],
            "offset": offset,
            "next_offset": offset + PAGE_SIZE if len(page) > PAGE_SIZE else None,
            "prev_offset": max(0, offset - PAGE_SIZE) if offset else None,
            "query": query.urlencode(),
            "export_query": request.GET.urlencode(),
            "can_report": not scope_of(request.user, Cap.REPORT_EVENT).empty,
            "state_names": STATE_NAMES,
        },
    )


def _report_grids(user: Any) -> list[tuple[int, str]]:
    grids = Node.objects.filter(level=Level.GRID).restrict(user, Cap.REPORT_EVENT).order_by("path")
    return [(g.pk, g.name) for g in grids[:300]]


def chosen_residents(user: Any, ids: list[int]) -> list[tuple[int, str]]:
    """The residents already picked (a form shown again), as the type-ahead labels them."""
    if not ids:
        return []
    found = (
        Resident.objects.filter(pk__in=ids[:50])
        .restrict(user, Cap.VIEW_REGISTRY)
        .select_related("household")
        .order_by("name")
    )
    return [(r.pk, f"{r.name}（{r.household.address if r.household else ''}）") for r in found]


@login_required
def report(request: HttpRequest) -> HttpResponse:
    if scope_of(request.user, Cap.REPORT_EVENT).empty:
        raise PermissionDenied(_t("您没有上报事件的权限"))
    # Residents are picked by typing (the registry's search, scoped and masked), never from a list
    # of everyone in the grid; only those who may search the registry get the picker.
    pick = not scope_of(request.user, Cap.VIEW_REGISTRY).empty
    form = ReportForm(
        request.POST or None, request.FILES or None, grids=_report_grids(request.user), pick_residents=pick
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event, created = intake.report_event(
                user=request.user,
                category=data["category"],
                description=data["description"],
                lng=data["lng"],
                lat=data["lat"],
                grid=data["grid"] or None,
                address=data["address"],
                photos=data["photos"],
                resident_ids=data.get("residents") or (),
                idempotency_key=data["idempotency_key"] or None,
                channel="web",
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 400
        except (PermissionDenied, ConflictError) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
            status = 403 if isinstance(exc, PermissionDenied) else 409
        else:
            if created:
                messages.success(request, _t("事件已上报：%(number)s") % {"number": event.number})
            return redirect("events:detail", event_id=event.pk)
    elif request.method == "POST":
        status = 400
    picked: list[int] = []
    if pick and request.method == "POST":
        picked = [int(v) for v in request.POST.getlist("residents") if v.isdigit()]
    return render(
        request,
        "events/report.html",
        {"form": form, "chosen_residents": chosen_residents(request.user, picked)},
        status=status,
    )


@login_required
def duplicates(request: HttpRequest) -> HttpResponse:
    """htmx fragment for the report form: possible duplicates near the point."""
    found: list[tuple[Event, float]] = []
    try:
        category = intake.resolve_category(request.GET.get("category"))
        lng, lat = float(request.GET.get("lng", "")), float(request.GET.get("lat", ""))
    except (ValidationError, ValueError):
        category = None
    if category is not None:
        found = selectors.possible_duplicates(
            category=category, lng=lng, lat=lat, queryset=Event.objects.restrict(request.user)
        )
    return render(request, "events/_duplicates.html", {"duplicates": found})


def _action_forms(event: Event, user: Any) -> list[dict[str, Any]]:
    forms = []
    for action in selectors.allowed_actions(event, user):
        fields = ACTION_FIELDS.get(action, set())
        entry: dict[str, Any] = {"action": action, "name": ACTION_NAMES[action], "fields": fields}
        if "orgs" in fields:
            orgs = list(selectors.organisations_for_dispatch(event).select_related("area"))
            entry["orgs"] = orgs
            # The picker's filters (gridgov/dispatch.js asks /api/v1/organisations with them).
            entry["kinds"] = sorted({(o.kind, o.get_kind_display()) for o in orgs}, key=lambda k: k[1])
            entry["areas"] = selectors.dispatch_areas(event)
            suggested = transitions.suggest_lead_org(event)
            entry["suggested"] = suggested.pk if suggested else None
        if "into" in fields:
            entry["candidates"] = [e for e, _d in selectors.duplicates_of(event, user)]
        forms.append(entry)
    return forms


def _detail_context(request: HttpRequest, event: Event) -> dict[str, Any]:
    return {
        "event": event,
        "timeline": selectors.timeline(event),
        "assignments": selectors.assignments_of(event),
        "action_forms": _action_forms(event, request.user),
        "action_names": ACTION_NAMES,
        "state_names": STATE_NAMES,
        "duplicates": selectors.duplicates_of(event, request.user) if event.state == "reported" else [],
        "merged": Event.objects.restrict(request.user).filter(merged_into=event).only("pk", "number"),
        "photos": event.photos.all(),
        "pending_requests": event.clock_requests.filter(status="pending"),
        "grades": Supervision.choices[1:],
        "ratings": range(5, 0, -1),
    }


@login_required
def detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id)
    return render(request, "events/detail.html", _detail_context(request, event))


@login_required
def photo(request: HttpRequest, event_id: int, eventphoto_id: int) -> FileResponse:
    """One photo of an event the viewer may see (404 otherwise), never cached."""
    event = _event(request, event_id)
    found = get_object_or_404(event.photos.all(), pk=eventphoto_id)
    return serve_upload(found.image, found.content_type)


@login_required
def transition(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event(request, event_id)  # outside the user's scope: 404 before anything else
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    post = request.POST
    data: dict[str, Any] = {
        key: post.get(key)
        for key in (
            "lead_org_id",
            "result",
            "satisfaction",
            "grade",
            "hours",
            "into",
            "organisation_id",
            "description",
        )
        if post.get(key)
    }
    if post.getlist("co_org_ids"):
        data["co_org_ids"] = post.getlist("co_org_ids")
    if request.FILES.getlist("photos"):
        data["photos"] = request.FILES.getlist("photos")
    action = post.get("action", "")
    try:
        transitions.transition(event, action, user=request.user, note=post.get("note", ""), **data)
    except ValidationError as exc:
        error, status = "；".join(f"{v}" for values in exc.message_dict.values() for v in values), 400
    except ConflictError as exc:
        error, status = exc.message, 409
    except PermissionDenied as exc:
        error, status = str(exc), 403
    else:
        messages.success(request, _t("已%(action)s") % {"action": ACTION_NAMES.get(action, action)})
        return redirect("events:detail", event_id=event.pk)
    event = _event(request, event_id)
    context = _detail_context(request, event)
    context["error"] = error
    return render(request, "events/detail.html", context, status=status)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The department inbox: events dispatched to the user's organisations, overdue first."""
    memberships = list(selectors.memberships_of(request.user))
    events = selectors.fetch_page(selectors.inbox_for(request.user), limit=200, offset=0)
    return render(
        request,
        "events/inbox.html",
        {"memberships": memberships, "events": events, "state_names": STATE_NAMES},
    )
