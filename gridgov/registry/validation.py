"""Pure checks and normalisation of what people type (or what a spreadsheet holds).

Each function returns the clean value or raises `ValidationError({field: "中文 message"})` naming
the field and saying how to fix it. Nothing here touches the database.
"""

import datetime
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override
from stdnum.cn import ric

from gridgov.registry.choices import (
    CareTag,
    HouseholdKind,
    Relation,
    ResidenceStatus,
    Sex,
    SpecialTag,
)
from gridgov.registry.vocabulary import (
    AMBIGUOUS_ETHNIC,
    AMBIGUOUS_RELATIONS,
    CARE_TAG_WORDS,
    ETHNIC_WORDS,
    GB4761,
    HOUSEHOLD_KIND_WORDS,
    RELATION_WORDS,
    RESIDENCE_STATUS_WORDS,
    SEX_NOT_STATED,
    SEX_WORDS,
)

# Full-width digits and letters (what Chinese input methods often produce) to ASCII.
_FULLWIDTH = str.maketrans("０１２３４５６７８９ＸｘＬｌ－＋（）", "0123456789XxLl-+()")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b]+")
# Characters NFKC changes that people type: full-width forms, odd spaces, compatibility digits.
_NEEDS_NFKC = re.compile(r"[\s\u00a0-\u00ff\u2000-\u206f\u2460-\u24ff\u3000\uff00-\uffef]")
# A remark in brackets after a value: "男（M）", "汉族(汉)".
_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")
# "1.50102E+17": what a spreadsheet shows for an 18-digit number stored as a number.
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
MIN_BIRTH_YEAR = 1900
# What to do about an ID number a spreadsheet kept as a number (it has lost its last digits).
TEXT_FORMAT_FIX = "此列请设为文本格式后重新填写"


def to_halfwidth(value: str) -> str:
    """Full-width digits, X and punctuation to ASCII; every kind of space removed."""
    if value.isascii():
        return "".join(value.split())  # the common case, without normalisation
    if not _NEEDS_NFKC.search(value):
        return value  # plain Chinese text
    return _SPACES.sub("", unicodedata.normalize("NFKC", value.translate(_FULLWIDTH)))


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


@dataclass(frozen=True)
class IdNumber:
    value: str  # 18 characters, upper-case X
    birth_date: datetime.date
    sex: str  # Sex value
    converted_from_15: bool = False


def convert_15_to_18(number15: str) -> str:
    """Legacy 15-digit number (YYMMDD, no check digit) → 18 digits: insert "19", add the check digit."""
    body = number15[:6] + "19" + number15[6:]
    return body + ric.calc_check_digit(body + "0")


@lru_cache(maxsize=8192)
def _area_valid(area: str) -> bool:
    """Whether stdnum's table knows the six-digit area code (in any period).

    ID numbers were assigned from 1984 on with the code then in force, so a person born in 1950
    in 新城区 (150102, a code since 1983) is valid: unlike `ric.validate`, the birth year is not
    compared with the code's period. Cached: imports repeat the same few areas.
    """
    from stdnum import numdb

    info = {key for _part, props in numdb.get("cn/loc").info(area) for key in props}
    return "county" in info


def parse_id_number(raw: Any, *, field: str = "id_number", today: datetime.date | None = None) -> IdNumber:
    """Clean, convert and validate a national ID number; derive birth date and sex.

    Accepts spaces, full-width digits/Ｘ, a lower-case x and 15-digit legacy numbers.
    """
    if raw is None:
        raise _fail(field, "身份证号不能为空")
    text = to_halfwidth(str(raw)).upper()
    if not text:
        raise _fail(field, "身份证号不能为空")
    if _SCIENTIFIC.match(text):
        raise _fail(
            field,
            f"身份证号显示为科学计数法（{text}），后几位数字已经丢失，无法恢复；{TEXT_FORMAT_FIX}",
        )
    if len(text) == 15:
        if not text.isdigit():
            raise _fail(field, "15 位旧身份证号只能由数字组成")
        text = convert_15_to_18(text)
        converted = True
    else:
        converted = False
    if len(text) != 18:
        raise _fail(field, f"身份证号应为 18 位（或 15 位旧号码），现在是 {len(text)} 位")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise _fail(field, "身份证号前 17 位必须是数字，最后一位是数字或 X")
    try:
        birth = datetime.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise _fail(field, f"身份证号中的出生日期 {text[6:14]} 不存在") from None
    today = today or timezone.localdate()
    if birth > today or birth.year < MIN_BIRTH_YEAR:
        raise _fail(field, f"身份证号中的出生日期 {birth:%Y-%m-%d} 不合理")
    expected = ric.calc_check_digit(text)
    if text[17] != expected:
        raise _fail(
            field,
            f"身份证号校验位错误：按前 17 位计算最后一位应为 {expected}，填写的是 {text[17]}；"
            "请核对是否有数字录错",
        )
    if not _area_valid(text[:6]):
        raise _fail(field, f"身份证号前 6 位地区代码 {text[:6]} 不是有效的行政区划代码")
    sex = Sex.MALE if int(text[16]) % 2 else Sex.FEMALE
    return IdNumber(value=text, birth_date=birth, sex=sex, converted_from_15=converted)


