import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from stdnum.cn import ric

from gridgov.audit.models import Action, AuditEntry
from gridgov.registry import life_events, pii, services
from gridgov.registry.choices import HouseholdStatus, LifeEventKind, ResidenceStatus
from gridgov.registry.models import Household, LifeEvent, Resident


def _errors(exc: ValidationError) -> dict:
    return exc.message_dict


# --- households ---------------------------------------------------------------------------------


def test_create_household_copies_grid_path_and_generates_number(user, building1, grid1):
    household = services.create_household(
        user=user("gaobo"), building=building1, unit="72单元", room="301", kind="出租户", phone="0471 6123456"
    )
    assert household.grid_id == grid1.pk
    assert household.path == building1.path
    assert household.county_code == building1.county_code
    assert household.number == f"{building1.code}-72-301"
    assert household.unit == "72"
    assert household.room == "301"
    assert household.kind == "renting"
    assert "72单元301室" in household.address
    assert pii.household_phone_of(household) == "0471-6123456"
    assert household.phone_hash == pii.phone_hash("04716123456")
    # Same address again: a second household there gets a distinct number.
    again = services.create_household(user=user("gaobo"), building=building1, unit="72", room="301")
    assert again.number == f"{building1.code}-72-301-2"


def test_household_under_building_outside_scope_is_refused_and_logged(user, outside_building, building2):
    before = Household.objects.count()
    for building in (outside_building, building2):  # another county; the neighbouring grid
        with pytest.raises(ValidationError) as exc:
            services.create_household(user=user("gaobo"), building=building, unit="1", room="101")
        assert "不在您可维护的范围内" in _errors(exc.value)["building"][0]
    assert Household.objects.count() == before
    assert AuditEntry.objects.filter(
        action=Action.DENIED, actor_name="gaobo", object_id=str(outside_building.pk)
    ).exists()


def test_household_must_be_under_a_building(user, grid1):
    with pytest.raises(ValidationError) as exc:
        services.create_household(user=user("gaobo"), building=grid1, unit="1", room="101")
    assert "不是楼栋" in _errors(exc.value)["building"][0]


def test_part_time_worker_cannot_register_households(user, building1):
    with pytest.raises(ValidationError):
        services.create_household(user=user("huimin_volunteer"), building=building1, room="101")


def test_update_household_with_stale_version_conflicts(user, make_household):
    household = make_household()
    first = services.update_household(household, user=user("gaobo"), version=1, note="一楼")
    assert first.version == 2
    with pytest.raises(services.StaleVersion) as exc:
        services.update_household(household, user=user("huimin_chief"), version=1, note="二楼")
    assert exc.value.extra["current_version"] == 2
    household.refresh_from_db()
    assert household.note == "一楼"


def test_update_household_moves_members_with_building(user, family, building1, grid1):
    other = grid1.children.exclude(pk=building1.pk).first()
    household = services.update_household(
        family["household"], user=user("gaobo"), version=None, building=other
    )
    assert household.path == other.path
    assert set(Resident.objects.filter(household=household).values_list("path", flat=True)) == {other.path}


def test_update_household_to_building_outside_scope_refused(user, family, building2):
    with pytest.raises(ValidationError):
        services.update_household(family["household"], user=user("gaobo"), version=None, building=building2)


# --- residents ----------------------------------------------------------------------------------


def test_create_resident_encrypts_and_derives_identity(new_id, user, make_household):
    household = make_household()
    number = new_id("19850704", female=True)
    resident = services.create_resident(
        user=user("gaobo"),
        household=household,
        name=" 乌云 ",
        id_number=number.lower(),
        phone="138 1234 5678",
        ethnicity="蒙古",
        relation="户主",
        care_tags="低保、独居",
    )
    assert resident.name == "乌云"
    assert resident.birth_date == datetime.date(1985, 7, 4)
    assert resident.sex == "F"
    assert bytes(resident.id_number_enc)
    assert number.encode() not in bytes(resident.id_number_enc)
    assert resident.id_number_hash == pii.id_number_hash(number.upper())
    assert pii.id_number_of(resident) == number.upper()
    assert pii.resident_phone_of(resident) == "13812345678"
    assert resident.ethnicity == "蒙古族"
    assert resident.care_tags == ["alone", "subsistence"]
    household.refresh_from_db()
    assert household.head_id == resident.pk
    event = LifeEvent.objects.get(resident=resident)
    assert event.kind == LifeEventKind.MOVE_IN
    assert event.to_household_id == household.pk


