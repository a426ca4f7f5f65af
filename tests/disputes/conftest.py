"""Helpers for dispute tests: residents made through the registry services, disputes reported
through the real services at unique addresses (the demo city already has a few disputes)."""

import itertools
from datetime import date
from typing import Any

import pytest

from gridgov.accounts.models import User
from gridgov.core.context import acting_as
from gridgov.disputes import services
from gridgov.disputes.models import Dispute
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry import services as registry
from gridgov.registry.models import Resident
from gridgov.registry.validation import parse_optional_phone

_seq = itertools.count(1)


class Mediation:
    """gaobo reports in 惠民社区第一网格; huimin_admin is the community centre; 昭乌达南路司法所
    (zhaowuda_mediator), 惠民社区包联律师 (huimin_lawyer) and 昭乌达南路派出所 (saihan_police,
    huimin_yijing) serve the place."""

    def __init__(self) -> None:
        names = [
            "gaobo",
            "huimin_admin",
            "zhaowuda_admin",
            "saihan_admin",
            "city_admin",
            "sysadmin",
            "huimin_chief",
            "huimin_volunteer",
            "laogangfang_worker",
            "zhaowuda_mediator",
            "huimin_lawyer",
            "saihan_police",
            "huimin_yijing",
            "huimin_security",
            "heating_staff",
            "auditor",
        ]
        self.users = {u.username: u for u in User.objects.filter(username__in=names)}
        self.grid = Node.objects.get(name="惠民社区第一网格")
        self.addresses = itertools.count(1)

    def __getitem__(self, username: str) -> User:
        return self.users[username]

    def resident(
        self,
        name: str,
        *,
        birth: str = "19800101",
        care_tags: tuple[str, ...] = (),
        phone: str = "",
        grid: Node | None = None,
    ) -> Any:
        building = (
            Node.objects.filter(parent=grid or self.grid, level=Level.BUILDING).order_by("code").first()
        )
        admin = self["sysadmin"]
        with acting_as(admin, channel="system"):
            household = registry.create_household(
                user=admin, building=building, unit="7", room=str(700 + next(_seq))
            )
        # Made directly (not with registry.create_resident): these tests are about disputes, and
        # need only a registry row with a birth date, care tags and a sealed phone.
        phone_enc, phone_hash = pii.seal_phone(parse_optional_phone(phone or None))
        return Resident.objects.create(
            household=household,
            path=household.path,
            county_code=household.county_code,
            name=name,
            birth_date=date(int(birth[:4]), int(birth[4:6]), int(birth[6:])),
            care_tags=list(care_tags),
            phone_enc=phone_enc,
            phone_hash=phone_hash,
        )

    def report(
        self,
        description: str = "两户居民因停车位发生口角",
        *,
        by: str = "gaobo",
        parties: Any = None,
        address: str | None = None,
        category: str = "dispute.neighbour",
        dispute_type: str = "neighbour",
        **extra: Any,
    ) -> Dispute:
        user = self[by]
        if address is None:
            address = f"测试小区{next(self.addresses)}号楼-{id(self)}"
        if parties is None:
            parties = [{"name": "甲某", "role": "applicant"}, {"name": "乙某", "role": "respondent"}]
        with acting_as(user, channel="api"):
            dispute, _ = services.report_dispute(
                user=user,
                category=category,
                description=description,
                dispute_type=dispute_type,
                parties=parties,
                lng=self.grid.lng,
                lat=self.grid.lat,
                address=address,
                **extra,
            )
        return Dispute.objects.select_related("event").get(pk=dispute.pk)


@pytest.fixture
def med(db: Any) -> Mediation:
    return Mediation()


@pytest.fixture(autouse=True)
def _media(tmp_path: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