def parse_date(raw: Any, *, field: str = "birth_date") -> datetime.date | None:
    """A date from a form, an API or a spreadsheet cell (date, datetime or text such as 1990-01-02,
    1990/1/2, 1990.01.02, 19900102, 1990年1月2日)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = to_halfwidth(str(raw))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if match:
        try:
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise _fail(field, f"日期“{raw}”无法识别，请写成 1990-01-02 这样的格式")


def parse_sex(raw: Any, *, field: str = "sex") -> str:
    """男/女 and what sheets write for them: 男性, 女士, M, the GB/T 2261.1 codes 1 and 2; "未知"
    and the like mean not stated (blank)."""
    if raw is None or isinstance(raw, bool):
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = _BRACKETED.sub("", to_halfwidth(str(raw))).strip().lower()
    if not text or text in SEX_NOT_STATED:
        return ""
    sex = SEX_WORDS.get(text)
    if sex is None:
        raise _fail(field, f"性别“{raw}”无法识别，请填“男”或“女”")
    return sex


def check_against_id(id_number: IdNumber, *, birth_date: datetime.date | None = None, sex: str = "") -> None:
    """What was typed must agree with what the ID number encodes; each error names its own field
    (a wrong sex is reported under 性别, a wrong birth date under 出生日期, both if both are)."""
    errors: dict[str, str] = {}
    if birth_date is not None and birth_date != id_number.birth_date:
        errors["birth_date"] = (
            f"出生日期 {birth_date:%Y-%m-%d} 与身份证号不符（身份证号显示 "
            f"{id_number.birth_date:%Y-%m-%d}）；请核对出生日期或身份证号"
        )
    if sex and sex != id_number.sex:
        errors["sex"] = _sex_mismatch(sex, id_number)
    if errors:
        raise ValidationError(errors)


def _sex_mismatch(sex: str, id_number: IdNumber) -> str:
    labels = {value: label for label, value in _labels(Sex)[1].items()}
    return (
        f"性别“{labels[sex]}”与身份证号不符（身份证号第 17 位表示“{labels[id_number.sex]}”）；"
        "请核对性别或身份证号"
    )


@dataclass(frozen=True)
class Birth:
    """A birth date as a sheet gives it: often only year and month (出生年月: 1964.02, 1964年2月).

    `months` holds more than one month when the cell cannot tell (the number 1964.10 is stored
    as 1964.1); `day` is None when the cell gives no day.
    """

    year: int
    months: tuple[int, ...]
    day: int | None
    text: str

    def matches(self, date: datetime.date) -> bool:
        if date.year != self.year:
            return False
        if self.months and date.month not in self.months:
            return False
        return self.day is None or date.day == self.day


_BIRTH_FULL = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_BIRTH_MONTH = re.compile(r"(\d{4})[-/.年](\d{1,2})月?")
_BIRTH_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})?")
_BIRTH_YEAR = re.compile(r"(\d{4})年?")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_birth(raw: Any, *, field: str = "birth_date", today: datetime.date | None = None) -> Birth | None:
    """A birth cell of a spreadsheet: a date cell, a full date or only year and month as text or a
    number (1964-02-15, 1964.02, 1964-2, 1964年2月, 196402, 1964/2/15, 19640215), or a date
    serial number. A date cell on the 1st of a month is taken as a year and month: that is what
    Excel makes of a typed "1964-2". None for an empty cell."""
    if raw is None or raw == "" or isinstance(raw, bool):
        return None
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, datetime.date):
        day = None if raw.day == 1 else raw.day
        return _birth(raw.year, (raw.month,), day, f"{raw:%Y-%m-%d}", field, today)
    text = ""
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise _fail(field, f"出生日期“{raw}”无法识别")
        if isinstance(raw, float) and not raw.is_integer():
            # 1964.02 typed into a number cell; 1964.1 is January or October (1964.10).
            year, _dot, fraction = repr(raw).partition(".")
            if not (year.isdigit() and fraction.isdigit() and len(fraction) <= 2):
                raise _fail(field, f"出生日期“{raw}”无法识别，请写成 1990-01-02，或只写年月如 1990.01")
            months = (1, 10) if fraction == "1" else (int(fraction),)
            return _birth(int(year), months, None, repr(raw), field, today)
        number = int(raw)
        if 10_000 <= number < 100_000:  # a date serial in a cell not formatted as a date
            serial = _EXCEL_EPOCH + datetime.timedelta(days=number)
            return _birth(serial.year, (serial.month,), serial.day, f"{serial:%Y-%m-%d}", field, today)
        text = str(number)
    else:
        text = to_halfwidth(str(raw)).strip().removesuffix("出生").removesuffix("生")
    shown = str(raw).strip()
    if match := _BIRTH_FULL.fullmatch(text):
        return _birth(int(match[1]), (int(match[2]),), int(match[3]), shown, field, today)
    if match := _BIRTH_MONTH.fullmatch(text):
        return _birth(int(match[1]), (int(match[2]),), None, shown, field, today)
    if match := _BIRTH_COMPACT.fullmatch(text):
        day = int(match[3]) if match[3] else None
        return _birth(int(match[1]), (int(match[2]),), day, shown, field, today)
    if match := _BIRTH_YEAR.fullmatch(text):
        return _birth(int(match[1]), (), None, shown, field, today)
    raise _fail(field, f"出生日期“{shown}”无法识别，请写成 1990-01-02，或只写年月如 1990.01、1990年1月")


def _birth(
    year: int,
    months: tuple[int, ...],
    day: int | None,
    text: str,
    field: str,
    today: datetime.date | None,
) -> Birth:
    today = today or timezone.localdate()
    if not MIN_BIRTH_YEAR <= year <= today.year:
        raise _fail(field, f"出生日期“{text}”中的年份 {year} 不合理")
    if any(not 1 <= month <= 12 for month in months):
        raise _fail(field, f"出生日期“{text}”中的月份不存在")
    if day is not None:
        try:
            datetime.date(year, months[0], day)
        except ValueError:
            raise _fail(field, f"出生日期“{text}”不存在") from None
    return Birth(year, months, day, text)


def check_birth_and_sex(id_number: IdNumber, *, birth: Birth | None, sex: str) -> None:
    """A sheet's birth (perhaps only year and month) and sex against the ID number; both checked,
    each error under its own field."""
    errors: dict[str, str] = {}
    if birth is not None and not birth.matches(id_number.birth_date):
        shown = f"{id_number.birth_date:%Y-%m-%d}" if birth.day else f"{id_number.birth_date:%Y-%m}"
        errors["birth_date"] = (
            f"出生日期“{birth.text}”与身份证号不符（身份证号显示 {shown}）；请核对出生日期或身份证号"
        )
    if sex and sex != id_number.sex:
        errors["sex"] = _sex_mismatch(sex, id_number)
    if errors:
        raise ValidationError(errors)


def validate_identity(
    id_number: Any, *, birth_date: Any = None, sex: Any = "", today: datetime.date | None = None
) -> IdNumber:
    """ID number plus the typed birth date and sex, all checked together."""
    parsed = parse_id_number(id_number, today=today)
    check_against_id(parsed, birth_date=parse_date(birth_date), sex=parse_sex(sex))
    return parsed


@dataclass(frozen=True)
class Phone:
    display: str  # 13812345678 or 0471-6123456
    digits: str  # 13812345678 or 04716123456: what the blind index hashes
    e164: str  # +8613812345678
    kind: str  # "mobile" or "landline"


_LANDLINE_TYPES = {phonenumbers.PhoneNumberType.FIXED_LINE}
# phonenumbers' own pattern of Chinese mobile numbers: the common case skips the full parse.
_CN_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern  # type: ignore[union-attr]
    or r"1\d{10}"
)
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse_phone(raw: Any, *, field: str = "phone") -> Phone:
    """A Chinese mobile or landline number (with its area code), normalised.

    Spreadsheet number cells (13812345678.0) and full-width digits are accepted.
    """
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = to_halfwidth(str(raw or "")).strip()
    if not text:
        raise _fail(field, "电话不能为空")
    if len(text) == 11 and text.startswith("1") and _CN_MOBILE.fullmatch(text):
        return Phone(display=text, digits=text, e164=f"+86{text}", kind="mobile")
    if isinstance(raw, int) and len(text) in (10, 11) and not text.startswith("1"):
        # A landline in a number cell has lost its leading zero (4716123456).
        text = "0" + text
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise _fail(
            field, f"电话“{raw}”无效：不是电话号码；手机写 11 位，座机写区号-号码，如 0471-6123456"
        ) from None
    if number.country_code != 86:
        raise _fail(field, "只支持中国大陆的手机或座机号码")
    kind = phonenumbers.number_type(number)
    if not phonenumbers.is_valid_number(number) or kind not in _LANDLINE_TYPES | _MOBILE_TYPES:
        national = str(number.national_number)
        if len(national) < 7:
            hint = f"号码太短（{len(national)} 位）；手机写 11 位，座机写区号-号码，如 0471-6123456"
        elif len(national) in (7, 8) and not national.startswith("1"):
            hint = "座机号码缺少区号，请写成 0471-6123456 这样的格式"
        elif national.startswith("1"):
            hint = f"手机号应为 11 位且号段有效，现在是 {len(national)} 位"
        else:
            hint = "手机写 11 位，座机写区号-号码，如 0471-6123456"
        raise _fail(field, f"电话“{raw}”无效：{hint}")
    national = str(number.national_number)
    if kind in _MOBILE_TYPES:
        return Phone(display=national, digits=national, e164=f"+86{national}", kind="mobile")
    area = phonenumbers.length_of_geographical_area_code(number) or 3
    display = f"0{national[:area]}-{national[area:]}"
    return Phone(display=display, digits=f"0{national}", e164=f"+86{national}", kind="landline")


def parse_optional_phone(raw: Any, *, field: str = "phone") -> Phone | None:
    if raw is None or not to_halfwidth(str(raw)).strip():
        return None
    return parse_phone(raw, field=field)


def phone_digits(raw: str) -> str:
    """The digits a phone's blind index is computed on (for lookups by a typed full number)."""
    try:
        return parse_phone(raw).digits
    except ValidationError:
        return re.sub(r"\D", "", to_halfwidth(raw))


