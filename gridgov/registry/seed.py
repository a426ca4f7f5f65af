"""Households and residents, with the keyword index built in the same run.

demo: 6–10 households in every demo building, plus the fixed people below (tests and the README
use them). city (`gridgov seed --scale city`): ~30 households in each of the ~58,800 buildings —
about 1.76 million households and 3.5 million residents — bulk inserted (COPY on PostgreSQL) in
batches, the search index dropped during the load and built once at the end.

Generated people look like Hohhot's registry: surname frequencies, given names by sex, about one
in eleven Mongolian (most with Mongolian names), valid 18-digit ID numbers (the county's area code
where it existed in the birth year, stdnum's checksum, the sex digit), CN mobile phones and a few
landlines, care tags that follow age and household, and a few special-population tags.
"""

import contextlib
import datetime
import hashlib
import hmac
import itertools
import json
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection, models, transaction
from django.utils import timezone
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core import crypto
from gridgov.core.dbstats import analyze
from gridgov.core.names import mongolian_name, resident_name, surname
from gridgov.core.seeding import SeedContext, secondary_indexes
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.choices import (
    CareTag,
    HouseholdKind,
    HouseholdStatus,
    Relation,
    ResidenceStatus,
    SpecialTag,
)
from gridgov.registry.models import Household, Resident
from gridgov.registry.rules import household_address
from gridgov.search import index
from gridgov.search.tokens import BulkTokenizer

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


# --- rows --------------------------------------------------------------------------------------

HOUSEHOLD_VALUES = [
    "id",
    "path",
    "county_code",
    "number",
    "building_id",
    "grid_id",
    "unit",
    "room",
    "address",
    "kind",
    "status",
    "head_id",
    "phone_enc",
    "phone_hash",
    "note",
    "version",
    "created_at",
    "updated_at",
]
RESIDENT_VALUES = [
    "id",
    "path",
    "county_code",
    "household_id",
    "name",
    "id_number_enc",
    "id_number_hash",
    "birth_date",
    "sex",
    "phone_enc",
    "phone_hash",
    "ethnicity",
    "relation",
    "status",
    "care_tags",
    "special_tags",
    "note",
    "version",
    "created_at",
    "updated_at",
]
Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[int, str, str, str]]]


@lru_cache(maxsize=4096)
def _tags_json(tags: tuple[str, ...]) -> str:
    return json.dumps(list(tags), ensure_ascii=False)


class RowBuilder:
    """Families → rows of households, residents and search documents (no database access, so it
    can run in a worker process). Primary keys are assigned from the given starting points."""

    def __init__(self, vendor: str, now: Any, next_household: int, next_resident: int) -> None:
        self.vendor = vendor
        self.now = now
        self.next_household = next_household
        self.next_resident = next_resident
        self.sealer = Sealer()
        self.tokens = BulkTokenizer()
        self.households = 0
        self.residents = 0

    def rows(self, families: Iterable[Family]) -> Rows:
        seal, blind = self.sealer.encrypt, self.sealer.blind
        id_ctx, rphone_ctx, hphone_ctx = (
            pii.ID_NUMBER_CONTEXT.encode(),
            pii.RESIDENT_PHONE_CONTEXT.encode(),
            pii.HOUSEHOLD_PHONE_CONTEXT.encode(),
        )
        id_kind, phone_kind = pii.ID_NUMBER_KIND, pii.PHONE_KIND
        now, iso_dates = self.now, self.vendor != "postgresql"
        resident_doc, household_doc = self.tokens.resident, self.tokens.household
        households: list[tuple[Any, ...]] = []
        residents: list[tuple[Any, ...]] = []
        docs: list[tuple[int, str, str, str]] = []
        for family in families:
            b = family.building
            hid = self.next_household
            self.next_household += 1
            path, county, unit, room = b["path"], b["county_code"], family.unit, family.room
            address = f"{b['address_prefix']}{unit}单元{room}室"
            phone = family.phone
            households.append(
                (
                    hid,
                    path,
                    county,
                    f"{b['code']}-{unit}-{room}",
                    b["id"],
                    b["grid_id"],
                    unit,
                    room,
                    address,
                    family.kind,
                    family.status,
                    self.next_resident,
                    seal(phone, hphone_ctx) if phone else None,
                    blind(phone_kind, phone.replace("-", "")) if phone else "",
                    "",
                    1,
                    now,
                    now,
                )
            )
            docs.append((2 * hid + 1, path, county, household_doc(address, b["name"], unit, room, phone)))
            for person in family.members:
                rid = self.next_resident
                self.next_resident += 1
                idn, mobile = person.id_number, person.phone
                residents.append(
                    (
                        rid,
                        path,
                        county,
                        hid,
                        person.name,
                        seal(idn, id_ctx),
                        blind(id_kind, idn),
                        person.birth.isoformat() if iso_dates else person.birth,
                        person.sex,
                        seal(mobile, rphone_ctx) if mobile else None,
                        blind(phone_kind, mobile.replace("-", "")) if mobile else "",
                        person.ethnicity,
                        person.relation,
                        person.status,
                        _tags_json(tuple(person.care)),
                        _tags_json(tuple(person.special)),
                        "",
                        1,
                        now,
                        now,
                    )
                )
                docs.append((2 * rid, path, county, resident_doc(person.name, mobile, idn)))
            self.households += 1
            self.residents += len(family.members)
        return households, residents, docs


