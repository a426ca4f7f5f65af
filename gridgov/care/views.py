"""Leader pages for care: due and overdue visits per area (drilling down to grids and their
workers), the visits, the stale list. Thin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gridgov.care import selectors


def _node(request: HttpRequest):  # type: ignore[no-untyped-def]
    raw = request.GET.get("node", "")
    return (
        selectors.get_node(request.user, int(raw)) if raw.isdigit() else selectors.default_node(request.user)
    )


@login_required
def due(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    rows = selectors.due_by_child(request.user, node) if node else []
    visits = list(selectors.visits(request.user, node=node)[:30]) if node else []
    return render(
        request,
        "care/due.html",
        {
            "node": node,
            "rows": rows,
            "visits": visits,
            "rules": selectors.rules(),
            "horizon": selectors.DUE_HORIZON_DAYS,
        },
    )


@login_required
def stale(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 3650 else None
    if raw and days is None:
        messages.error(request, "天数须为 1 至 3650")
    found = selectors.stale_households(request.user, node, days=days) if node else None
    return render(
        request,
        "care/stale.html",
        {
            "node": node,
            "days": days or selectors.stale_after_days(),
            "households": list(found[:200]) if found is not None else [],
            "total": found.count() if found is not None else 0,
        },
    )
