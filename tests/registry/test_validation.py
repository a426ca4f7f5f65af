import datetime

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from gridgov.registry.choices import ETHNICITIES
from gridgov.registry.validation import (
    check_against_id,
    check_birth_and_sex,
    convert_15_to_18,
    parse_birth,
    parse_care_tags,
    parse_date,
    parse_ethnicity,
    parse_household_kind,
    parse_id_number,
    parse_name,
    parse_phone,
    parse_relation,
    parse_residence_status,
    parse_sex,
    parse_special_tags,
    parse_unit_room,
    validate_identity,
)


def valid(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


MALE = valid("15010519900101123")  # ends in X
FEMALE = valid("15010219850704002")


def message(exc: pytest.ExceptionInfo, field: str) -> str:
    return exc.value.message_dict[field][0]


def test_valid_number_gives_birth_date_and_sex():
    parsed = parse_id_number(MALE)
    assert parsed.value == MALE
    assert MALE.endswith("X")
    assert parsed.birth_date == datetime.date(1990, 1, 1)
    assert parsed.sex == "M"
    assert parse_id_number(FEMALE).sex == "F"


@pytest.mark.parametrize(
    "typed",
    [
        MALE.lower(),
        " ".join([MALE[:6], MALE[6:14], MALE[14:]]),
        "".join(chr(ord(c) + 0xFEE0) for c in MALE),  # full-width digits and Ｘ
        "\u3000" + MALE + "\t",
    ],
)
def test_spaces_fullwidth_and_lowercase_x_accepted(typed):
    assert parse_id_number(typed).value == MALE


def test_fifteen_digit_legacy_number_converted():
    legacy = "150105900101123"
    assert convert_15_to_18(legacy) == MALE
    parsed = parse_id_number(legacy)
    assert parsed.value == MALE
    assert parsed.converted_from_15


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("", "不能为空"),
        (None, "不能为空"),
        ("15010519900101", "18 位"),
        ("1501051990010112345", "18 位"),
        ("15010519900101A23X", "前 17 位必须是数字"),
        ("15010519900101123" + ("1" if MALE[-1] != "1" else "2"), "校验位错误"),
        (valid("15010519901301123"), "出生日期 19901301 不存在"),
        (valid("15010521000101123"), "不合理"),  # born in the future
        (valid("99999919900101123"), "地区代码 999999"),
        ("1.50102E+17", "科学计数法"),
        ("15010590010112A", "只能由数字"),
    ],
)
def test_invalid_id_numbers_say_why(bad, expected):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(bad)
    assert expected in message(exc, "id_number")


def test_checksum_message_gives_expected_digit():
    wrong = MALE[:-1] + "5"
    with pytest.raises(ValidationError) as exc:
        parse_id_number(wrong)
    assert "应为 X" in message(exc, "id_number")
    assert "填写的是 5" in message(exc, "id_number")


def test_birth_date_and_sex_checked_against_id():
    parsed = parse_id_number(MALE)
    check_against_id(parsed, birth_date=datetime.date(1990, 1, 1), sex="M")
    with pytest.raises(ValidationError) as exc:
        check_against_id(parsed, birth_date=datetime.date(1990, 1, 2))
    assert "出生日期 1990-01-02 与身份证号不符" in message(exc, "birth_date")
    assert "1990-01-01" in message(exc, "birth_date")
    with pytest.raises(ValidationError) as exc:
        check_against_id(parsed, sex="F")
    assert "性别" in message(exc, "sex")


def test_validate_identity_accepts_typed_text():
    assert validate_identity(MALE, birth_date="1990/1/1", sex="男").value == MALE
    with pytest.raises(ValidationError):
        validate_identity(MALE, birth_date="1990年2月1日")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-01-02", datetime.date(1990, 1, 2)),
        ("1990/1/2", datetime.date(1990, 1, 2)),
        ("1990.01.02", datetime.date(1990, 1, 2)),
        ("19900102", datetime.date(1990, 1, 2)),
        ("1990年1月2日", datetime.date(1990, 1, 2)),
        (datetime.datetime(1990, 1, 2, 0, 0), datetime.date(1990, 1, 2)),  # noqa: DTZ001  a naive Excel cell
        ("", None),
    ],
)
def test_parse_date(raw, expected):
    assert parse_date(raw) == expected


def test_parse_date_rejects_nonsense():
    with pytest.raises(ValidationError):
        parse_date("1990-02-30")
    with pytest.raises(ValidationError):
        parse_date("明天")


