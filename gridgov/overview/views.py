"""The overview pages: each official's home, for any node in their scope (same layout at every
level), and the big screen behind a display link. Thin: the figures come from board.py."""

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, get_visible_or_404, require
from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.hierarchy import selectors as hierarchy
from gridgov.hierarchy.models import Node
from gridgov.overview import board, mapdata, reports, selectors, services
from gridgov.overview import period as periods
from gridgov.overview.models import DisplayLink, MonthlyReport, ReportStatus


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The top of the viewer's scope (several tops: the structure page lists them)."""
    tops = list(hierarchy.top_nodes(request.user))
    if len(tops) == 1:
        return redirect("overview:node", node_id=tops[0].pk)
    return redirect("hierarchy:home")


def chosen_period(request: HttpRequest) -> tuple[periods.Period, dict[str, str]]:
    """The period asked for; a bad one falls back to this month with the error shown."""
    try:
        return periods.parse(request.GET.get("period"), request.GET.get("start"), request.GET.get("end")), {}
    except ValidationError as exc:
        errors = {field: "；".join(str(m) for m in messages) for field, messages in exc.message_dict.items()}
        return periods.parse("month"), errors


@login_required
def node_page(request: HttpRequest, node_id: int) -> HttpResponse:
    node = get_visible_or_404(Node.objects.defer("boundary"), request.user, pk=node_id)
    chosen, errors = chosen_period(request)
    seen = selectors.sight(request.user, node)
    data = board.overview(node, chosen, seen, who=request.user)
    context: dict[str, Any] = {
        "node": node,
        "data": data,
        "period": chosen,
        "period_kinds": periods.KINDS,
        "errors": errors,
        "indicators": board.indicator_table(request.user, node, chosen),
        "query": request.GET.urlencode(),
        "can_display": can(request.user, Cap.HANDLE_EVENT, node.path),
        "config": {"map_url": f"/api/v1/overview/{node.pk}/map", "drill": "/overview/", "mode": "page"},
    }
    return _no_store(render(request, "overview/page.html", context))


# --- the big screen -------------------------------------------------------------------------------

SCREEN_PERIODS = ("today", "week", "month", "year")
SCREEN_REFRESH_SECONDS = 30


def _screen_period(request: HttpRequest) -> periods.Period:
    kind = request.GET.get("period", "today")
    return periods.parse(kind if kind in SCREEN_PERIODS else "today")


def _live_link(token: str) -> DisplayLink:
    link = services.link_for_token(token)
    if link is None:
        raise Http404("unknown or revoked display link")
    return link


@require_safe
def screen(request: HttpRequest, token: str) -> HttpResponse:
    """The big screen of a display link's node: counts and the map only, no personal data."""
    link = _live_link(token)
    chosen = _screen_period(request)
    data = board.overview(link.node, chosen, board.DISPLAY_SIGHT, links=False)
    config = {
        "map_url": f"/screen/{token}/map.json",
        "drill": "",
        "mode": "screen",
        "refresh": SCREEN_REFRESH_SECONDS,
    }
    context = {"node": link.node, "data": data, "config": config, "now": timezone.localtime()}
    response = render(request, "overview/screen.html", context)
    response["X-Robots-Tag"] = "noindex"
    return _no_store(response)


@require_safe
def screen_map(request: HttpRequest, token: str) -> JsonResponse:
    link = _live_link(token)
    layer = mapdata.map_layer(link.node, _screen_period(request), board.DISPLAY_SIGHT, who=None)
    response = JsonResponse(layer, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Cache-Control"] = "no-store"
    return response


def _display_node(request: HttpRequest, node_id: int) -> Node:
    node = get_visible_or_404(Node.objects.defer("boundary"), request.user, pk=node_id)
    require(request.user, Cap.HANDLE_EVENT, node.path, node)
    return node


@login_required
def displays(request: HttpRequest, node_id: int) -> HttpResponse:
    """The node's display links: make one (its token shown once), see and revoke them."""
    node = _display_node(request, node_id)
    context: dict[str, Any] = {"node": node, "name": f"{node.name}综治中心大屏", "error": "", "token_url": ""}
    if request.method == "POST":
        context["name"] = request.POST.get("name", "")
        try:
            _link, token = services.create_display_link(user=request.user, node=node, name=context["name"])
        except ValidationError as exc:
            context["error"] = "；".join(exc.messages)
        else:
            context["token_url"] = request.build_absolute_uri(f"/screen/{token}/")
    context["links"] = list(
        DisplayLink.objects.restrict(request.user).filter(node=node).select_related("created_by")
    )
    return render(request, "overview/displays.html", context, status=400 if context["error"] else 200)


@login_required
@require_POST
def revoke_display(request: HttpRequest, displaylink_id: int) -> HttpResponse:
    link = get_visible_or_404(DisplayLink.objects.all(), request.user, pk=displaylink_id)
    services.revoke_display_link(user=request.user, link=link)
    return redirect("overview:displays", node_id=link.node_id)


# --- monthly reports -------------------------------------------------------------------------------


@login_required
def report_list(request: HttpRequest, node_id: int) -> HttpResponse:
    """The node's reports; ask for one of any period (built by the worker, announced in the inbox)."""
    node = _display_node(request, node_id)
    last_month = periods.month_range(timezone.localdate().replace(day=1) - datetime.timedelta(days=1))
    context: dict[str, Any] = {"node": node, "start": last_month.start, "end": last_month.end, "errors": {}}
    status = 200
    if request.method == "POST":
        try:
            chosen = periods.parse("custom", request.POST.get("start"), request.POST.get("end"))
            services.request_report(user=request.user, node=node, start=chosen.start, end=chosen.end)
        except ValidationError as exc:
            context["errors"] = {f: "；".join(str(m) for m in ms) for f, ms in exc.message_dict.items()}
            status = 400
        else:
            return redirect("overview:reports", node_id=node.pk)
    context["reports"] = list(
        MonthlyReport.objects.restrict(request.user).filter(node=node).order_by("-end", "-pk")[:60]
    )
    return render(request, "overview/reports.html", context, status=status)


REPORT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _report_file(request: HttpRequest, monthlyreport_id: int, kind: str) -> HttpResponse | FileResponse:
    report = get_visible_or_404(
        MonthlyReport.objects.select_related("node"), request.user, pk=monthlyreport_id
    )
    if report.status != ReportStatus.DONE:
        return HttpResponse("报告尚未生成，请稍后再试", status=409, content_type="text/plain; charset=utf-8")
    path = reports.file_path(report, kind)
    if not path.exists():
        raise Http404("report file missing")
    record(Action.EXPORT, report, user=request.user, message=f"report downloaded ({kind})")
    name = f"{report.node.name}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.{kind}"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=REPORT_TYPES[kind])


@login_required
@require_safe
def report_pdf(request: HttpRequest, monthlyreport_id: int) -> HttpResponse | FileResponse:
    return _report_file(request, monthlyreport_id, "pdf")


@login_required
@require_safe
def report_xlsx(request: HttpRequest, monthlyreport_id: int) -> HttpResponse | FileResponse:
    return _report_file(request, monthlyreport_id, "xlsx")
