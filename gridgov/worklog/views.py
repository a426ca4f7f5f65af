"""Leader pages: a worker's work log (for his chief, instructor and the centres above) and the
household load per level. Thin."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from gridgov.care.selectors import default_node, get_node
from gridgov.worklog import selectors


@login_required
def worklog(request: HttpRequest) -> HttpResponse:
    try:
        day = (
            date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else timezone.localdate()
        )
    except ValueError:
        day = timezone.localdate()
    raw = request.GET.get("worker", "")
    log = None
    if raw.isdigit():
        log = selectors.day_log(request.user, selectors.readable_worker(request.user, int(raw)), day)
    return render(
        request,
        "worklog/log.html",
        {"log": log, "day": day, "workers": selectors.readable_workers(request.user), "worker_id": raw},
    )


@login_required
def load(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("node", "")
    node = get_node(request.user, int(raw)) if raw.isdigit() else default_node(request.user)
    return render(
        request,
        "worklog/load.html",
        {
            "node": node,
            "rows": selectors.household_load(request.user, node) if node else [],
            "grids": selectors.grid_loads(request.user, node, limit=30) if node else [],
            "target": selectors.TARGET_HOUSEHOLDS,
            "split_above": selectors.SPLIT_ABOVE,
        },
    )