def test_fifteen_digit_id_is_converted(user, make_household):
    resident = services.create_resident(
        user=user("gaobo"), household=make_household(), name="王芳", id_number="110101800101122"
    )
    body = "11010119800101122"
    assert pii.id_number_of(resident) == body + ric.calc_check_digit(body + "0")
    assert resident.birth_date == datetime.date(1980, 1, 1)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("110101198001011234", "校验位"),
        ("11010119800101123", "18 位"),
        ("110101198013011236", "出生日期"),
        ("1.10101E+17", "科学计数法"),
    ],
)
def test_invalid_id_number_is_refused_and_nothing_stored(user, make_household, bad, message):
    household = make_household()
    count = Resident.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.create_resident(user=user("gaobo"), household=household, name="王芳", id_number=bad)
    assert message in _errors(exc.value)["id_number"][0]
    assert Resident.objects.count() == count


def test_invalid_phone_is_refused(new_id, user, make_household):
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("gaobo"), household=make_household(), name="王芳", id_number=new_id(), phone="12345"
        )
    assert "phone" in _errors(exc.value)


def test_birth_date_contradicting_id_names_the_field(new_id, user, make_household):
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("gaobo"),
            household=make_household(),
            name="王芳",
            id_number=new_id("19800101"),
            birth_date="1981-01-01",
        )
    assert "出生日期 1981-01-01 与身份证号不符" in _errors(exc.value)["birth_date"][0]
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("gaobo"),
            household=make_household(),
            name="王芳",
            id_number=new_id("19800101"),
            sex="女",
        )
    assert "sex" in _errors(exc.value)


def test_resident_in_two_households_is_refused_naming_the_household_if_visible(
    user, family, make_household, building2
):
    number = pii.id_number_of(family["head"])
    # gaobo sees the existing household: it is named.
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("gaobo"), household=make_household(), name="张伟", id_number=number
        )
    message = _errors(exc.value)["id_number"][0]
    assert family["household"].number in message
    assert "不能同时在两户" in message
    # A worker of another grid (huimin_admin makes the household there, laogangfang can't see it) is not told where.
    far = make_household(building2)
    with pytest.raises(ValidationError) as exc:
        services.create_resident(user=user("huimin_admin"), household=far, name="张伟", id_number=number)
    assert family["household"].number in _errors(exc.value)["id_number"][0]  # community admin sees both


def test_duplicate_not_named_to_user_who_cannot_see_it(user, family, outside_building, make_household):
    number = pii.id_number_of(family["head"])
    household = make_household(outside_building, by="sysadmin")
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("laogangfang_worker"), household=household, name="张伟", id_number=number
        )
    message = _errors(exc.value)["id_number"][0]
    assert "不能同时在两户" in message
    assert family["household"].number not in message
    assert family["household"].address not in message


def test_second_head_is_refused(new_id, user, family):
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("gaobo"),
            household=family["household"],
            name="张二",
            id_number=new_id(),
            relation="head",
        )
    assert "已有户主" in _errors(exc.value)["relation"][0]


def test_update_resident_corrects_phone_and_bumps_version(user, family):
    resident = services.update_resident(family["head"], user=user("gaobo"), version=1, phone="13700001111")
    assert pii.resident_phone_of(resident) == "13700001111"
    assert resident.version == 2
    entry = AuditEntry.objects.filter(
        action=Action.UPDATE, object_type="registry.resident", object_id=str(resident.pk)
    ).first()
    assert entry is not None
    assert "phone_hash" in entry.changes
    assert "13700001111" not in str(entry.changes)


