"""Reads of the hierarchy, always through the user's scope."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from gridgov.accounts.roles import SINGLE_PER_GRID, Cap, Role
from gridgov.accounts.scope import scope_of, visible
from gridgov.hierarchy.models import Level, Node, PoliceBeat


def nodes_for(user: Any, cap: str = Cap.VIEW) -> QuerySet[Node]:
    return visible(Node.objects.all(), user, cap)


def top_nodes(user: Any) -> QuerySet[Node]:
    """The roots of the user's scope: where their browsing starts."""
    scope = scope_of(user)
    if scope.everything:
        return Node.objects.filter(parent__isnull=True)
    return Node.objects.filter(path__in=scope.roots)


def children_of(node: Node, user: Any) -> QuerySet[Node]:
    return nodes_for(user).filter(parent=node).order_by("code")


def breadcrumbs(node: Node, user: Any) -> list[Node]:
    """Ancestors of `node` down from the top of the user's scope (never above it)."""
    scope = scope_of(user)
    by_path = {n.path: n for n in Node.objects.filter(path__in=node.ancestor_paths())}
    return [by_path[p] for p in node.ancestor_paths() if p in by_path and scope.covers(p)]


def grids_for(user: Any, under: Node | None = None) -> QuerySet[Node]:
    grids = nodes_for(user).filter(level=Level.GRID)
    if under is not None:
        grids = grids.filter(path__under=under.path)
    return grids


def beats_for(user: Any) -> QuerySet[PoliceBeat]:
    return visible(PoliceBeat.objects.all(), user)


def staffing_gaps(user: Any, under: Node | None = None) -> list[dict[str, Any]]:
    """Every grid in scope that lacks its chief, instructor or full-time worker (1+1+1)."""
    counts = {role: Count("assignments", filter=Q(assignments__role=role)) for role in SINGLE_PER_GRID}
    grids = grids_for(user, under).annotate(**{f"n_{role}": c for role, c in counts.items()}).order_by("path")
    labels = dict(Role.choices)
    gaps = []
    for grid in grids:
        missing = [labels[role] for role in SINGLE_PER_GRID if getattr(grid, f"n_{role}") == 0]
        if missing:
            gaps.append({"grid": grid, "missing": missing})
    return gaps


def subtree_counts(node: Node) -> dict[str, int]:
    rows = Node.objects.filter(path__under=node.path).exclude(pk=node.pk).values("level").annotate(n=Count("pk"))
    return {row["level"]: row["n"] for row in rows}
