"""The mobile search page (results as you type, through htmx) and the break-the-glass pages."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.core.errors import ConflictError, LimitReached
from gridgov.hierarchy.models import Level, Node
from gridgov.registry.models import BreakGlassGrant
from gridgov.registry.selectors import require_registry_access
from gridgov.search import selectors, services
from gridgov.search.grants import grants_out, grants_supervised_by, open_and_pending, per_day
from gridgov.search.tokens import MAX_QUERY_LENGTH


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """GET /search/?q=…&page=…: the whole page, or (for htmx) just the results."""
    require_registry_access(request.user)
    q = request.GET.get("q", "")
    context: dict[str, Any] = {"q": q[:MAX_QUERY_LENGTH], "max_length": MAX_QUERY_LENGTH, "errors": []}
    try:
        result = selectors.search(request.user, q, request.GET.get("page") or 1)
    except ValidationError as exc:
        context["errors"] = _errors(exc)
        result = None
    context["result"] = result
    context["grants"] = grants_out(
        result.grants if result is not None else selectors.active_grants(request.user)
    )
    context["pending"] = [g for g in grants_out(open_and_pending(request.user)) if g["status"] == "pending"]
    if result is not None and result.page > 1:
        context["next_page"] = result.page + 1
    elif result is not None:
        context["next_page"] = 2
    if request.headers.get("HX-Request"):
        template = "search/_more.html" if result is not None and result.page > 1 else "search/_results.html"
        return render(request, template, context)
    context["can_supervise"] = not scope_of(request.user, Cap.MANAGE_STAFF).empty
    return render(request, "search/search.html", context)


def _wider_choices(request: HttpRequest) -> list[Node]:
    """Where a user may ask to search: the places above where they work, nearest first (each
    marked `needs_approval` when it is wider than their own township)."""
    home = services.default_wider_node(request.user)
    choices: list[Node] = []
    node = home
    own = scope_of(request.user, Cap.VIEW_REGISTRY)
    while node is not None:
        if not own.covers(node.path) and node.level != Level.BUILDING:
            node.needs_approval = services.needs_approval(request.user, node)  # type: ignore[attr-defined]
            choices.append(node)
        node = node.parent
    return choices


@login_required
def break_glass(request: HttpRequest) -> HttpResponse:
    """Ask to search wider for two hours, stating why."""
    choices = _wider_choices(request)
    errors: dict[str, list[str]] = {}
    reason = ""
    status = 200
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        node = next((n for n in choices if str(n.pk) == request.POST.get("node_id")), None)
        try:
            if request.POST.get("node_id") and node is None:
                raise ValidationError({"node": _("请选择列表中的范围")})
            grant = services.open_break_glass(user=request.user, reason=reason, node=node)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"general": exc.messages}
            status = 400
        except LimitReached as exc:
            errors, status = {"general": [exc.message]}, 429
        except PermissionDenied:
            errors, status = {"general": [_("您没有检索权限")]}, 403
        else:
            if grant.status == "pending":
                messages.success(
                    request,
                    _(
                        "已提交申请。所选范围超出本街道，需上级审批；批准后 %(hours)s 小时内有效，结果会通知您。"
                    )
                    % {"hours": services.GRANT_HOURS},
                )
                return redirect("search:break_glass")
            messages.success(
                request,
                _("已开启越权查询，%(hours)s 小时内有效；本次申请和期间的检索都会记录并通知您的上级。")
                % {"hours": services.GRANT_HOURS},
            )
            return redirect(f"/search/?grant={grant.pk}")
    mine = grants_out(open_and_pending(request.user))
    return render(
        request,
        "search/break_glass.html",
        {
            "choices": choices,
            "errors": errors,
            "reason": reason,
            "hours": services.GRANT_HOURS,
            "per_day": per_day(),
            "grants": [g for g in mine if g["active"]],
            "pending": [g for g in mine if g["status"] == "pending"],
        },
        status=status,
    )


@login_required
def grants_page(request: HttpRequest) -> HttpResponse:
    """Supervisors: break-the-glass grants of their staff and grants opening their area."""
    if scope_of(request.user, Cap.MANAGE_STAFF).empty:
        raise Http404("not found")
    grants = grants_out(list(grants_supervised_by(request.user)[:200]), request.user)
    return render(
        request,
        "search/grants.html",
        {
            "grants": grants,
            "to_decide": [g for g in grants if g["may_decide"]],
            "hours": services.GRANT_HOURS,
        },
    )


@login_required
def grant_decide(request: HttpRequest, breakglassgrant_id: int) -> HttpResponse:
    """A superior approves or refuses (with a reason) a pending request."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    grant = get_visible_or_404(
        BreakGlassGrant.objects.select_related("user"), request.user, pk=breakglassgrant_id
    )
    approve = request.POST.get("approve") == "1"
    try:
        services.decide_break_glass(
            grant, user=request.user, approve=approve, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc))
    else:
        messages.success(request, _("已批准") if approve else _("已不予批准"))
    return redirect("search:grants")


@login_required
def grant_close(request: HttpRequest, breakglassgrant_id: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    grant = get_visible_or_404(
        BreakGlassGrant.objects.select_related("user"), request.user, pk=breakglassgrant_id
    )
    services.close_break_glass(grant, user=request.user)
    messages.success(request, _("越权查询已结束"))
    return redirect("search:search" if grant.user_id == request.user.pk else "search:grants")