def test_update_resident_conflict(user, family):
    services.update_resident(family["head"], user=user("gaobo"), version=1, note="a")
    with pytest.raises(services.StaleVersion):
        services.update_resident(family["head"], user=user("huimin_chief"), version=1, note="b")
    family["head"].refresh_from_db()
    assert family["head"].note == "a"


def test_update_birth_date_against_stored_id(user, family):
    with pytest.raises(ValidationError) as exc:
        services.update_resident(family["head"], user=user("gaobo"), version=None, birth_date="1961-03-15")
    assert "birth_date" in _errors(exc.value)


def test_update_id_to_one_already_registered_refused(user, family):
    with pytest.raises(ValidationError) as exc:
        services.update_resident(
            family["child"], user=user("gaobo"), version=None, id_number=pii.id_number_of(family["head"])
        )
    assert "不能同时在两户" in _errors(exc.value)["id_number"][0]


def test_special_tags_untouched_by_users_who_cannot_see_them(user, family):
    spouse = family["spouse"]
    assert spouse.special_tags == ["released_prisoner"]
    # huimin_chief edits the registry but is not granted special groups.
    updated = services.update_resident(
        spouse, user=user("huimin_chief"), version=None, special_tags=[], note="已核实"
    )
    assert updated.special_tags == ["released_prisoner"]
    assert updated.note == "已核实"
    # gaobo is granted them.
    updated = services.update_resident(spouse, user=user("gaobo"), version=None, special_tags=[])
    assert updated.special_tags == []


def test_special_tags_ignored_on_create_without_grant(new_id, user, make_household):
    resident = services.create_resident(
        user=user("huimin_chief"),
        household=make_household(),
        name="王芳",
        id_number=new_id(),
        special_tags=["community_correction"],
    )
    assert resident.special_tags == []


def test_unknown_tag_refused(new_id, user, make_household):
    with pytest.raises(ValidationError) as exc:
        services.create_resident(
            user=user("gaobo"),
            household=make_household(),
            name="王芳",
            id_number=new_id(),
            care_tags=["宠物"],
        )
    assert "关爱标签" in _errors(exc.value)["care_tags"][0]


def test_no_edit_outside_scope(user, family):
    with pytest.raises(PermissionDenied):
        services.update_resident(family["head"], user=user("laogangfang_worker"), version=None, note="x")
    with pytest.raises(PermissionDenied):
        services.update_resident(family["head"], user=user("huimin_instructor"), version=None, note="x")


# --- life events --------------------------------------------------------------------------------


def test_move_out_keeps_history(user, family):
    head, household = family["head"], family["household"]
    event = life_events.move_out(head, user=user("gaobo"), date="2024-05-01", note="去北京")
    head.refresh_from_db()
    household.refresh_from_db()
    assert head.status == ResidenceStatus.MOVED_OUT
    assert head.household_id is None
    assert head.path == household.path  # still found in the grid's history
    assert event.from_household_id == household.pk
    assert event.kind == LifeEventKind.MOVE_OUT
    assert household.head_id is None
    assert Resident.objects.filter(pk=head.pk).exists()
    kinds = list(LifeEvent.objects.filter(resident=head).order_by("pk").values_list("kind", flat=True))
    assert kinds == [LifeEventKind.MOVE_IN, LifeEventKind.MOVE_OUT]
    with pytest.raises(ValidationError):
        life_events.move_out(head, user=user("gaobo"))


def test_moved_out_person_can_move_back_in_same_record(user, family, make_household):
    head = family["head"]
    number = pii.id_number_of(head)
    life_events.move_out(head, user=user("gaobo"))
    back = services.create_resident(
        user=user("gaobo"), household=make_household(), name="张伟", id_number=number
    )
    assert back.pk == head.pk
    assert back.status == ResidenceStatus.PRESENT
    assert LifeEvent.objects.filter(resident=back).count() == 3


