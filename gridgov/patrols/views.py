"""Patrol pages for leaders (the grid chief and instructor, the centres above): coverage per grid
and per worker for a period, a grid's due buildings and its tracks on the map, one patrol's
track, and the sheet of building QR codes to print. Thin: the rules live in selectors and
services. Every page with tracks is no-store, and each track shown of another person is
audited (selectors.track_of)."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, require
from gridgov.audit.services import appended_together
from gridgov.hierarchy.models import Level, Node
from gridgov.patrols import pdf, rules, selectors
from gridgov.patrols.forms import PeriodForm, WeeksForm

# Tracks drawn on a grid's map (the latest of the period); the list below it shows every patrol.
MAP_TRACKS = 50


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _period(request: HttpRequest) -> tuple[PeriodForm, date, date]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    today = timezone.localdate()
    if not form.is_bound:
        form = PeriodForm(initial={"start": today - timedelta(days=29), "end": today})
    return form, today - timedelta(days=29), today


def _top_node(request: HttpRequest) -> Node:
    """?node=<id> (inside the caller's scope), else the top of the subtree where they see tracks."""
    raw = request.GET.get("node", "")
    if raw:
        if not raw.isdigit():
            raise Http404("bad node id")
        node = get_visible_or_404(Node.objects.all(), request.user, pk=int(raw))
    else:
        found = selectors.top_node_for_tracks(request.user)
        if found is None:
            require(request.user, Cap.VIEW_TRACKS, "~")  # logs the refusal, raises 403
            raise Http404
        node = found
    require(request.user, Cap.VIEW_TRACKS, node.path, node)
    return node


@login_required
@never_cache
def coverage(request: HttpRequest) -> HttpResponse:
    """Coverage under a node for a period: per grid and per worker (htmx swaps the tables)."""
    node = _top_node(request)
    form, start, end = _period(request)
    start_at, end_at = _bounds(start, end)
    result = selectors.coverage(request.user, node, start_at, end_at)
    context: dict[str, Any] = {
        "node": node,
        "form": form,
        "result": result,
        "start": start,
        "end": end,
        "children": Node.objects.restrict(request.user)
        .filter(parent=node)
        .exclude(level=Level.BUILDING)
        .order_by("code"),
        "rules": selectors.rules(),
    }
    template = "patrols/_coverage.html" if request.headers.get("HX-Request") else "patrols/coverage.html"
    return render(request, template, context)


@login_required
@never_cache
def weekly(request: HttpRequest) -> HttpResponse:
    """Coverage under a node week by week: per grid (per child area under a county or the city)."""
    node = _top_node(request)
    form = WeeksForm(request.GET or {})
    if not form.is_valid():
        return render(
            request, "patrols/weekly.html", {"node": node, "form": form, "result": None}, status=400
        )
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    result = selectors.weekly_coverage(request.user, node, start, end)
    return render(
        request,
        "patrols/weekly.html",
        {
            "node": node,
            "form": form,
            "result": result,
            "start": start,
            "end": end,
            "rows": [(row, list(zip(row.weeks, row.shares(), strict=True))) for row in result.rows],
            "totals": list(zip(result.totals(), result.weeks, strict=True)),
        },
    )


@login_required
@never_cache
def grid_page(request: HttpRequest, node_id: int) -> HttpResponse:
    """A grid: its buildings due by the rule, its patrols of the period and their tracks on the map."""
    grid = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
    require(request.user, Cap.VIEW_TRACKS, grid.path, grid)
    if grid.level != Level.GRID:  # an area: its coverage, grid by grid
        return redirect(f"{reverse('patrols:coverage')}?node={grid.pk}")
    form, start, end = _period(request)
    start_at, end_at = _bounds(start, end)
    patrols = list(selectors.visible_patrols(request.user, grid, start_at, end_at)[:200])
    with appended_together():  # one audit row per track shown, written together
        tracks = [
            {
                "id": p.pk,
                "worker": p.worker.full_name or p.worker.username,
                "at": p.started_at.isoformat(),
                **selectors.track_of(request.user, p),
            }
            for p in patrols[:MAP_TRACKS]
        ]
    return render(
        request,
        "patrols/grid.html",
        {
            "grid": grid,
            "form": form,
            "patrols": patrols,
            "rule": rules.rule_for(grid),
            "due": selectors.buildings_due(request.user, grid),
            "map_data": {"tracks": _jsonable(tracks), "buildings": _buildings(request.user, grid)},
        },
    )


@login_required
@never_cache
def patrol_page(request: HttpRequest, patrol_id: int) -> HttpResponse:
    patrol = selectors.patrol_of(request.user, patrol_id)
    track = selectors.track_of(request.user, patrol)
    return render(
        request,
        "patrols/patrol.html",
        {
            "patrol": patrol,
            "track": track,
            "findings": selectors.findings_of(patrol),
            "map_data": {
                "tracks": _jsonable(
                    [{"id": patrol.pk, "worker": "", "at": patrol.started_at.isoformat(), **track}]
                ),
                "buildings": _buildings(request.user, patrol.grid),
            },
        },
    )


@login_required
def qr_sheet(request: HttpRequest, node_id: int) -> HttpResponse:
    """The building QR codes of a grid (or of every grid of a community) as a PDF to print and
    post at each entrance. Superiors only: a worker holding their own codes could check in
    without walking."""
    grid = get_visible_or_404(Node.objects.all(), request.user, pk=node_id)
    require(request.user, Cap.VIEW_TRACKS, grid.path, grid)
    if grid.level not in (Level.GRID, Level.COMMUNITY):
        return HttpResponseBadRequest(
            "楼栋二维码按网格或社区打印：请从网格或社区打开", content_type="text/plain; charset=utf-8"
        )
    content = pdf.qr_sheet(grid, request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="building-codes-{grid.code}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _buildings(user: Any, grid: Node) -> list[dict[str, Any]]:
    return [
        {"id": b.id, "name": b.name, "lng": b.lng, "lat": b.lat, "due": b.due}
        for b in selectors.buildings_due(user, grid)
        if b.lng is not None and b.lat is not None
    ]


def _jsonable(tracks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **t,
            "checkins": [
                {**c, "at": c["at"].isoformat() if hasattr(c["at"], "isoformat") else c["at"]}
                for c in t["checkins"]
            ],
        }
        for t in tracks
    ]
