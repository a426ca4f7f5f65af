from typing import Any

import pytest

from gridgov.hierarchy.models import DERIVED_LEVELS, Node, PoliceBeat


def tree_state() -> list[tuple[Any, ...]]:
    """Everything a failed write must leave untouched."""
    nodes = list(
        Node.objects.order_by("pk").values_list(
            "pk",
            "code",
            "name",
            "path",
            "county_code",
            "parent_id",
            "level",
            "grid_kind",
            "dedicated_kind",
            "boundary",
            "version",
        )
    )
    beats = list(PoliceBeat.objects.order_by("pk").values_list("pk", "path", "county_code"))
    return nodes + beats


def assert_tree_consistent() -> None:
    """The invariants every write keeps, over the whole tree."""
    by_pk = {n.pk: n for n in Node.objects.all()}
    for n in by_pk.values():
        if n.parent_id is None:
            assert n.path == n.code
            continue
        parent = by_pk[n.parent_id]
        assert n.path == parent.path + n.code, n
        assert n.county_code == n.path[6:12], n
        if n.level in DERIVED_LEVELS:
            assert n.code.startswith(parent.code), n
            assert len(n.code) == len(parent.code) + 3, n
    for beat in PoliceBeat.objects.all():
        assert beat.county_code == beat.path[6:12]
        assert Node.objects.filter(path=beat.path).exists(), beat


@pytest.fixture
def unchanged(db):
    """with unchanged(): ... — asserts that the block changed nothing stored."""
    import contextlib

    @contextlib.contextmanager
    def _unchanged():
        before = tree_state()
        yield
        assert tree_state() == before

    return _unchanged
