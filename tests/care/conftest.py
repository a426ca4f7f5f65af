"""Care tests: gaobo's grid (惠民社区第一网格) and a tagged resident made there for each test."""

import itertools
from datetime import date
from typing import Any

import pytest

from gridgov.core.context import acting_as
from gridgov.registry.models import Household, Resident

_seq = itertools.count(1)


@pytest.fixture
def grid(node: Any) -> Any:
    return node("惠民社区第一网格")


@pytest.fixture
def household(grid: Any) -> Household:
    return Household.objects.filter(grid=grid, status="active").order_by("pk").first()


@pytest.fixture
def tagged(user: Any, household: Household) -> Any:
    """tagged(["alone"]) → a new resident of gaobo's grid with these care tags."""

    def make(tags: list[str], target: Household | None = None) -> Any:
        # Made directly: these tests are about care, and need a registry row with care tags
        # (the save's signal builds the schedule as a registry service's save does).
        home = target or household
        with acting_as(None, channel="command", username="test"):
            return Resident.objects.create(
                household=home,
                path=home.path,
                county_code=home.county_code,
                name="关爱" + "甲乙丙丁戊己庚辛壬癸"[next(_seq) % 10],
                birth_date=date(1940, 1, 1),
                care_tags=tags,
            )

    return make