def parse_ethnicity(raw: Any, *, field: str = "ethnicity") -> str:
    """One of the 56 groups, from its full name or what people write for it: the name without 族
    ("蒙古"), the everyday short forms ("蒙族", "维族", "满", "朝鲜"), the GB/T 3304 code ("02")."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = f"{raw:02d}"
    text = to_halfwidth(str(raw or "")).strip()
    if not text:
        return ""
    found = ETHNIC_WORDS.get(text) or ETHNIC_WORDS.get(text.removesuffix("人"))
    if found:
        return found
    if text in AMBIGUOUS_ETHNIC:
        first, second = AMBIGUOUS_ETHNIC[text]
        raise _fail(field, f"民族“{raw}”可能是{first}，也可能是{second}；请写全称")
    raise _fail(field, f"民族“{raw}”不在 56 个民族之中，请填写如“汉族”“蒙古族”“回族”")


@lru_cache(maxsize=64)
def _labels(choices: Any) -> tuple[frozenset[str], dict[str, str], str, tuple[str, ...]]:
    """(values, {Chinese label: value}, "label、label…", values in order) of a choices class.

    Cached (imports call this for every cell); labels are the Chinese ones whatever the
    request's language, since that is what people type and what sheets contain.
    """
    with override("zh-hans"):
        by_label = {str(label): value for value, label in choices.choices}
    return frozenset(choices.values), by_label, "、".join(by_label), tuple(choices.values)


def _choice(raw: Any, choices: Any, *, field: str, what: str) -> str:
    text = to_halfwidth(str(raw or "")).strip()
    values, by_label, allowed, _order = _labels(choices)
    if text in values:
        return text
    if text in by_label:
        return by_label[text]
    raise _fail(field, f"{what}“{raw}”无效，可选：{allowed}")


# "长子", "二女儿", "小儿子", "大孙女": an order word before a child or grandchild.
_ORDERED_CHILD = re.compile(r"(?:独生|[长次大二三四五六七八九十小幼老])(子|女|儿|儿子|女儿|孙|孙子|孙女)")


def parse_relation(raw: Any, *, field: str = "relation") -> str:
    """Relation to the head, as the household register writes it (any term or code of GB/T 4761,
    "长子", "儿媳", "外孙女", "22") or as people say it ("老伴", "二女儿", "姥姥")."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = f"{raw:02d}"
    text = to_halfwidth(str(raw or "")).strip()
    if not text:
        return Relation.OTHER
    values, by_label, allowed, _order = _labels(Relation)
    if text in values:
        return text
    if text in by_label:
        return by_label[text]
    for candidate in (text, re.sub(r"^(户主|本人)(的|之)", "", text)):
        if candidate in GB4761:
            return GB4761[candidate][1]
        if candidate in RELATION_WORDS:
            return RELATION_WORDS[candidate]
        if candidate in AMBIGUOUS_RELATIONS:
            raise _fail(field, AMBIGUOUS_RELATIONS[candidate])
        if match := _ORDERED_CHILD.fullmatch(candidate):
            return Relation.GRANDCHILD if "孙" in match[1] else Relation.CHILD
    raise _fail(
        field,
        f"与户主关系“{raw}”无法识别；可填户口簿上的称谓（如“长子”“儿媳”“外孙女”）或：{allowed}",
    )


