"""The demo population: every building has households, the people look like Hohhot's registry and
pass the registry's own validation, the fixed people exist, and the search index covers them."""

import datetime
import random
from collections import Counter

import pytest
from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from gridgov.core import crypto
from gridgov.hierarchy.models import Level, Node
from gridgov.registry import pii
from gridgov.registry.models import Household, Resident
from gridgov.registry.seed_people import (
    AREA_FIRST_YEAR,
    FIXED_HOUSEHOLDS,
    SEQUENCE_BASE,
    Generator,
    IdFactory,
    Sealer,
    check_digit,
)
from gridgov.registry.validation import parse_id_number, parse_phone
from gridgov.search.models import SearchDoc


def test_every_residential_building_has_households(db):
    buildings = Node.objects.filter(level=Level.BUILDING, parent__grid_kind="basic")
    counts = Counter(Household.objects.values_list("building_id", flat=True))
    assert all(6 <= counts[b.pk] <= 12 for b in buildings)  # 6-10 generated, plus fixed ones


def test_fixed_people_for_tests(db):
    for grid, _b, _u, _r, _k, members in FIXED_HOUSEHOLDS:
        for name, *_rest in members:
            assert Resident.objects.filter(name=name, household__grid__name=grid).count() == 1, (name, grid)
    assert Resident.objects.filter(name="张伟", household__grid__name="惠民社区第一网格").exists()
    assert Resident.objects.filter(name__startswith="单", household__grid__name="惠民社区第一网格").exists()


def test_id_numbers_phones_birth_dates_and_sex_pass_the_registrys_validation(db):
    residents = list(Resident.objects.order_by("?")[:400])
    for r in residents:
        parsed = parse_id_number(pii.id_number_of(r))
        assert parsed.birth_date == r.birth_date, r.name
        assert parsed.sex == r.sex, r.name
        phone = pii.resident_phone_of(r)
        if phone:
            assert parse_phone(phone).display == phone
            assert r.phone_hash == pii.phone_hash(parse_phone(phone).digits)
        assert r.id_number_hash == pii.id_number_hash(parsed.value)
    households = list(Household.objects.exclude(phone_hash="").order_by("?")[:100])
    for h in households:
        assert h.phone_hash == pii.phone_hash(parse_phone(pii.household_phone_of(h)).digits)


def test_area_codes_were_valid_in_the_birth_year(db):
    for r in Resident.objects.order_by("?")[:300]:
        number = pii.id_number_of(r)
        assert number[:6] in AREA_FIRST_YEAR
        assert AREA_FIRST_YEAR[number[:6]] <= r.birth_date.year
        assert ric.get_birth_place(number)  # stdnum's own period check


def test_hohhot_population_shape(db):
    total = Resident.objects.count()
    assert 1.7 <= total / Household.objects.count() <= 2.4
    mongolian = Resident.objects.filter(ethnicity="蒙古族").count()
    assert 0.05 <= mongolian / total <= 0.14
    today = timezone.localdate()
    for r in Resident.objects.exclude(name__in=[m[0] for f in FIXED_HOUSEHOLDS for m in f[5]]).order_by("?")[
        :300
    ]:
        age = (
            today.year
            - r.birth_date.year
            - ((today.month, today.day) < (r.birth_date.month, r.birth_date.day))
        )
        assert ("elderly" in r.care_tags) == (age >= 60), (r.name, age, r.care_tags)
    assert Resident.objects.exclude(special_tags=[]).exists()
    assert Household.objects.filter(kind="renting").exists()
    assert Household.objects.filter(kind="nonlocal").exists()


def test_search_documents_cover_the_population(db):
    assert SearchDoc.objects.count() == Resident.objects.count() + Household.objects.count()


def test_area_table_matches_stdnum():
    for area, first in AREA_FIRST_YEAR.items():
        ric.get_birth_place(f"{area}{first:04d}01010000")
        if first > 1900:
            with pytest.raises(StdnumError):
                ric.get_birth_place(f"{area}{first - 1:04d}01010000")


def test_check_digit_matches_stdnum():
    rng = random.Random(3)
    for _ in range(200):
        body = f"{rng.randrange(10**17):017d}"
        assert check_digit(body) == ric.calc_check_digit(body + "0")


def test_sealer_matches_the_crypto_module(db):
    sealer = Sealer()
    blob = sealer.encrypt("13812345678", b"resident.phone")
    assert crypto.decrypt(blob, "resident.phone") == "13812345678"
    assert sealer.blind("phone", "13812345678") == crypto.blind_index("phone", "13812345678")


def test_generated_ids_are_unique_and_parallel_generators_never_collide():
    today = datetime.date(2026, 6, 1)
    seen: set[str] = set()
    for part, county in enumerate(("150102", "150105")):
        rng = random.Random(part)
        gen = Generator(rng, today, IdFactory(rng, county, part, 9))
        building = {"county_code": county}
        for _ in range(3000):
            family = gen.family(building, "1", "101")
            for person in family.members:
                assert person.id_number not in seen
                seen.add(person.id_number)
                assert int(person.id_number[14:17]) >= SEQUENCE_BASE
                assert int(person.id_number[16]) % 2 == (1 if person.sex == "M" else 0)
                assert person.id_number[6:14] == person.birth.strftime("%Y%m%d")