class TableWriter:
    """Insert rows into a model's table in bulk: executemany on SQLite, COPY on PostgreSQL.

    Columns are the model's concrete fields; the ones the seed does not set get their default,
    so a field added to the model later does not break seeding.
    """

    def __init__(self, model: type[models.Model], values: list[str]) -> None:
        self.table = model._meta.db_table
        self.vendor = connection.vendor
        fields = list(model._meta.concrete_fields)
        by_attname = {f.attname: f for f in fields}
        missing = [name for name in values if name not in by_attname]
        if missing:
            raise RuntimeError(f"{self.table} has no column(s) {missing}")
        extra = [f for f in fields if f.attname not in values]
        self.columns = [by_attname[name].column for name in values] + [f.column for f in extra]
        self.tail = tuple(self._default(f) for f in extra)

    def _default(self, f: models.Field) -> Any:
        value = f.get_default()
        if isinstance(f, models.JSONField):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            return _now_value(self.vendor)
        return value

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        tail = self.tail
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + tail if tail else row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(
                    f"INSERT INTO {self.table} ({', '.join(self.columns)}) VALUES ({marks})",  # noqa: S608
                    [row + tail for row in rows] if tail else rows,
                )


def _now_value(vendor: str) -> Any:
    now = timezone.now()
    if vendor == "sqlite":
        return now.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return now


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (Household, Resident):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


class RegistryWriter:
    def __init__(self) -> None:
        self.households = TableWriter(Household, HOUSEHOLD_VALUES)
        self.residents = TableWriter(Resident, RESIDENT_VALUES)
        self.household_count = 0
        self.resident_count = 0

    def write(self, rows: Rows, load_docs: Any = None) -> None:
        households, residents, docs = rows
        self.households.write(households)
        self.residents.write(residents)
        documents = [index.Doc(*d) for d in docs]
        if load_docs is not None:
            load_docs(documents)
        else:
            index._write(documents)
        self.household_count += len(households)
        self.resident_count += len(residents)


# --- the seed step -----------------------------------------------------------------------------


def _buildings() -> list[dict[str, Any]]:
    """Every building with what the generator needs, in path order."""
    rows = (
        Node.objects.filter(level=Level.BUILDING)
        .order_by("path")
        .values(
            "id",
            "code",
            "name",
            "path",
            "county_code",
            "parent_id",
            "address",
            "parent__grid_kind",
            "parent__name",
        )
    )
    return [
        {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "path": row["path"],
            "county_code": row["county_code"],
            "grid_id": row["parent_id"],
            "grid_name": row["parent__name"],
            "dedicated": row["parent__grid_kind"] == "dedicated",
            "address_prefix": household_address(Node(name=row["name"], address=row["address"]), "", ""),
        }
        for row in rows
    ]


