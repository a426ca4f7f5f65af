"""Registry test data, made here (not taken from the demo population, which may or may not exist).

ID numbers use Beijing/Shanghai area codes so they never collide with the demo city's Hohhot ones.
"""

import itertools
from typing import Any

import pytest
from stdnum.cn import ric

from gridgov.core.context import acting_as
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import services

_seq = itertools.count(101)


def make_id(
    birth: str = "19800101", *, area: str = "110101", seq: int | None = None, female: bool = False
) -> str:
    """A valid 18-digit ID number (unique per call unless `seq` is given)."""
    n = next(_seq) if seq is None else seq
    n = n * 2 + (0 if female else 1)
    body = f"{area}{birth}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def new_id() -> Any:
    return make_id


@pytest.fixture
def grid1(node: Any) -> Node:
    """gaobo's grid."""
    return node("惠民社区第一网格")


@pytest.fixture
def grid2(node: Any) -> Node:
    """Another grid of the same community (outside gaobo's grid, inside huimin_admin's community)."""
    return node("惠民社区第二网格")


@pytest.fixture
def building1(grid1: Node) -> Node:
    return Node.objects.filter(parent=grid1, level=Level.BUILDING).order_by("code").first()


@pytest.fixture
def building2(grid2: Node) -> Node:
    return Node.objects.filter(parent=grid2, level=Level.BUILDING).order_by("code").first()


@pytest.fixture
def outside_building(node: Any) -> Node:
    """A building in 新城区 (老缸房社区), outside everyone's scope in 赛罕区."""
    return (
        Node.objects.filter(parent=node("老缸房社区第一网格"), level=Level.BUILDING).order_by("code").first()
    )


@pytest.fixture
def make_household(user: Any, building1: Node) -> Any:
    def _make(building: Node | None = None, *, by: str = "sysadmin", **kwargs: Any) -> Any:
        actor = user(by)
        with acting_as(actor, channel="system"):
            kwargs.setdefault("unit", "9")
            kwargs.setdefault("room", str(next(_seq)))
            return services.create_household(user=actor, building=building or building1, **kwargs)

    return _make


@pytest.fixture
def make_resident(user: Any) -> Any:
    def _make(household: Any, *, by: str = "sysadmin", **kwargs: Any) -> Any:
        actor = user(by)
        kwargs.setdefault("name", "张伟")
        if "id_number" not in kwargs:
            kwargs["id_number"] = make_id()
        with acting_as(actor, channel="system"):
            return services.create_resident(user=actor, household=household, **kwargs)

    return _make


@pytest.fixture
def family(make_household: Any, make_resident: Any) -> dict[str, Any]:
    """A household in gaobo's grid: head, spouse with a special tag, a child."""
    household = make_household(phone="0471-6123456")
    head = make_resident(
        household,
        name="张伟",
        relation="head",
        phone="13812345678",
        id_number=make_id("19600315"),
        care_tags=["elderly"],
    )
    spouse = make_resident(
        household,
        name="李娜",
        relation="spouse",
        id_number=make_id("19620420", female=True),
        special_tags=["released_prisoner"],
        phone="13912345678",
    )
    child = make_resident(household, name="张小明", relation="child", id_number=make_id("20100101"))
    household.refresh_from_db()
    return {"household": household, "head": head, "spouse": spouse, "child": child}