def test_transfer_within_city_path_follows(user, family, make_household, building2):
    child = family["child"]
    target = make_household(building2)
    event = life_events.transfer(child, target, user=user("huimin_admin"), relation="child")
    child.refresh_from_db()
    assert child.household_id == target.pk
    assert child.path == target.path
    assert event.kind == LifeEventKind.TRANSFER
    assert event.from_household_id == family["household"].pk
    assert event.to_household_id == target.pk


def test_transfer_into_household_outside_scope_refused(user, family, make_household, building2):
    target = make_household(building2)
    with pytest.raises(ValidationError) as exc:
        life_events.transfer(family["child"], target, user=user("gaobo"))
    assert "to_household" in _errors(exc.value)
    family["child"].refresh_from_db()
    assert family["child"].household_id == family["household"].pk


def test_birth_without_id(new_id, user, family):
    baby = services.record_birth(
        user=user("gaobo"), household=family["household"], name="张宝宝", birth_date="2024-03-01", sex="男"
    )
    assert baby.id_number_hash is None
    assert baby.relation == "child"
    event = LifeEvent.objects.get(resident=baby)
    assert event.kind == LifeEventKind.BIRTH
    assert event.date == datetime.date(2024, 3, 1)
    # The ID number is added later and must agree with the birth date.
    with pytest.raises(ValidationError):
        services.update_resident(baby, user=user("gaobo"), version=None, id_number=new_id("20240302"))
    baby = services.update_resident(baby, user=user("gaobo"), version=None, id_number=new_id("20240301"))
    assert baby.id_number_hash


def test_birth_in_future_refused(user, family):
    with pytest.raises(ValidationError):
        services.record_birth(
            user=user("gaobo"),
            household=family["household"],
            name="张宝宝",
            birth_date="2999-01-01",
            sex="男",
        )


def test_death(user, family):
    event = life_events.record_death(family["head"], user=user("gaobo"), date="2024-06-01")
    family["head"].refresh_from_db()
    assert family["head"].status == ResidenceStatus.DECEASED
    assert event.kind == LifeEventKind.DEATH
    # Same ID can't be registered again.
    with pytest.raises(ValidationError):
        services.create_resident(
            user=user("gaobo"),
            household=family["household"],
            name="张伟",
            id_number=pii.id_number_of(family["head"]),
        )


def test_whole_household_moves_out(new_id, user, family):
    events = life_events.move_out_household(
        family["household"], user=user("gaobo"), version=family["household"].version
    )
    assert len(events) == 3
    family["household"].refresh_from_db()
    assert family["household"].status == HouseholdStatus.MOVED_OUT
    assert not Resident.objects.filter(household=family["household"]).exists()
    with pytest.raises(ValidationError):
        services.create_resident(
            user=user("gaobo"), household=family["household"], name="王五", id_number=new_id()
        )


def test_life_event_date_before_birth_refused(user, family):
    with pytest.raises(ValidationError):
        life_events.move_out(family["child"], user=user("gaobo"), date="2000-01-01")


def test_every_write_that_changes_a_document_reindexes(new_id, user, make_household, monkeypatch):
    """Every write reindexes what it changes; a resident's note, tags or relation are in no
    document, so an edit of those alone does not."""
    calls = []
    monkeypatch.setattr(services, "reindex_households", lambda ids: calls.append(list(ids)))
    monkeypatch.setattr(life_events, "reindex_households", lambda ids: calls.append(list(ids)))
    household = make_household()
    resident = services.create_resident(
        user=user("gaobo"), household=household, name="王芳", id_number=new_id()
    )
    created = len(calls)
    services.update_resident(resident, user=user("gaobo"), version=None, note="x", care_tags=["alone"])
    assert len(calls) == created
    services.update_resident(resident, user=user("gaobo"), version=None, name="王芳芳")
    assert len(calls) == created + 1
    services.update_household(household, user=user("gaobo"), version=None, note="y")
    life_events.move_out(resident, user=user("gaobo"))
    assert calls == [[household.pk]] * 5