def test_parse_sex():
    assert parse_sex("男") == "M"
    assert parse_sex("F") == "F"
    assert parse_sex("") == ""
    assert parse_sex("未知") == ""  # not stated: the ID number says
    with pytest.raises(ValidationError):
        parse_sex("男女")


@pytest.mark.parametrize(
    ("raw", "display", "digits", "kind"),
    [
        ("13812345678", "13812345678", "13812345678", "mobile"),
        ("138 1234 5678", "13812345678", "13812345678", "mobile"),
        ("+86 138-1234-5678", "13812345678", "13812345678", "mobile"),
        ("１３８１２３４５６７８", "13812345678", "13812345678", "mobile"),
        (13812345678, "13812345678", "13812345678", "mobile"),
        (13812345678.0, "13812345678", "13812345678", "mobile"),
        ("0471-6123456", "0471-6123456", "04716123456", "landline"),
        ("0471 6123456", "0471-6123456", "04716123456", "landline"),
        ("(0471)6123456", "0471-6123456", "04716123456", "landline"),
        (4716123456, "0471-6123456", "04716123456", "landline"),  # number cell lost its leading zero
        ("010-12345678", "010-12345678", "01012345678", "landline"),
    ],
)
def test_phones_normalised(raw, display, digits, kind):
    phone = parse_phone(raw)
    assert (phone.display, phone.digits, phone.kind) == (display, digits, kind)
    assert phone.e164 == "+86" + digits.lstrip("0")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6123456", "缺少区号"),
        ("1381234567", "11 位"),
        ("12345", "太短"),
        ("+1 650 253 0000", "中国大陆"),
        ("abc", "无效"),
        ("", "不能为空"),
    ],
)
def test_invalid_phones(raw, expected):
    with pytest.raises(ValidationError) as exc:
        parse_phone(raw)
    assert expected in message(exc, "phone")


def test_ethnicity_from_the_56_groups():
    assert len(ETHNICITIES) == 56
    assert parse_ethnicity("蒙古族") == "蒙古族"
    assert parse_ethnicity("蒙古") == "蒙古族"
    assert parse_ethnicity("汉") == "汉族"
    assert parse_ethnicity("") == ""
    with pytest.raises(ValidationError) as exc:
        parse_ethnicity("火星族")
    assert "56 个民族" in message(exc, "ethnicity")


def test_tags_from_values_or_labels():
    assert parse_care_tags("低保、独居，elderly") == ["elderly", "alone", "subsistence"]
    assert parse_care_tags(["disabled", "残疾"]) == ["disabled"]
    assert parse_care_tags(None) == []
    assert parse_care_tags("") == []
    assert parse_special_tags(["社区矫正"]) == ["community_correction"]
    with pytest.raises(ValidationError):
        parse_special_tags(["elderly"])
    with pytest.raises(ValidationError):
        parse_care_tags(["community_correction"])


def test_choices_accept_labels_and_aliases():
    assert parse_relation("户主") == "head"
    assert parse_relation("妻子") == "spouse"
    assert parse_relation("") == "other"
    assert parse_household_kind("出租户") == "renting"
    assert parse_household_kind("流动") == "nonlocal"
    assert parse_residence_status("外出") == "away"
    with pytest.raises(ValidationError):
        parse_residence_status("已死亡", allowed=("present", "away"))
    with pytest.raises(ValidationError):
        parse_relation("邻居")


def test_names_and_rooms():
    assert parse_name("  乌云  其其格 ") == "乌云·其其格"
    with pytest.raises(ValidationError):
        parse_name("   ")
    with pytest.raises(ValidationError):
        parse_name("张3")
    assert parse_unit_room("2单元", field="unit", what="单元") == "2"
    assert parse_unit_room(301.0, field="room", what="室") == "301"
    with pytest.raises(ValidationError):
        parse_unit_room("x" * 11, field="room", what="室")


# --- what clerks write --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("男性", "M"),
        ("女性", "F"),
        ("女士", "F"),
        ("男的", "M"),
        (" 女 ", "F"),
        ("Ｍ", "M"),
        ("female", "F"),
        ("男（M）", "M"),
        (1, "M"),
        (2.0, "F"),
        ("2", "F"),
        ("不详", ""),
        (None, ""),
    ],
)
def test_sex_as_sheets_write_it(raw, expected):
    assert parse_sex(raw) == expected


