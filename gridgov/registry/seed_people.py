"""The synthetic population of the seeds: fixed demo families and generated ones (no database).

Generated people look like Hohhot's registry: surname frequencies, given names by sex, about one
in eleven Mongolian (most with Mongolian names), valid 18-digit ID numbers (the county's area code
where it existed in the birth year, stdnum's checksum, the sex digit), CN mobile phones and a few
landlines, care tags that follow age and household, and a few special-population tags. The rows
and the writers are in gridgov.registry.seed.
"""

import datetime
import hashlib
import hmac
import itertools
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gridgov.core import crypto
from gridgov.core.names import mongolian_name, resident_name, surname
from gridgov.registry.choices import (
    CareTag,
    HouseholdKind,
    HouseholdStatus,
    Relation,
    ResidenceStatus,
    SpecialTag,
)

# Fixed demo households: (grid name, building number, unit, room, kind, members). A member is
# (name, sex, birth date, relation, ethnicity, phone, care tags, special tags). Tests rely on these.
Member = tuple[str, str, str, str, str, str, list[str], list[str]]
FIXED_HOUSEHOLDS: list[tuple[str, int, str, str, str, list[Member]]] = [
    (
        "惠民社区第一网格",
        1,
        "1",
        "101",
        HouseholdKind.REGISTERED,
        [
            ("张伟", "M", "1978-03-15", Relation.HEAD, "汉族", "13904711234", [], []),
            ("李娜", "F", "1980-07-02", Relation.SPOUSE, "汉族", "13804712345", [], []),
            ("张子涵", "F", "2012-09-10", Relation.CHILD, "汉族", "", [], []),
        ],
    ),
    (
        "惠民社区第一网格",
        2,
        "1",
        "201",
        HouseholdKind.REGISTERED,
        [
            (
                "单丽娟",
                "F",
                "1958-11-20",
                Relation.HEAD,
                "汉族",
                "13947105566",
                [CareTag.ELDERLY, CareTag.SUBSISTENCE],
                [],
            ),
            (
                "曾国强",
                "M",
                "1956-04-08",
                Relation.SPOUSE,
                "汉族",
                "15804717788",
                [CareTag.ELDERLY, CareTag.VETERAN],
                [],
            ),
        ],
    ),
    (
        "惠民社区第一网格",
        3,
        "2",
        "301",
        HouseholdKind.REGISTERED,
        [
            ("乌云其木格", "F", "1990-01-05", Relation.HEAD, "蒙古族", "15148123301", [], []),
            ("巴特尔", "M", "1988-05-05", Relation.SPOUSE, "蒙古族", "15148123302", [], []),
        ],
    ),
    (
        "惠民社区第一网格",
        4,
        "1",
        "102",
        HouseholdKind.RENTING,
        [
            (
                "刘强",
                "M",
                "1985-02-02",
                Relation.HEAD,
                "汉族",
                "18604710102",
                [],
                [SpecialTag.COMMUNITY_CORRECTION],
            ),
        ],
    ),
    (
        "惠民社区第一网格",
        4,
        "2",
        "202",
        HouseholdKind.REGISTERED,
        [
            (
                "解放",
                "M",
                "1949-10-01",
                Relation.HEAD,
                "汉族",
                "0471-6612345",
                [CareTag.ELDERLY, CareTag.ALONE],
                [],
            ),
        ],
    ),
    (
        "惠民社区第一网格",
        2,
        "2",
        "402",
        HouseholdKind.REGISTERED,
        [
            ("乐天宇", "M", "1992-06-18", Relation.HEAD, "汉族", "13704714402", [], []),
            ("仇晓燕", "F", "1993-08-21", Relation.SPOUSE, "回族", "13704714403", [], []),
            ("查文博", "M", "1996-12-01", Relation.SIBLING, "汉族", "13704714404", [], []),
            ("朴海燕", "F", "1970-03-03", Relation.PARENT, "朝鲜族", "13704714405", [], []),
            ("区明", "M", "1968-09-09", Relation.PARENT, "汉族", "", [], []),
        ],
    ),
    (
        "惠民社区第二网格",
        1,
        "1",
        "101",
        HouseholdKind.REGISTERED,
        [
            ("张伟", "M", "1990-10-10", Relation.HEAD, "汉族", "13904719999", [], []),
        ],
    ),
    (
        "老缸房社区第一网格",
        1,
        "1",
        "101",
        HouseholdKind.REGISTERED,
        [
            ("张伟", "M", "1975-05-20", Relation.HEAD, "汉族", "13904718888", [], []),
            ("王秀英", "F", "1976-01-30", Relation.SPOUSE, "汉族", "13904718889", [], []),
        ],
    ),
]