def _fixed_families(buildings: list[dict[str, Any]]) -> list[Family]:
    by_grid: dict[str, list[dict[str, Any]]] = {}
    for b in buildings:
        by_grid.setdefault(b["grid_name"], []).append(b)
    if not all(f[0] in by_grid for f in FIXED_HOUSEHOLDS):
        return []
    ids = IdFactory(random.Random(0), base=FIXED_SEQUENCE_BASE)
    families = []
    for grid_name, number, unit, room, kind, members in FIXED_HOUSEHOLDS:
        building = by_grid[grid_name][number - 1]
        people = []
        for name, sex, birth, relation, ethnicity, phone, care, special in members:
            born = datetime.date.fromisoformat(birth)
            id_number, born = ids.make(area_code(building["county_code"], born.year), born, sex)
            people.append(
                Person(
                    name,
                    sex,
                    born,
                    relation,
                    ethnicity,
                    phone,
                    list(care),
                    list(special),
                    id_number=id_number,
                )
            )
        families.append(Family(building, unit, room, kind, people, phone=people[0].phone))
    return families


def _taken_rooms(fixed: list[Family]) -> dict[int, set[tuple[str, str]]]:
    taken: dict[int, set[tuple[str, str]]] = {}
    for family in fixed:
        taken.setdefault(family.building["id"], set()).add((family.unit, family.room))
    return taken


def seed(ctx: SeedContext) -> None:
    started = time.monotonic()
    buildings = _buildings()
    fixed = _fixed_families(buildings)
    writer = RegistryWriter()
    if ctx.is_city:
        _seed_city(ctx, writer, buildings, fixed)
    else:
        gen = Generator(ctx.rng, timezone.localdate())
        taken = _taken_rooms(fixed)
        families = list(fixed)
        for b in buildings:
            count = ctx.rng.randint(2, 4) if b["dedicated"] else ctx.rng.randint(6, 10)
            families.extend(gen.families(b, count, 6, taken.get(b["id"], set())))
        builder = RowBuilder(
            connection.vendor, _now_value(connection.vendor), _next_id(Household), _next_id(Resident)
        )
        with transaction.atomic():
            writer.write(builder.rows(families))
            _reset_sequences()
            _record(ctx, writer, started)
    analyze(Household, Resident, index.SearchDoc)
    ctx.say(
        f"[green]Registry:[/green] {writer.household_count:,} households, {writer.resident_count:,} residents, "
        f"keyword index built ({time.monotonic() - started:.0f} s)"
    )


# City scale: one generator per county in worker processes (two cores), rows written by the parent.
_progress: Any = None


def _init_worker(counter: Any) -> None:
    global _progress
    _progress = counter


@dataclass(frozen=True)
class CountyTask:
    county: str
    part: int
    parts: int
    seed: str
    buildings: list[dict[str, Any]]
    taken: dict[int, set[tuple[str, str]]]
    today: datetime.date
    vendor: str
    now: Any
    next_household: int
    next_resident: int


def _generate_county(task: CountyTask) -> tuple[str, Rows, int, int]:
    rng = random.Random(task.seed)
    gen = Generator(rng, task.today, IdFactory(rng, task.county, task.part, task.parts))
    builder = RowBuilder(task.vendor, task.now, task.next_household, task.next_resident)
    households: list[tuple[Any, ...]] = []
    residents: list[tuple[Any, ...]] = []
    docs: list[tuple[int, str, str, str]] = []
    for b in task.buildings:
        count = rng.randint(5, 15) if b["dedicated"] else rng.randint(22, 41)
        h, r, d = builder.rows(
            gen.families(b, count, rng.choice((6, 11, 18)), task.taken.get(b["id"], set()))
        )
        households.extend(h)
        residents.extend(r)
        docs.extend(d)
        if _progress is not None:
            with _progress.get_lock():
                _progress.value += 1
    return task.county, (households, residents, docs), builder.households, builder.residents