@pytest.mark.parametrize(
    ("raw", "year", "months", "day"),
    [
        ("1964.02", 1964, (2,), None),
        ("1964.2", 1964, (2,), None),
        ("1964-2", 1964, (2,), None),
        ("1964/02", 1964, (2,), None),
        ("1964年2月", 1964, (2,), None),
        ("1964年02月", 1964, (2,), None),
        ("１９６４年２月", 1964, (2,), None),
        ("196402", 1964, (2,), None),
        ("1964年2月15日", 1964, (2,), 15),
        ("1964-02-15", 1964, (2,), 15),
        ("19640215", 1964, (2,), 15),
        ("1964.2.15", 1964, (2,), 15),
        (1964.02, 1964, (2,), None),  # typed into a number cell
        (1964.12, 1964, (12,), None),
        (1964.1, 1964, (1, 10), None),  # 1964.10 as a number is 1964.1: January or October
        (196402, 1964, (2,), None),
        (19640215.0, 1964, (2,), 15),
        (datetime.date(1964, 2, 15), 1964, (2,), 15),
        (datetime.datetime(1964, 2, 1), 1964, (2,), None),  # noqa: DTZ001  Excel's "1964-2"
        (23423, 1964, (2,), 16),  # a date serial in a cell not formatted as a date
        ("1964", 1964, (), None),
    ],
)
def test_birth_as_year_and_month(raw, year, months, day):
    birth = parse_birth(raw)
    assert (birth.year, birth.months, birth.day) == (year, months, day)


@pytest.mark.parametrize(
    "raw", ["1964.13", "1964-00", "1964年2月30日", "1800.01", "2999-01", "六四年", "1964.123", "abc"]
)
def test_birth_nonsense_refused(raw):
    with pytest.raises(ValidationError) as exc:
        parse_birth(raw)
    assert "出生日期" in message(exc, "birth_date")


def test_birth_and_sex_both_checked_each_under_its_own_field():
    parsed = parse_id_number(MALE)  # 1990-01-01, male
    check_birth_and_sex(parsed, birth=parse_birth("1990.01"), sex="M")
    check_birth_and_sex(parsed, birth=parse_birth(1990.1), sex="")  # January or October
    check_birth_and_sex(parsed, birth=parse_birth(datetime.date(1990, 1, 1)), sex="")
    with pytest.raises(ValidationError) as exc:
        check_birth_and_sex(parsed, birth=parse_birth("1990.02"), sex="F")
    assert set(exc.value.message_dict) == {"birth_date", "sex"}
    assert "1990-01" in message(exc, "birth_date")
    assert "性别“女”" in message(exc, "sex")
    with pytest.raises(ValidationError) as exc:
        check_birth_and_sex(parsed, birth=None, sex="F")
    assert set(exc.value.message_dict) == {"sex"}
    # A typed full date must agree to the day.
    with pytest.raises(ValidationError):
        check_birth_and_sex(parsed, birth=parse_birth("1990-01-02"), sex="")


def test_check_against_id_reports_both_fields():
    parsed = parse_id_number(MALE)
    with pytest.raises(ValidationError) as exc:
        check_against_id(parsed, birth_date=datetime.date(1991, 1, 1), sex="F")
    assert set(exc.value.message_dict) == {"birth_date", "sex"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("蒙族", "蒙古族"),
        ("蒙", "蒙古族"),
        ("回族", "回族"),
        ("回", "回族"),
        ("满族", "满族"),
        ("满", "满族"),
        ("维族", "维吾尔族"),
        ("维吾尔", "维吾尔族"),
        ("朝鲜族", "朝鲜族"),
        ("朝鲜", "朝鲜族"),
        ("哈族", "哈萨克族"),
        ("柯族", "柯尔克孜族"),
        ("达斡尔", "达斡尔族"),
        ("鄂温克", "鄂温克族"),
        ("鄂伦春", "鄂伦春族"),
        ("土家", "土家族"),
        ("俄罗斯", "俄罗斯族"),
        ("汉族人", "汉族"),
        ("汉族(汉)", None),
        ("02", "蒙古族"),
        (3, "回族"),
        ("５６", "基诺族"),
    ],
)
def test_ethnic_short_forms(raw, expected):
    if expected is None:
        with pytest.raises(ValidationError):
            parse_ethnicity(raw)
    else:
        assert parse_ethnicity(raw) == expected