# Household sizes (mean ≈ 2 people, as Hohhot's 3.5 million residents in 1.76 million households).
SIZES, SIZE_WEIGHTS = (1, 2, 3, 4, 5), (38, 36, 17, 7, 2)
ETHNIC_GROUPS = [
    ("汉族", 86.5),
    ("蒙古族", 9.0),
    ("回族", 2.3),
    ("满族", 1.5),
    ("达斡尔族", 0.3),
    ("鄂温克族", 0.1),
    ("朝鲜族", 0.1),
    ("鄂伦春族", 0.05),
    ("土家族", 0.1),
    ("壮族", 0.05),
]
_ETHNIC_NAMES = [e for e, _ in ETHNIC_GROUPS]
_ETHNIC_CUMULATIVE = list(itertools.accumulate(w for _, w in ETHNIC_GROUPS))
_SIZE_CUMULATIVE = list(itertools.accumulate(SIZE_WEIGHTS))
_KINDS = (HouseholdKind.REGISTERED, HouseholdKind.NONLOCAL, HouseholdKind.RENTING)
_KIND_CUMULATIVE = (78, 90, 100)
# Birth places outside the household's county: elsewhere in Inner Mongolia, then other provinces.
OTHER_AREAS = (
    "150202",
    "150203",
    "150204",
    "150207",
    "150302",
    "150402",
    "150602",
    "150702",
    "152201",
    "152502",
    "152921",
    "150221",
    "150222",
    "110105",
    "130102",
    "140105",
    "610113",
    "620102",
    "210102",
)
FALLBACK_AREA = "150100"  # 呼和浩特市: valid for every birth year in stdnum's table
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
SPECIAL_TAGS = [t.value for t in SpecialTag]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# ID sequence numbers (3 digits, the last one odd for men): generated people use 600-999, the fixed
# demo people 500-599, leaving 000-499 to people typed in by hand (tests, imports).
SEQUENCE_BASE = 600
FIXED_SEQUENCE_BASE = 500
SEQUENCE_SLOTS = 200  # per area code, birth date and sex
CITY_WORKERS = 2

# First birth year for which stdnum (and so the registry's validation) accepts each area code we
# generate; none has an end year. tests/registry/test_seed.py checks this table against stdnum.
AREA_FIRST_YEAR: dict[str, int] = {
    "150100": 1900,
    "150102": 1983,
    "150103": 1983,
    "150104": 1983,
    "150105": 1983,
    "150121": 1900,
    "150122": 1900,
    "150123": 1995,
    "150124": 1995,
    "150125": 1996,
    "150202": 1983,
    "150203": 1983,
    "150204": 1983,
    "150207": 1983,
    "150302": 1983,
    "150402": 1983,
    "150602": 2001,
    "150702": 2001,
    "152201": 1900,
    "152502": 1983,
    "152921": 1900,
    "150221": 1900,
    "150222": 1900,
    "110105": 1900,
    "130102": 1983,
    "140105": 1997,
    "610113": 1983,
    "620102": 1983,
    "210102": 1983,
}


def area_code(area: str, year: int) -> str:
    """`area` if it existed in that birth year, else the city's own code (valid for every year)."""
    return area if AREA_FIRST_YEAR.get(area, 9999) <= year else FALLBACK_AREA