def parse_household_kind(raw: Any, *, field: str = "kind") -> str:
    text = to_halfwidth(str(raw or "")).strip()
    if not text:
        return HouseholdKind.REGISTERED
    if text in HOUSEHOLD_KIND_WORDS:
        return HOUSEHOLD_KIND_WORDS[text]
    return _choice(text, HouseholdKind, field=field, what="户类型")


def parse_residence_status(raw: Any, *, field: str = "status", allowed: tuple[str, ...] | None = None) -> str:
    text = to_halfwidth(str(raw or "")).strip()
    if not text:
        return ResidenceStatus.PRESENT
    value = RESIDENCE_STATUS_WORDS.get(text) or _choice(text, ResidenceStatus, field=field, what="居住状态")
    if allowed is not None and value not in allowed:
        labels = dict(ResidenceStatus.choices)
        raise _fail(
            field, f"这里只能设为{'、'.join(str(labels[v]) for v in allowed)}；迁出、死亡请用“人口变动”登记"
        )
    return value


def _tags(raw: Any, choices: Any, *, field: str, what: str, words: dict[str, str] | None = None) -> list[str]:
    if raw is None or raw == "":
        return []
    items = re.split(r"[,，、;；/\s]+", raw) if isinstance(raw, str) else [str(item) for item in raw]
    values, by_label, allowed, order = _labels(choices)
    found: list[str] = []
    for item in items:
        text = to_halfwidth(item).strip() if item else ""
        if not text:
            continue
        value = text if text in values else by_label.get(text) or (words or {}).get(text)
        if value is None:
            raise _fail(field, f"{what}“{item}”无效，可选：{allowed}")
        if value not in found:
            found.append(value)
    return sorted(found, key=order.index)