def _seed_city(
    ctx: SeedContext, writer: RegistryWriter, buildings: list[dict[str, Any]], fixed: list[Family]
) -> None:
    started = time.monotonic()
    vendor, now, today = connection.vendor, _now_value(connection.vendor), timezone.localdate()
    by_county: dict[str, list[dict[str, Any]]] = {}
    for b in buildings:
        by_county.setdefault(b["county_code"], []).append(b)
    counties = sorted(by_county)
    taken = _taken_rooms(fixed)
    first_household, first_resident = _next_id(Household), _next_id(Resident)
    # Each county gets its own block of primary keys (gaps are harmless), so workers need no coordination.
    block_h = max(len(v) for v in by_county.values()) * 60
    base_seed = ctx.rng.randrange(1 << 30)
    tasks = [
        CountyTask(
            county,
            n,
            len(counties),
            f"{base_seed}:{county}",
            by_county[county],
            taken,
            today,
            vendor,
            now,
            first_household + 1000 + n * block_h,
            first_resident + 1000 + n * block_h * 6,
        )
        for n, county in enumerate(counties)
    ]
    counter = multiprocessing.Value("l", 0)
    fixed_rows = RowBuilder(vendor, now, first_household, first_resident).rows(fixed)
    # Secondary indexes are dropped for the load and built again at the end, with the search index:
    # much faster than updating them row by row.
    indexes = secondary_indexes(Household) + secondary_indexes(Resident)
    with connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    # Fork before any database work of this step: children inherit settings and models, not connections.
    connection.close()
    context = multiprocessing.get_context("fork")
    with (
        context.Pool(CITY_WORKERS, initializer=_init_worker, initargs=(counter,)) as pool,
        _sqlite_bulk_load(),
        index.bulk_loading([sql for _name, sql in indexes]) as load_docs,
        _progress_bar(ctx, len(buildings)) as advance,
    ):
        with transaction.atomic():
            writer.write(fixed_rows, load_docs)
        pending = [pool.apply_async(_generate_county, (task,)) for task in tasks]
        while pending:
            advance(counter.value)
            done = [p for p in pending if p.ready()]
            for result in done:
                pending.remove(result)
                _county, rows, _h, _r = result.get()
                with transaction.atomic():
                    writer.write(rows, load_docs)
                advance(counter.value)
            if not done:
                time.sleep(0.5)
        written = time.monotonic()
        ctx.say(
            f"Registry rows written in {written - started:.0f} s; building the keyword index and the "
            f"registry's {len(indexes)} secondary indexes…"
        )
    ctx.say(f"Indexes built in {time.monotonic() - written:.0f} s")
    with transaction.atomic():
        _reset_sequences()
        _record(ctx, writer, started)


@contextlib.contextmanager
def _sqlite_bulk_load() -> Iterator[None]:
    """On SQLite, load without foreign-key enforcement and with a large page cache.

    Households name their head, a resident written after them, and the index on `head_id` is
    dropped for the load: with enforcement on, every resident row made SQLite scan the whole
    household table for rows waiting on it (quadratic; hours for the city). The generator writes
    consistent keys, and `PRAGMA foreign_key_check` proves it once the indexes are back.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("PRAGMA cache_size = -1000000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -64000")
            cursor.execute("PRAGMA foreign_keys = ON")
    with connection.cursor() as cursor:
        for model in (Household, Resident):
            cursor.execute(f"PRAGMA foreign_key_check({model._meta.db_table})")
            broken = cursor.fetchmany(5)
            if broken:
                raise RuntimeError(
                    f"city seed wrote rows with dangling foreign keys in {model._meta.db_table}: {broken}"
                )


@contextlib.contextmanager
def _progress_bar(ctx: SeedContext, total: int) -> Iterator[Callable[[int], None]]:
    if ctx.quiet:
        yield lambda done: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=ctx.console) as progress:
        bar = progress.add_task("住户与居民（楼栋）", total=total)
        yield lambda done: progress.update(bar, completed=done)


def _record(ctx: SeedContext, writer: RegistryWriter, started: float) -> None:
    record(
        Action.COMMAND,
        object_type="registry.household",
        message=f"seed {ctx.scale}: {writer.household_count} households, {writer.resident_count} residents, "
        f"search index built ({time.monotonic() - started:.0f} s)",
    )
