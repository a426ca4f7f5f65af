"""The house rules that keep the code one way (docs/architecture.md), checked on every run.

- Views, API modules and admin classes never read a scoped model's manager directly: every read
  goes through the scoping door (`restrict`, `get_visible_or_404`) or a selector.
- No module in gridgov/ is over 700 lines.
The layers themselves (api/views/admin → services/selectors → models → core) are import-linter
contracts in pyproject.toml, run by `make lint`.
"""

import ast
from pathlib import Path

from django.apps import apps

from gridgov.accounts.scope import RULES

ROOT = Path(__file__).resolve().parent.parent / "gridgov"
DOORS = {"restrict", "get_visible_or_404"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}


def _thin_modules() -> list[Path]:
    """Views, API modules and admin modules: the layer that only parses, calls and renders."""
    return sorted(
        p
        for p in ROOT.rglob("*.py")
        if "migrations" not in p.parts and (p.stem in {"views", "api", "admin"} or p.parent.name == "views")
    )


def _scoped_model_names() -> set[str]:
    return {apps.get_model(label).__name__ for label in RULES}


def _unscoped_reads(path: Path, scoped: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGERS
            and isinstance(node.value, ast.Name)
            and node.value.id in scoped
        ):
            continue
        # Walk up the expression: a `.restrict(...)` in the chain, an enclosing door call, or an
        # empty queryset (`.none()`, a form field filled later) is fine.
        up: ast.AST = node
        allowed = False
        while up in parents:
            up = parents[up]
            if isinstance(up, ast.Attribute) and up.attr in DOORS | {"none"}:
                allowed = True
                break
            if isinstance(up, ast.Call):
                name = getattr(up.func, "id", getattr(up.func, "attr", ""))
                if name in DOORS:
                    allowed = True
                    break
            if isinstance(up, ast.stmt):
                break
        if not allowed:
            found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_views_api_and_admin_read_scoped_models_only_through_the_door() -> None:
    scoped = _scoped_model_names()
    assert {"Event", "Resident", "Dispute", "Node"} <= scoped
    modules = _thin_modules()
    assert len(modules) >= 20
    found = [line for path in modules for line in _unscoped_reads(path, scoped)]
    assert found == [], "read through Model.objects.restrict(...) or a selector:\n" + "\n".join(found)


def test_the_check_catches_an_unscoped_read(tmp_path: Path) -> None:
    sample = tmp_path / "views.py"
    sample.write_text(
        "def a(request):\n"
        "    return Resident.objects.filter(pk=1)\n"
        "def b(request):\n"
        "    return Resident.objects.filter(pk=1).restrict(request.user)\n"
        "def c(request):\n"
        "    return get_visible_or_404(Resident.objects.select_related('household'), request.user, pk=1)\n"
        "def d(request):\n"
        "    rows = Resident.objects.all()\n"
        "    return get_visible_or_404(rows, request.user, pk=1)\n"
    )
    found = _unscoped_reads(sample, {"Resident"}, root=tmp_path / "gridgov")
    assert [line.split(":")[1] for line in found] == ["2", "8"]


def test_no_module_is_over_700_lines() -> None:
    long = {
        str(p.relative_to(ROOT.parent)): n
        for p in ROOT.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 700
    }
    assert long == {}