def parse_care_tags(raw: Any, *, field: str = "care_tags") -> list[str]:
    """Values or Chinese labels, as a list or one string separated by 、，; duplicates dropped."""
    return _tags(raw, CareTag, field=field, what="关爱标签", words=CARE_TAG_WORDS)


def parse_special_tags(raw: Any, *, field: str = "special_tags") -> list[str]:
    return _tags(raw, SpecialTag, field=field, what="特殊人群标签")


# What people put between the parts of a minority or foreign name instead of "·" (U+00B7):
# bullets, katakana and half-width middle dots, full stops, and look-alike dots.
_NAME_DOTS = re.compile(r"\s*[·•・･‧∙⋅●◦ㆍ。.．]+\s*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def parse_name(raw: Any, *, field: str = "name") -> str:
    """A person's name, normalised: "阿依古丽•买买提", "阿依古丽.买买提" and "阿依古丽　买买提"
    become "阿依古丽·买买提"; a space a sheet put inside a Chinese name to align it ("张　伟")
    is removed."""
    text = unicodedata.normalize("NFKC", str(raw or "")).replace("\u200b", "").strip()
    if _CJK.search(text):
        text = _NAME_DOTS.sub("·", text).strip("·").strip()
        parts = text.split()
        if len(parts) > 1:
            joined = "".join(parts)
            # A Chinese name has two to four characters (复姓 included); longer ones whose parts
            # are all longer than one character are transliterated names in parts.
            short = len(joined.replace("·", "")) <= 4 or min(len(p) for p in parts) == 1
            text = joined if short else "·".join(parts)
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise _fail(field, "姓名不能为空")
    if len(text) > 50:
        raise _fail(field, "姓名不能超过 50 个字")
    if any(ch.isdigit() for ch in text):
        raise _fail(field, f"姓名“{text}”中不能有数字")
    return text


def parse_unit_room(raw: Any, *, field: str, what: str) -> str:
    """单元 / 室: "2单元" → "2", "301室" → "301"; at most 10 characters."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = to_halfwidth(str(raw or "")).strip()
    text = re.sub(r"(单元|室|号|房)$", "", text)
    if len(text) > 10:
        raise _fail(field, f"{what}“{raw}”太长（最多 10 个字符）")
    return text