def check_digit(body17: str) -> str:
    """GB 11643 check character (what stdnum.cn.ric.calc_check_digit computes)."""
    return _CHECK[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


class Sealer:
    """AES-GCM and blind indexes with the same keys and formats as gridgov.core.crypto, without
    re-deriving objects per value (millions of values when seeding a city)."""

    def __init__(self) -> None:
        self.aes = AESGCM(crypto._enc_key())
        self.mac = hmac.new(crypto._index_key(), digestmod=hashlib.sha256)

    def encrypt(self, plain: str, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self.aes.encrypt(nonce, plain.encode("utf-8"), context)

    def blind(self, kind: str, value: str) -> str:
        mac = self.mac.copy()
        mac.update(f"{kind}:{value}".encode())
        return mac.hexdigest()[:32]


@dataclass
class Person:
    name: str
    sex: str
    birth: datetime.date
    relation: str
    ethnicity: str
    phone: str
    care: list[str]
    special: list[str]
    status: str = ResidenceStatus.PRESENT
    id_number: str = ""


@dataclass
class Family:
    building: dict[str, Any]
    unit: str
    room: str
    kind: str
    members: list[Person]
    phone: str = ""
    status: str = HouseholdStatus.ACTIVE


class IdFactory:
    """Valid, unique ID numbers: area code, birth date, a sequence whose last digit carries the sex.

    Generators running side by side (one per county) never collide: a county's own area code is
    used by that county only, and the shared codes (elsewhere, the city's) give each generator its
    own `slice` of the sequence numbers.
    """

    def __init__(
        self, rng: random.Random, county: str = "", part: int = 0, parts: int = 1, base: int = SEQUENCE_BASE
    ) -> None:
        self.rng = rng
        self.county = county
        self.used: dict[tuple[str, str], int] = {}
        width = (SEQUENCE_SLOTS // parts) if parts > 1 else SEQUENCE_SLOTS
        self.shared_range = (part * width, (part + 1) * width)
        self.base = base

    def area_for(self, county: str, year: int) -> str:
        area = county if self.rng.random() < 0.8 else self.rng.choice(OTHER_AREAS)
        return area_code(area, year)

    def make(self, area: str, birth: datetime.date, sex: str) -> tuple[str, datetime.date]:
        """(ID number, birth date): a crowded day moves the birth date on (rare)."""
        while True:
            day = f"{birth.year:04d}{birth.month:02d}{birth.day:02d}"
            key = (area + day, sex)
            lo, hi = (0, SEQUENCE_SLOTS) if area == self.county or not self.county else self.shared_range
            n = self.used.get(key, lo)
            if n < hi:
                self.used[key] = n + 1
                body = f"{area}{day}{self.base + n * 2 + (1 if sex == 'M' else 0):03d}"
                return body + check_digit(body), birth
            birth += datetime.timedelta(days=1)


class Generator:
    """Families for buildings: who lives there, with their ages, tags, IDs and phones."""

    def __init__(self, rng: random.Random, today: datetime.date, ids: IdFactory | None = None) -> None:
        self.rng = rng
        self.today = today
        self.today_ordinal = today.toordinal()
        self.ids = ids or IdFactory(rng)

    def mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"

    def birth(self, age: int) -> datetime.date:
        """A birth date for someone `age` years old today."""
        age = max(0, min(age, 104))
        latest = self.today_ordinal - int(age * 365.25)
        return datetime.date.fromordinal(latest - self.rng.randrange(365))

    def age_of(self, birth: datetime.date) -> int:
        t = self.today
        return t.year - birth.year - ((t.month, t.day) < (birth.month, birth.day))

    def family(self, building: dict[str, Any], unit: str, room: str) -> Family:
        rng = self.rng
        size = rng.choices(SIZES, cum_weights=_SIZE_CUMULATIVE)[0]
        ethnicity = rng.choices(_ETHNIC_NAMES, cum_weights=_ETHNIC_CUMULATIVE)[0]
        mongolian = ethnicity == "蒙古族"
        head_age = rng.randint(62, 92) if size == 1 and rng.random() < 0.4 else rng.randint(24, 82)
        head_sex = "M" if rng.random() < 0.68 else "F"
        family_surname = surname(rng)
        people: list[tuple[str, str, int]] = [(Relation.HEAD, head_sex, head_age)]
        if size >= 2 and rng.random() < 0.85:
            people.append(
                (Relation.SPOUSE, "F" if head_sex == "M" else "M", max(20, head_age + rng.randint(-6, 4)))
            )
        while len(people) < size:
            sex = "M" if rng.random() < 0.51 else "F"
            if head_age >= 58 and rng.random() < 0.4:
                people.append((Relation.GRANDCHILD, sex, max(0, head_age - rng.randint(50, 62))))
            elif head_age >= 22:
                child_age = head_age - rng.randint(22, 36)
                if child_age < 0:
                    people.append((Relation.PARENT, sex, head_age + rng.randint(24, 32)))
                else:
                    people.append((Relation.CHILD, sex, child_age))
            else:
                people.append((Relation.SIBLING, sex, max(0, head_age + rng.randint(-5, 5))))
        subsistence = rng.random() < 0.03
        county = building["county_code"]
        members: list[Person] = []
        for relation, sex, age in people:
            if mongolian and rng.random() < 0.7:
                name = mongolian_name(rng, sex)
            elif relation == Relation.HEAD or (
                relation in (Relation.CHILD, Relation.GRANDCHILD) and head_sex == "M"
            ):
                name = resident_name(rng, sex, family_surname=family_surname)
            else:
                name = resident_name(rng, sex)
            birth = self.birth(age)
            id_number, birth = self.ids.make(self.ids.area_for(county, birth.year), birth, sex)
            age = self.age_of(birth)
            phone = self.mobile() if age >= 14 and rng.random() < 0.95 else ""
            care = self.care_tags(age, sex, size, subsistence)
            special = [rng.choice(SPECIAL_TAGS)] if 18 <= age <= 70 and rng.random() < 0.004 else []
            status = ResidenceStatus.AWAY if rng.random() < 0.05 else ResidenceStatus.PRESENT
            members.append(
                Person(
                    name,
                    sex,
                    birth,
                    relation,
                    ethnicity if rng.random() < 0.97 else "汉族",
                    phone,
                    care,
                    special,
                    status,
                    id_number,
                )
            )
        kind = rng.choices(_KINDS, cum_weights=_KIND_CUMULATIVE)[0]
        head_phone = members[0].phone
        phone = (
            f"0471-{rng.choice('3456')}{rng.randrange(1_000_000):06d}"
            if rng.random() < 0.05 or not head_phone
            else head_phone
        )
        return Family(building, unit, room, kind, members, phone)

    def care_tags(self, age: int, sex: str, size: int, subsistence: bool) -> list[str]:
        rng = self.rng
        tags: list[str] = []
        if age >= 60:
            tags.append(CareTag.ELDERLY)
            if size == 1:
                tags.append(CareTag.ALONE)
                if rng.random() < 0.05:
                    tags.append(CareTag.EXTREME_POVERTY)
            if rng.random() < 0.04:
                tags.append(CareTag.LEFT_BEHIND_ELDER)
        if rng.random() < (0.09 if age >= 60 else 0.04):
            tags.append(CareTag.DISABLED)
        if subsistence:
            tags.append(CareTag.SUBSISTENCE)
        if sex == "M" and 35 <= age <= 85 and rng.random() < 0.04:
            tags.append(CareTag.VETERAN)
        if age < 16 and rng.random() < 0.02:
            tags.append(CareTag.LEFT_BEHIND_CHILD)
        if rng.random() < 0.015:
            tags.append(CareTag.SERIOUS_ILLNESS)
        return tags

    def families(
        self,
        building: dict[str, Any],
        count: int,
        floors: int,
        taken: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    ) -> Iterator[Family]:
        free = [
            (unit, room) for unit, room in _rooms(count + len(taken), floors) if (unit, room) not in taken
        ]
        for unit, room in free[:count]:
            yield self.family(building, unit, room)


def _rooms(count: int, floors: int) -> list[tuple[str, str]]:
    """(unit, room) for `count` households: two doors per floor, units as needed."""
    per_unit = floors * 2
    out = []
    for i in range(count):
        unit, rest = divmod(i, per_unit)
        floor, door = divmod(rest, 2)
        out.append((str(unit + 1), f"{floor + 1}{door + 1:02d}"))
    return out
