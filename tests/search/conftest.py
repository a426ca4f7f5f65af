"""Search test helpers. The demo seed's fixed people (gridgov.registry.seed_people.FIXED_HOUSEHOLDS) are
the known residents: 张伟 in each of 惠民社区第一网格, 惠民社区第二网格 and 老缸房社区第一网格, 单丽娟 and
the polyphonic surnames in 惠民社区第一网格, 刘强 with a special-population tag there."""

import itertools
from typing import Any

import pytest
from stdnum.cn import ric

from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.models import Household, Resident
from gridgov.registry.validation import parse_phone
from gridgov.search.index import reindex_households

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
def add_person(building: Any) -> Any:
    """add_person("王张伟", grid="惠民社区第一网格") → a new resident heading a new household, written
    directly and indexed with `reindex_households` (as the registry's services do)."""

    def _add(name: str, grid: str = "惠民社区第一网格", *, phone: str = "") -> Resident:
        place = building(grid, 2)
        room = str(800 + next(_seq))
        household = Household.objects.create(
            building=place,
            grid=place.parent,
            path=place.path,
            county_code=place.county_code,
            unit="8",
            room=room,
            address=f"{place.address}8单元{room}室",
            number=f"{place.code}-8-{room}",
        )
        resident = Resident(
            household=household,
            path=household.path,
            county_code=household.county_code,
            name=name,
            relation="head",
        )
        resident.id_number_enc, resident.id_number_hash = pii.seal_id_number(make_id())
        if phone:
            resident.phone_enc, resident.phone_hash = pii.seal_phone(parse_phone(phone))
        resident.save()
        Household.objects.filter(pk=household.pk).update(head=resident)
        reindex_households([household.pk])
        return resident

    return _add


def names(page: Any) -> list[str]:
    return [r.get("name") or r.get("address") for r in page.results]