def test_every_group_by_full_name_without_zu_and_code():
    for position, name in enumerate(ETHNICITIES, start=1):
        assert parse_ethnicity(name) == name
        assert parse_ethnicity(name.removesuffix("族")) == name
        assert parse_ethnicity(f"{position:02d}") == name


@pytest.mark.parametrize(
    ("raw", "both"), [("鄂族", ("鄂温克族", "鄂伦春族")), ("塔族", ("塔吉克族", "塔塔尔族"))]
)
def test_ambiguous_ethnic_short_forms_name_both(raw, both):
    with pytest.raises(ValidationError) as exc:
        parse_ethnicity(raw)
    assert all(name in message(exc, "ethnicity") for name in both)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("本人", "head"),
        ("户主", "head"),
        ("长子", "child"),
        ("次子", "child"),
        ("三子", "child"),
        ("长女", "child"),
        ("次女", "child"),
        ("独生子", "child"),
        ("养女", "child"),
        ("继子", "child"),
        ("二儿子", "child"),
        ("小女儿", "child"),
        ("儿媳", "child_in_law"),
        ("女婿", "child_in_law"),
        ("孙子", "grandchild"),
        ("孙女", "grandchild"),
        ("外孙子", "grandchild"),
        ("外孙女", "grandchild"),
        ("曾孙女", "grandchild"),
        ("外孙媳妇", "grandchild"),
        ("大孙子", "grandchild"),
        ("父亲", "parent"),
        ("母亲", "parent"),
        ("继母", "parent"),
        ("公公", "parent_in_law"),
        ("岳母", "parent_in_law"),
        ("祖母", "grandparent"),
        ("外祖父", "grandparent"),
        ("姥姥", "grandparent"),
        ("兄", "sibling"),
        ("妹妹", "sibling"),
        ("嫂", "sibling_in_law"),
        ("姐夫", "sibling_in_law"),
        ("侄子", "relative"),
        ("外甥女", "relative"),
        ("表姐妹", "relative"),
        ("其他亲属", "relative"),
        ("非亲属", "other"),
        ("老伴", "spouse"),
        ("妻", "spouse"),
        ("户主之子", "child"),
        ("22", "child"),
        (38, "child_in_law"),
        ("租客", "tenant"),
        ("儿媳/女婿", "child_in_law"),
        ("child_in_law", "child_in_law"),
    ],
)
def test_relation_as_the_household_register_writes_it(raw, expected):
    assert parse_relation(raw) == expected


def test_ambiguous_and_unknown_relations_refused_with_the_way_out():
    with pytest.raises(ValidationError) as exc:
        parse_relation("媳妇")
    assert "配偶" in message(exc, "relation")
    assert "儿媳" in message(exc, "relation")
    with pytest.raises(ValidationError) as exc:
        parse_relation("邻居")
    assert "长子" in message(exc, "relation")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("阿依古丽•买买提", "阿依古丽·买买提"),
        ("阿依古丽・买买提", "阿依古丽·买买提"),
        ("阿依古丽.买买提", "阿依古丽·买买提"),
        ("阿依古丽．买买提", "阿依古丽·买买提"),
        ("阿依古丽･买买提", "阿依古丽·买买提"),
        ("阿依古丽 · 买买提", "阿依古丽·买买提"),
        ("阿依古丽　买买提", "阿依古丽·买买提"),
        ("阿依古丽··买买提", "阿依古丽·买买提"),
        ("·阿依古丽·买买提·", "阿依古丽·买买提"),
        ("张　伟", "张伟"),
        ("张 小 明", "张小明"),
        ("欧阳 娜娜", "欧阳娜娜"),
        ("王\u200b芳", "王芳"),
        ("John Smith", "John Smith"),
    ],
)
def test_name_separators_normalised(raw, expected):
    assert parse_name(raw) == expected


def test_kinds_statuses_and_care_tags_as_sheets_write_them():
    assert parse_household_kind("流动人口") == "nonlocal"
    assert parse_household_kind("本地") == "registered"
    assert parse_household_kind("出租房") == "renting"
    assert parse_residence_status("外出务工") == "away"
    assert parse_residence_status("在家") == "present"
    assert parse_care_tags("低保户、残疾人，独居老人") == ["alone", "disabled", "subsistence"]
    assert parse_care_tags("五保户") == ["extreme_poverty"]
    with pytest.raises(ValidationError):
        parse_household_kind("别墅")
