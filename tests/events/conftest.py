"""Helpers for event tests: make an event in any workflow state through the real services."""

import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from shapely.geometry import Point, shape

from gridgov.accounts.models import User
from gridgov.events import intake, transitions
from gridgov.events.deadlines import invalidate_calendar
from gridgov.events.intake import forget_cached_rows
from gridgov.events.models import Event, Organisation
from gridgov.events.selectors import invalidate_catalog
from gridgov.hierarchy.models import Node

# 1x1 PNG and the smallest JPEG/WebP headers: the service checks magic bytes, not pixels.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


@pytest.fixture
def images() -> dict[str, bytes]:
    return {"jpeg": JPEG, "png": PNG, "webp": WEBP}


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """Holiday rows added by a test are rolled back without signals: drop the cached calendar."""
    invalidate_calendar()
    invalidate_catalog()
    forget_cached_rows()
    yield
    invalidate_calendar()
    invalidate_catalog()
    forget_cached_rows()


@pytest.fixture(autouse=True)
def _media(tmp_path: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


class Story:
    """Builds events in the demo city: gaobo reports in 惠民社区第一网格, huimin_admin is the
    centre, zhaowuda_admin the superior, 呼和浩特市热力公司 (heating_staff) leads and
    惠民社区治保会 (huimin_security) co-handles."""

    def __init__(self) -> None:
        names = [
            "gaobo",
            "huimin_admin",
            "zhaowuda_admin",
            "heating_staff",
            "huimin_security",
            "huimin_volunteer",
            "laogangfang_worker",
            "saihan_admin",
            "city_admin",
            "water_staff",
        ]
        self.users = {u.username: u for u in User.objects.filter(username__in=names)}
        self.grid = Node.objects.get(name="惠民社区第一网格")
        self.heating = Organisation.objects.get(name="呼和浩特市热力公司")
        self.committee = Organisation.objects.get(name="惠民社区治保会")

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def report(
        self,
        category: str = "heating.pipe_burst",
        description: str = "6号楼供热管道爆裂",
        *,
        now: datetime | None = None,
        dx: float = 0.0,
        metres: float | None = None,
        **extra: Any,
    ) -> Event:
        """Reported by gaobo at the grid's centre, `dx` degrees east of it, or a point inside the
        grid `metres` away from it."""
        lng, lat = ((self.grid.lng or 0) + dx, self.grid.lat) if metres is None else self.spot(metres)
        event, _ = intake.report_event(
            user=self["gaobo"],
            category=category,
            description=description,
            lng=lng,
            lat=lat,
            now=now,
            **extra,
        )
        return event

    def spot(self, metres: float) -> tuple[float, float]:
        """A point inside the grid about `metres` from its centre: the first bearing (from north,
        clockwise) whose point at that distance still lies in the grid."""
        outline = shape(self.grid.boundary)
        lng, lat = self.grid.lng or 0, self.grid.lat or 0
        for bearing in range(0, 360, 10):
            east = metres * math.sin(math.radians(bearing)) / (111_000 * math.cos(math.radians(lat)))
            north = metres * math.cos(math.radians(bearing)) / 111_000
            if outline.contains(Point(lng + east, lat + north)):
                return lng + east, lat + north
        raise AssertionError(f"{self.grid.name} has no point {metres} m from its centre")

    def act(
        self,
        event: Event,
        action: str,
        username: str | None,
        note: str = "",
        now: datetime | None = None,
        **data: Any,
    ) -> Event:
        user = self[username] if username else None
        return transitions.transition(event, action, user=user, note=note, now=now, **data)

    def in_state(self, state: str, *, now: datetime | None = None) -> Event:
        """An event brought to `state` along the usual path (with a co-handler from dispatch on)."""
        now = now or timezone.now()
        step = iter(now + timedelta(minutes=n) for n in range(1, 50))
        event = self.report(now=now)
        if state == "reported":
            return event
        if state == "merged":
            target = self.report(now=now, dx=0.0003)
            return self.act(event, "merge", "huimin_admin", "重复", now=next(step), into=target.number)
        if state == "returned":
            return self.act(event, "return", "huimin_admin", "位置不清", now=next(step))
        self.act(event, "accept", "huimin_admin", now=next(step))
        if state == "accepted":
            return event
        self.act(
            event,
            "dispatch",
            "huimin_admin",
            now=next(step),
            lead_org_id=self.heating.pk,
            co_org_ids=[self.committee.pk],
        )
        if state == "dispatched":
            return event
        self.act(event, "acknowledge", "heating_staff", now=next(step))
        if state == "acknowledged":
            return event
        self.act(event, "start", "heating_staff", now=next(step))
        if state == "in_progress":
            return event
        if state == "suspended":
            self.act(event, "request_suspension", "heating_staff", "等待配件", now=next(step))
            return self.act(event, "approve_suspension", "zhaowuda_admin", "同意", now=next(step))
        self.act(event, "handle", "heating_staff", now=next(step), result="已更换管道")
        if state == "handled":
            return event
        if state == "reopened":
            return self.act(event, "reopen", "gaobo", "还在漏", now=next(step))
        if state == "closed":
            return self.act(event, "confirm", "gaobo", now=next(step), satisfaction=5)
        raise ValueError(state)


@pytest.fixture
def story(db: Any) -> Story:
    return Story()


def take_snapshot(event: Event) -> tuple[Any, ...]:
    """What a refused transition must leave unchanged."""
    event = Event.objects.get(pk=event.pk)
    return (
        event.state,
        event.version,
        event.due_at,
        event.handling_node_id,
        event.lead_org_id,
        event.supervision,
        event.steps.count(),
        event.assignments.count(),
        event.clock_requests.count(),
        event.overdue,
        event.merged_into_id,
        event.notices.count(),
    )


@pytest.fixture
def snapshot() -> Any:
    return take_snapshot
