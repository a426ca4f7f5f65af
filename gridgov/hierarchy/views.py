from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import can, get_visible_or_404, has, require
from gridgov.core.forms import add_service_errors
from gridgov.hierarchy import selectors, services
from gridgov.hierarchy.forms import NodeCreateForm, NodeEditForm, NodeMoveForm
from gridgov.hierarchy.models import Level, Node, child_level

_LEVELS = dict(Level.choices)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start at the top of the user's own subtree: officials (who handle events) on its
    overview, everyone else on its structure."""
    tops = list(selectors.top_nodes(request.user))
    if len(tops) == 1:
        if has(request.user, Cap.HANDLE_EVENT):
            return redirect("overview:node", node_id=tops[0].pk)
        return redirect("hierarchy:node", node_id=tops[0].pk)
    return render(request, "hierarchy/home.html", {"tops": tops})


def _manageable(request: HttpRequest, node_id: int) -> Node:
    """A node the user may see (else 404) and manage (else 403)."""
    node = get_visible_or_404(Node.objects.select_related("parent"), request.user, pk=node_id)
    require(request.user, Cap.MANAGE_HIERARCHY, node.path, node)
    return node


@login_required
def node_detail(request: HttpRequest, node_id: int) -> HttpResponse:
    node = get_visible_or_404(Node.objects.select_related("parent"), request.user, pk=node_id)
    user = request.user
    is_grid = node.level == Level.GRID
    return render(
        request,
        "hierarchy/node.html",
        {
            "node": node,
            "crumbs": selectors.breadcrumbs(node, user),
            "children": selectors.child_summaries(node, user),
            "child_level": _LEVELS.get(child_level(node.level) or "", ""),
            "counts": [
                (_LEVELS[level], n)
                for level, n in sorted(
                    selectors.subtree_counts(node).items(), key=lambda item: list(_LEVELS).index(item[0])
                )
            ],
            "staff": selectors.grid_staff(node) if is_grid else None,
            "beats": list(node.police_beats.all()) if is_grid else [],
            "grid": node.parent if node.level == Level.BUILDING else None,
            "can_manage": can(user, Cap.MANAGE_HIERARCHY, node.path),
            "can_staff": can(user, Cap.MANAGE_STAFF, node.path),
            "can_add_child": child_level(node.level) is not None
            and can(user, Cap.MANAGE_HIERARCHY, node.path),
            "can_move": node.parent_id is not None and can(user, Cap.MANAGE_HIERARCHY, node.path),
        },
    )


@login_required
def node_create(request: HttpRequest, node_id: int) -> HttpResponse:
    parent = _manageable(request, node_id)
    level = child_level(parent.level)
    if level is None:
        raise Http404("a building has no children")
    form = NodeCreateForm(request.POST or None, level=level)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.create_node(user=request.user, parent=parent, level=level, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("已新建%(level)s %(name)s") % {"level": _LEVELS[level], "name": child.name}
            )
            return redirect("hierarchy:node", node_id=child.pk)
    return render(
        request,
        "hierarchy/node_form.html",
        {
            "form": form,
            "node": parent,
            "crumbs": selectors.breadcrumbs(parent, request.user),
            "title": _("在 %(parent)s 下新建%(level)s") % {"parent": parent.name, "level": _LEVELS[level]},
        },
    )


@login_required
def node_edit(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _manageable(request, node_id)
    form = NodeEditForm(request.POST or None, node=node)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            if changes:
                services.update_node(node, user=request.user, version=form.cleaned_data["version"], **changes)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if changes:
                messages.success(request, _("已保存 %(name)s") % {"name": changes.get("name", node.name)})
            return redirect("hierarchy:node", node_id=node.pk)
    return render(
        request,
        "hierarchy/node_form.html",
        {
            "form": form,
            "node": node,
            "crumbs": selectors.breadcrumbs(node, request.user),
            "title": _("修改%(level)s %(name)s") % {"level": _LEVELS[node.level], "name": node.name},
        },
    )


@login_required
def node_move(request: HttpRequest, node_id: int) -> HttpResponse:
    node = _manageable(request, node_id)
    if node.parent is None:
        raise Http404("the city has no parent")
    q = request.GET.get("q", "").strip()[:50]
    targets, more = selectors.move_targets(node, request.user, q)
    labels = selectors.ancestry_labels(targets)
    form = NodeMoveForm(request.POST or None, node=node, choices=[(t.pk, labels[t.pk]) for t in targets])
    if request.method == "POST" and form.is_valid():
        new_parent = selectors.manage_scope_nodes(request.user).filter(pk=form.cleaned_data["parent"]).first()
        if new_parent is None:
            form.add_error("parent", _("所选上级不存在或不在您的管理范围内"))
        else:
            try:
                moved = services.move_node(
                    node, new_parent, user=request.user, new_code=form.cleaned_data.get("code", "")
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("已将 %(name)s 移到 %(parent)s 之下，新代码 %(code)s")
                    % {"name": moved.name, "parent": new_parent.name, "code": moved.code},
                )
                return redirect("hierarchy:node", node_id=moved.pk)
    return render(
        request,
        "hierarchy/node_move.html",
        {
            "form": form,
            "node": node,
            "crumbs": selectors.breadcrumbs(node, request.user),
            "q": q,
            "more": more,
            "parent_level": _LEVELS[node.parent.level],
            "has_targets": bool(targets),
        },
    )


def _map_node(request: HttpRequest) -> Node | None:
    raw = request.GET.get("node", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404("bad node id")
    return get_visible_or_404(Node.objects.select_related("parent"), request.user, pk=int(raw))


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    node = _map_node(request)
    return render(
        request,
        "hierarchy/map.html",
        {
            "node": node,
            "crumbs": selectors.breadcrumbs(node, request.user) if node is not None else [],
            "map_config": {
                "geojson_url": "/map/grids.geojson",
                "node": node.pk if node is not None else None,
            },
        },
    )


@login_required
@require_GET
def map_geojson(request: HttpRequest) -> JsonResponse:
    layer = selectors.map_layer(request.user, _map_node(request))
    return JsonResponse(layer, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})


@login_required
def staffing_gaps(request: HttpRequest) -> HttpResponse:
    """Every grid of the user's subtree (or under ?under=<node id>) that lacks one of its 1+1+1."""
    under = None
    raw = request.GET.get("under", "")
    if raw:
        if not raw.isdigit():
            raise Http404("bad node id")
        under = get_visible_or_404(Node.objects.all(), request.user, pk=int(raw))
    gaps = selectors.staffing_gaps(request.user, under)
    page = Paginator(gaps, 100).get_page(request.GET.get("page"))
    labels = selectors.ancestry_labels([g["grid"] for g in page.object_list])
    for gap in page.object_list:
        gap["where"] = labels.get(gap["grid"].pk, "")
    return render(
        request,
        "hierarchy/staffing_gaps.html",
        {
            "under": under,
            "page": page,
            "total": len(gaps),
            "crumbs": selectors.breadcrumbs(under, request.user) if under is not None else [],
            "can_staff": {
                g["grid"].pk: can(request.user, Cap.MANAGE_STAFF, g["grid"].path) for g in page.object_list
            },
        },
    )
