from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from gridgov.accounts.roles import Cap, Role
from gridgov.accounts.scope import can, get_visible_or_404
from gridgov.hierarchy import selectors
from gridgov.hierarchy.models import Level, Node


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Start at the top of the user's own subtree."""
    tops = list(selectors.top_nodes(request.user))
    if len(tops) == 1:
        return redirect("hierarchy:node", node_id=tops[0].pk)
    return render(request, "hierarchy/home.html", {"tops": tops})


@login_required
def node_detail(request: HttpRequest, node_id: int) -> HttpResponse:
    node = get_visible_or_404(Node.objects.select_related("parent"), request.user, pk=node_id)
    staff = node.assignments.select_related("user").order_by("role") if node.level == Level.GRID else []
    return render(request, "hierarchy/node.html", {
        "node": node,
        "crumbs": selectors.breadcrumbs(node, request.user),
        "children": selectors.children_of(node, request.user),
        "counts": selectors.subtree_counts(node),
        "staff": staff,
        "beats": node.police_beats.all() if node.level == Level.GRID else [],
        "can_manage": can(request.user, Cap.MANAGE_HIERARCHY, node.path),
        "roles": dict(Role.choices),
        "levels": dict(Level.choices),
    })
