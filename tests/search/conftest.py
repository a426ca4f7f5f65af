"""Search test helpers. The demo seed's fixed people (gridgov.registry.seed.FIXED_HOUSEHOLDS) are
the known residents: 张伟 in each of 惠民社区第一网格, 惠民社区第二网格 and 老缸房社区第一网格, 单丽娟 and
the polyphonic surnames in 惠民社区第一网格, 刘强 with a special-population tag there."""

import itertools
from typing import Any

import pytest
from stdnum.cn import ric

from gridgov.core.context import acting_as
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import services
from gridgov.registry.models import Resident

_seq = itertools.count(11)


def make_id(birth: str = "19850101", *, area: str = "310101", female: bool = False) -> str:
    """A valid ID number (Shanghai area code: never one of the demo city's)."""
    n = next(_seq) * 2 + (0 if female else 1)
    body = f"{area}{birth}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def resident(db: Any) -> Any:
    """resident("张伟", "惠民社区第一网格") → the fixed demo resident."""
    def _get(name: str, grid: str) -> Resident:
        return Resident.objects.get(name=name, household__grid__name=grid)

    return _get


@pytest.fixture
def building(db: Any) -> Any:
    """building("惠民社区第一网格", 5) → that grid's 5号楼."""
    def _get(grid: str, number: int = 1) -> Node:
        return Node.objects.filter(parent__name=grid, level=Level.BUILDING).order_by("code")[number - 1]

    return _get


@pytest.fixture
def add_person(user: Any, building: Any) -> Any:
    """add_person("王张伟", grid="惠民社区第一网格", **resident fields) → a new resident in a new household."""
    def _add(name: str, grid: str = "惠民社区第一网格", *, unit: str = "8", room: str = "", phone: str = "",
             **fields: Any) -> Resident:
        admin = user("sysadmin")
        with acting_as(admin, channel="system"):
            household = services.create_household(user=admin, building=building(grid, 2), unit=unit,
                                                  room=room or str(800 + next(_seq)), phone=phone or None)
            fields.setdefault("id_number", make_id())
            return services.create_resident(user=admin, household=household, name=name, phone=phone or None,
                                            relation="head", **fields)

    return _add


def names(page: Any) -> list[str]:
    return [r.get("name") or r.get("address") for r in page.results]
