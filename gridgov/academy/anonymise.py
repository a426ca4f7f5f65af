"""Anonymising a dispute's text for the case library: names, phones, ID numbers and house numbers
replaced, nothing else touched.

What is replaced, and how it is found:
- people the registry knows (the parties, their households, the mediation team, the reporter):
  their full names, their given names, and the usual ways of calling them by surname (老王, 王某,
  王大爷, 王女士…), each person by a label (当事人甲, 调解员…);
- other people named in the text: a common surname and one or two characters next to a word that
  introduces or follows a person (邻居刘桂芳, 刘桂芳说), as 刘某;
- ID numbers: 18 (or 15) digits shaped like a resident ID, with or without spaces, checked with
  python-stdnum, and any run of digits of that length (a mistyped ID is still personal data);
- phones: what `phonenumbers` finds in the text (mobiles, landlines with area codes), the parties'
  own numbers however they are written, and bare mobile-shaped numbers;
- house numbers: buildings, units, floors and rooms (3号楼2单元501, 5栋1202室, 二幢三〇一),
  numbered houses (12号, 3组15号), the parties' registered addresses and named compounds
  (阳光小区 → 某小区).

`leftovers` scans a text for what should not be there any more; the case library refuses to
publish a case that still has any (an editor may have typed a name back in).
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import phonenumbers
from stdnum.cn import ric

HAN = r"\u4e00-\u9fff"
NUM = r"[0-9０-９一二三四五六七八九十〇零百两]"
LABELS = "甲乙丙丁戊己庚辛壬癸"

# The most common surnames (compound ones first, so 欧阳 is not read as 欧).
COMPOUND_SURNAMES = [
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "令狐",
    "夏侯",
    "呼延",
    "独孤",
]
# Single-character surnames that are also everyday words (和, 于, 时, 明…) are left out of the
# guess for unknown names: "时说" is not a person. Known people are found by their whole name.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴"
    "莫孔汤康施牛樊葛邢乔伍庞颜倪庄聂章鲁岳翟殷詹欧耿焦俞柳祝舒阮柯纪梅童凌毕裴霍涂苗翁冉骆蓝辛靳"
    "柴蒙鲍喻祁蒲滕饶牟穆卓缪岑窦戚褚娄党卜晏卫柏瞿桂佟臧闵苟邬卞姬仇栾隋刁荣巫寇桑郎甄丛仲虞敖巩佘"
    "池邝"
)
HONORIFICS = "先生|女士|大爷|大妈|大娘|阿姨|师傅|大哥|大姐|老师|奶奶|爷爷|老汉|老太|叔|婶|姐|哥|某某|某"
# Words right before a person's name (邻居刘桂芳) and right after it (刘桂芳说).
BEFORE = (
    "邻居|居民|村民|业主|租户|住户|房东|房客|当事人|申请人|被申请人|丈夫|妻子|儿子|女儿|儿媳|女婿|父亲|母亲|"
    "老伴|哥哥|姐姐|弟弟|妹妹|名叫|叫做|网格员|网格长|调解员|律师|民警|辅警|楼栋长|志愿者|老板|经理|工人|"
    "法官|书记|主任|同事|朋友|侄子|孙子|对方"
)
# After a name anywhere: words only a person takes; at the start of a clause also what a person does.
TITLES = "先生|女士|老人|大爷|大妈|大娘|阿姨|师傅|同志|夫妇|夫妻|一家|等人"
AFTER = TITLES + "|说|称|表示|反映|认为|声称|承认|同意|拒绝|要求|家中"
# Characters that end a name in running text (particles, verbs that follow a name).
_STOP = "的了在和与是说称因向对把被给家等也都就又还将找同跟从到为不没已曾要会能让叫称某先女老师阿大夫一两"
_GIVEN = rf"(?:(?![{_STOP}])[{HAN}])"
_SURNAME = "(?:" + "|".join(COMPOUND_SURNAMES) + f"|[{SURNAMES}])"
# After a cue the name is as short as lets something that ends a name follow it (赵明|表示).
_UNKNOWN_BEFORE = re.compile(
    rf"(?P<cue>{BEFORE})(?P<name>{_SURNAME}{_GIVEN}{{1,2}}?)(?=(?:{AFTER})|[{_STOP}]|[^{HAN}]|$)"
)
_UNKNOWN_AFTER = re.compile(rf"(?P<name>{_SURNAME}{_GIVEN}{{1,2}})(?={TITLES})")
# After a cue and before what a person does, any two to four characters: names without a Han
# surname (苏和, 巴特尔 — Mongolian names are whole names) and given names with any character.
_CUED_ANY = re.compile(rf"(?P<cue>{BEFORE})(?P<name>[{HAN}]{{2,4}}?)(?=(?:{AFTER}))")
# Sentence-initial or after punctuation: 刘桂芳说 at the start of a clause.
_CLAUSE_START = re.compile(
    rf"(?:(?<=^)|(?<=[，。；：、！？,.;:!?\s“”\"（(]))(?P<name>{_SURNAME}{_GIVEN}{{1,2}})(?={AFTER})"
)

# Resident ID numbers: 18 digits (the last may be X) or the old 15, possibly with spaces.
_ID_SHAPED = re.compile(r"(?<![0-9A-Za-z])(?:\d[ \-]?){14}\d(?:(?:[ \-]?\d){2}[ \-]?[\dXx])?(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?1[3-9]\d(?:[\s\-]?\d){8}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[\s\-—]?\d{7,8}(?!\d)")
_CUED_LOCAL = re.compile(r"(?P<cue>电话|手机|座机|联系方式|号码)(?P<sep>[：:是为\s]*)(?P<num>\d{7,8})(?!\d)")
_BUILDING = re.compile(
    rf"{NUM}+(?:号楼|栋|幢|座|号院|楼)(?:{NUM}+单元)?(?:{NUM}+(?:层|楼))?(?:{NUM}+(?:室|号|户)?)?"
)
_UNIT = re.compile(rf"{NUM}+单元(?:{NUM}+(?:层|楼))?(?:{NUM}+(?:室|号|户)?)?")
_ROOM = re.compile(rf"(?<![{HAN}\d]){NUM}{{2,5}}(?:室|户)|{NUM}+组{NUM}+号|(?<!月){NUM}+号(?:院)?")
_PLACE_STOP = "的了在和与是说称因向对把被给等也都就又还将找同跟从到为住位于其"
_COMPOUND = re.compile(
    rf"(?:(?![{_PLACE_STOP}])[{HAN}]){{2,4}}(?:小区|花园|家园|公寓|新村|嘉园|花苑|大院|家属院)"
)
# A role label put in place of a name right after the same role (网格员高波 → 网格员).
_DOUBLED = re.compile(r"(网格员|网格长|调解员|律师|民警|指导员|楼栋长)\1")


@dataclass(frozen=True)
class Person:
    """Someone the data knows by name, and the label they get in the case."""

    name: str
    label: str
    # Only the whole name: a registered neighbour who is no party is not looked for by their
    # given name (a resident 王国庆 must not turn every 国庆节 into a label).
    whole_only: bool = False


@dataclass
class Known:
    """What the registry knows about the people and places of one dispute."""

    people: list[Person] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # registered addresses, building names


@dataclass
class Result:
    text: str
    replaced: Counter[str]


def party_label(index: int) -> str:
    return "当事人" + (LABELS[index] if index < len(LABELS) else str(index + 1))


def surname_of(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


# A "name" that is a surname and a title (陈律师, 王主任): its title is no given name.
_TITLE_END = set("员长师警官任记生医")


def _given(name: str) -> str:
    """The given name, if it can stand alone in a text (two characters or more, not a title)."""
    given = name[len(surname_of(name)) :]
    return given if len(given) >= 2 and given[-1] not in _TITLE_END else ""


def _name_forms(people: Iterable[Person]) -> dict[str, str]:
    """Every way the text may call a known person → their label (longest forms first)."""
    people = [p for p in people if len(p.name.strip()) >= 2]
    by_surname: Counter[str] = Counter(surname_of(p.name) for p in people if not p.whole_only)
    forms: dict[str, str] = {}
    for person in people:
        name = person.name.strip()
        forms[name] = person.label
        surname = surname_of(name)
        given = _given(name)
        if person.whole_only:
            continue
        if given:
            forms.setdefault(given, person.label)
        label = person.label if by_surname[surname] == 1 else surname + "某"
        for honorific in HONORIFICS.split("|"):
            forms.setdefault(surname + honorific, label)
        forms.setdefault("老" + surname, label)
        forms.setdefault("小" + surname, label)
    return dict(sorted(forms.items(), key=lambda item: -len(item[0])))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _digit_pattern(digits: str) -> re.Pattern[str]:
    """The digits of a known number however they are written (spaces, dashes, +86)."""
    return re.compile(r"(?<!\d)(?:\+?86[\s\-]?)?" + r"[\s\-]?".join(map(re.escape, digits)) + r"(?!\d)")


def _replace(pattern: re.Pattern[str], text: str, repl: str, kind: str, counts: Counter[str]) -> str:
    def sub(match: re.Match[str]) -> str:
        counts[kind] += 1
        return repl

    return pattern.sub(sub, text)


def _id_numbers(text: str, counts: Counter[str]) -> str:
    def sub(match: re.Match[str]) -> str:
        compact = re.sub(r"[ \-]", "", match.group(0)).upper()
        if len(compact) not in (15, 18):
            return match.group(0)
        if len(compact) == 18 and not compact[:17].isdigit():
            return match.group(0)
        counts["id_number"] += 1
        return "（身份证号已隐去）" if ric.is_valid(compact) or len(compact) == 18 else "（证件号已隐去）"

    return _ID_SHAPED.sub(sub, text)


def _phones(text: str, known: Known, counts: Counter[str]) -> str:
    for phone in sorted({_digits(p) for p in known.phones if len(_digits(p)) >= 7}, key=len, reverse=True):
        text = _replace(_digit_pattern(phone), text, "（电话已隐去）", "phone", counts)
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "CN")]
    for start, end in reversed(spans):
        counts["phone"] += 1
        text = text[:start] + "（电话已隐去）" + text[end:]
    text = _replace(_MOBILE, text, "（电话已隐去）", "phone", counts)
    text = _replace(_LANDLINE, text, "（电话已隐去）", "phone", counts)

    def cued(match: re.Match[str]) -> str:
        counts["phone"] += 1
        return match.group("cue") + match.group("sep") + "（电话已隐去）"

    return _CUED_LOCAL.sub(cued, text)


def _addresses(text: str, known: Known, counts: Counter[str]) -> str:
    for place in sorted({p.strip() for p in known.places if len(p.strip()) >= 3}, key=len, reverse=True):
        text = _replace(re.compile(re.escape(place)), text, "某处", "address", counts)
    for pattern in (_BUILDING, _UNIT, _ROOM):
        text = _replace(pattern, text, "某号", "address", counts)
    return _replace(_COMPOUND, text, "某小区", "address", counts)


def _names(text: str, known: Known, counts: Counter[str]) -> str:
    # Known people first, as placeholders (private-use characters, which no name pattern takes),
    # so the guesses below cannot read a label and its neighbours as a name (当事人乙因…).
    forms = _name_forms(known.people)
    labels: list[str] = []
    if forms:
        pattern = re.compile("|".join(re.escape(form) for form in forms))

        def sub(match: re.Match[str]) -> str:
            counts["name"] += 1
            labels.append(forms[match.group(0)])
            return f"\ue000{len(labels) - 1}\ue001"

        text = pattern.sub(sub, text)

    def unknown(match: re.Match[str]) -> str:
        name = match.group("name")
        counts["name"] += 1
        replaced = surname_of(name) + "某" if re.match(_SURNAME, name) else "某某"
        cue = match.groupdict().get("cue")
        return (cue or "") + replaced

    for guess in (_UNKNOWN_BEFORE, _CUED_ANY, _CLAUSE_START, _UNKNOWN_AFTER):
        text = guess.sub(unknown, text)
    text = re.sub("\ue000(\\d+)\ue001", lambda m: labels[int(m.group(1))], text)
    return _DOUBLED.sub(r"\1", text)


def anonymise(text: str, known: Known) -> Result:
    """The text with the names, phones, ID numbers and house numbers in it replaced."""
    counts: Counter[str] = Counter()
    text = _id_numbers(text or "", counts)
    text = _phones(text, known, counts)
    text = _addresses(text, known, counts)
    text = _names(text, known, counts)
    return Result(text, counts)


def leftovers(text: str, known: Known) -> list[str]:
    """What personal data a text still holds (kinds, in Chinese, for the editor): the known
    people's names, phones, ID numbers and house numbers."""
    found: list[str] = []
    for person in known.people:
        name = person.name.strip()
        given = "" if person.whole_only else _given(name)
        if len(name) >= 2 and (name in text or (given and given in text)):
            found.append(f"姓名（{surname_of(name)}某）")
            break
    if _id_numbers(text, Counter()) != text:
        found.append("身份证号")
    if _phones(text, known, Counter()) != text:
        found.append("电话")
    if any(p.search(text) for p in (_BUILDING, _UNIT, _ROOM)) or any(
        len(place.strip()) >= 3 and place.strip() in text for place in known.places
    ):
        found.append("门牌号/住址")
    return found
