"""Helpers for patrol tests: the demo worker gaobo's grid, its buildings, a started patrol."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.hierarchy.models import Node
from gridgov.patrols import services
from gridgov.patrols.models import Patrol

GRID = "惠民社区第一网格"


@pytest.fixture
def grid(db: Any) -> Node:
    return Node.objects.get(name=GRID)


@pytest.fixture
def buildings(grid: Node) -> list[Node]:
    return list(Node.objects.filter(parent=grid, level="building").order_by("code"))


@pytest.fixture
def gaobo(db: Any) -> User:
    return User.objects.get(username="gaobo")


@pytest.fixture
def started(gaobo: User, grid: Node) -> Any:
    """started(minutes_ago=30) → a patrol of gaobo's grid started that long ago."""

    def _start(minutes_ago: int = 30, worker: User | None = None, on: Node | None = None) -> Patrol:
        patrol, _created = services.start_patrol(
            user=worker or gaobo,
            grid=on or grid,
            key=str(uuid.uuid4()),
            started_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
        return patrol

    return _start


def walk(
    building: Node, n: int, start: datetime, step_s: int = 10, east_m: float = 2.0
) -> list[dict[str, Any]]:
    """n positions walking east from a building's point, one every `step_s` seconds."""
    assert building.lng is not None
    assert building.lat is not None
    degrees = east_m / 85_000  # about a metre in longitude at Hohhot's latitude, times east_m
    return [
        {
            "at": (start + timedelta(seconds=i * step_s)).isoformat(),
            "lng": building.lng + i * degrees,
            "lat": building.lat,
            "accuracy": 8,
        }
        for i in range(n)
    ]


from tests.front.conftest import shared_live_server  # noqa: E402, F401  (a fixture, for test_browser)
