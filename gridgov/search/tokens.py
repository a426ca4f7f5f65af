"""Turning residents, households and what people type into index tokens (pure functions).

A token is `<tier><field><value>`:

- tier: 0 exact, 1 prefix, 2 substring; a query looks tiers up in that order, which is the ranking.
- field: `n` name (Chinese substrings of 2+ characters; the first character as the surname),
  `p` pinyin (full syllables and initials), `t` phone tail, `i` ID-number tail, `a` address
  structure (building-unit-room), `w` address text (Chinese bigrams), `h` household number.
- value: the text itself, or for phones and ID numbers a keyed hash (`blind_index`) so the
  index never holds them in clear.

Scope tokens `s<path prefix>` are added by the database itself from each document's path (see
`gridgov.search.index`), so moving a node in the hierarchy keeps the index right.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from pypinyin import Style, pinyin

from gridgov.core.crypto import blind_index

EXACT, PREFIX, SUBSTRING = 0, 1, 2
TIERS = (EXACT, PREFIX, SUBSTRING)
# Longest name fragment indexed as its own token; longer queries use their first MAX_FRAGMENT
# characters and are checked against the full name afterwards.
MAX_FRAGMENT = 6
# Hash tokens keep 64 bits of the keyed hash: collisions are negligible at city scale.
HASH_CHARS = 16
MAX_QUERY_LENGTH = 50

# Readings of surnames that differ from the character's everyday reading (pypinyin 0.55 has no
# surname mode). Compound surnames come first so 欧阳 is not read as 欧 + 阳 by accident.
COMPOUND_SURNAMES: dict[str, list[str]] = {
    "欧阳": ["ou", "yang"],
    "司马": ["si", "ma"],
    "上官": ["shang", "guan"],
    "诸葛": ["zhu", "ge"],
    "东方": ["dong", "fang"],
    "皇甫": ["huang", "fu"],
    "尉迟": ["yu", "chi"],
    "公孙": ["gong", "sun"],
    "慕容": ["mu", "rong"],
    "长孙": ["zhang", "sun"],
    "宇文": ["yu", "wen"],
    "司徒": ["si", "tu"],
    "夏侯": ["xia", "hou"],
    "轩辕": ["xuan", "yuan"],
    "令狐": ["ling", "hu"],
    "端木": ["duan", "mu"],
    "澹台": ["tan", "tai"],
    "万俟": ["mo", "qi"],
    "独孤": ["du", "gu"],
    "南宫": ["nan", "gong"],
    "呼延": ["hu", "yan"],
    "单于": ["chan", "yu"],
    "拓跋": ["tuo", "ba"],
    "钟离": ["zhong", "li"],
}
SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "乐": "yue",
    "仇": "qiu",
    "查": "zha",
    "朴": "piao",
    "区": "ou",
    "盖": "ge",
    "秘": "bi",
    "员": "yun",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "藏": "zang",
    "种": "chong",
    "黑": "he",
    "牟": "mu",
    "宿": "su",
    "召": "shao",
    "纪": "ji",
    "重": "chong",
    "费": "fei",
    "隗": "wei",
    "句": "gou",
    "能": "nai",
    "阚": "kan",
    "冼": "xian",
    "洗": "xian",
    "折": "she",
    "郇": "huan",
    "尉": "wei",
    "都": "du",
    "宁": "ning",
    "柏": "bai",
    "薄": "bo",
    "华": "hua",
    "任": "ren",
    "曲": "qu",
    "过": "guo",
    "车": "che",
    "臧": "zang",
    "石": "shi",
    "乜": "nie",
    "殷": "yin",
    "沈": "shen",
    "贾": "jia",
    "长": "chang",
    "朝": "chao",
    "叶": "ye",
    "万": "wan",
    "陆": "lu",
    "卜": "bu",
    "繁": "po",
    "粘": "nian",
    "褚": "chu",
    "祭": "zhai",
    "燕": "yan",
    "那": "na",
    "应": "ying",
    "占": "zhan",
    "相": "xiang",
    "尧": "yao",
    "庞": "pang",
    "逄": "pang",
    "缑": "gou",
    "訾": "zi",
    "谌": "chen",
    "眭": "sui",
    "厍": "she",
}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NAME_NOISE = re.compile(r"[\s·•・.\-_'’\"]+")
# Words every address repeats; their bigrams would match everything and help nothing.
_ADDRESS_FILLER = ("号楼", "单元", "号院", "小区", "社区", "街道", "室", "栋", "幢", "楼", "号", "层", "户")
# Building, unit and room as people write them: 3栋2单元301, 3号楼2单元301室, 3-2-301, 3#2-301, 3号楼.
_ADDRESS = re.compile(
    r"^(?P<b>\d{1,4})(?:号楼|栋|幢|号|#|楼|-)"
    r"(?:(?P<u>\d{1,3})(?:单元|-))?"
    r"(?:(?P<r>\d{1,5})(?:室|号)?)?$"
)
# A trailing address structure after place text: 惠民社区3号楼2单元.
_ADDRESS_TAIL = re.compile(r"(\d{1,4}(?:号楼|栋|幢|号|#|楼|-)(?:\d{1,3}(?:单元|-))?(?:\d{1,5}(?:室|号)?)?)$")
_ROOM = re.compile(r"^\d{3,5}$")


def normalize_query(raw: str) -> str:
    """Full-width to half-width, lower case, inner spaces collapsed."""
    text = unicodedata.normalize("NFKC", raw or "").lower()
    return " ".join(text.split())


def _has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@lru_cache(maxsize=20000)
def char_pinyin(char: str) -> str:
    """The everyday reading of one character without tones ('' if it has none)."""
    if not _CJK.match(char):
        return char.lower() if char.isascii() and char.isalnum() else ""
    reading = pinyin(char, style=Style.NORMAL, errors="ignore")
    return reading[0][0] if reading and reading[0] else ""


def name_syllables(name: str) -> list[str]:
    """Syllables of a name, the surname read as a surname (单 shan, 曾 zeng, 朴 piao …)."""
    clean = clean_name(name)
    syllables: list[str] = []
    rest = clean
    compound = COMPOUND_SURNAMES.get(clean[:2])
    if compound:
        syllables.extend(compound)
        rest = clean[2:]
    elif clean and clean[0] in SURNAME_READINGS:
        syllables.append(SURNAME_READINGS[clean[0]])
        rest = clean[1:]
    syllables.extend(s for s in (char_pinyin(c) for c in rest) if s)
    return syllables


def clean_name(name: str) -> str:
    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", name or "")).lower()


@dataclass
class TokenSet:
    """Tokens of one document; a value seen at several tiers keeps its best tier."""

    best: dict[str, int] = field(default_factory=dict)

    def add(self, tier: int, kind: str, value: str) -> None:
        if not value:
            return
        key = kind + value
        if tier < self.best.get(key, 3):
            self.best[key] = tier

    def tokens(self) -> list[str]:
        return sorted(f"{tier}{key}" for key, tier in self.best.items())

    def text(self) -> str:
        return " ".join(self.tokens())


def add_name(tokens: TokenSet, name: str) -> None:
    clean = clean_name(name)
    if not clean:
        return
    if _has_cjk(clean):
        n = len(clean)
        tokens.add(PREFIX, "n", clean[0])  # the surname character
        for start in range(n):
            for end in range(start + 2, min(n, start + MAX_FRAGMENT) + 1):
                tier = EXACT if (start == 0 and end == n) else PREFIX if start == 0 else SUBSTRING
                tokens.add(tier, "n", clean[start:end])
    syllables = name_syllables(clean)
    if syllables:
        # The whole name's full pinyin and initials: zhangwei / zw find 张伟; the surname's
        # reading alone (zhang, shan for 单) finds the family name like its character does.
        tokens.add(EXACT, "p", "".join(syllables))
        if len(syllables) >= 2:
            tokens.add(EXACT, "p", "".join(s[0] for s in syllables))
            surname_length = 2 if clean[:2] in COMPOUND_SURNAMES else 1
            if len(syllables) > surname_length:
                tokens.add(PREFIX, "p", "".join(syllables[:surname_length]))


@lru_cache(maxsize=300_000)
def name_tokens(name: str) -> str:
    """The tokens of a name (cached: names repeat, and seeding a city tokenizes millions)."""
    tokens = TokenSet()
    add_name(tokens, name)
    return tokens.text()


def number_key(number: str) -> str:
    """A household number as a token value: letters and digits, lower case."""
    return "".join(
        c for c in unicodedata.normalize("NFKC", number or "").lower() if c.isascii() and c.isalnum()
    )


@lru_cache(maxsize=1 << 20)
def _hash(master: str, kind: str, value: str) -> str:
    return blind_index(f"search.{kind}", value)[:HASH_CHARS]


def hash_token(kind: str, value: str) -> str:
    """A keyed hash of a phone or ID-number fragment (cached per data key: tails repeat)."""
    return _hash(settings.GRIDGOV_DATA_KEY, kind, value)


def phone_digits(phone: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", phone or "") if c.isdigit())


def phone_tokens(phone: str) -> str:
    digits = phone_digits(phone)
    return f"2t{hash_token('phone4', digits[-4:])}" if len(digits) >= 4 else ""


def id_number_tokens(id_number: str) -> str:
    value = (id_number or "").strip().upper()
    if len(value) < 6:
        return ""
    return f"2i{hash_token('id4', value[-4:])} 2i{hash_token('id6', value[-6:])}"


def _digits_of(label: str) -> str:
    match = re.search(r"\d+", label or "")
    return str(int(match.group())) if match else ""


def address_keys(building: str, unit: str, room: str) -> list[tuple[int, str]]:
    """(tier, key) of a household's building-unit-room: b3u2r301 exact, b3u2 and b3 prefix, r301 room.

    Keys are letters and digits only: SQLite's FTS5 tokenizer splits on punctuation.
    """
    b, u, r = _digits_of(building), _digits_of(unit), _digits_of(room)
    keys: list[tuple[int, str]] = []
    if b:
        keys.append((PREFIX, f"b{b}"))
        if u:
            keys.append((PREFIX, f"b{b}u{u}"))
            if r:
                keys.append((EXACT, f"b{b}u{u}r{r}"))
        elif r:
            keys.append((EXACT, f"b{b}r{r}"))
    if r:
        keys.append((SUBSTRING, f"r{r}"))
    return keys


def address_bigrams(address: str) -> set[str]:
    grams: set[str] = set()
    for run in _CJK_RUN.findall(unicodedata.normalize("NFKC", address or "")):
        for i in range(len(run) - 1):
            gram = run[i : i + 2]
            if gram not in _ADDRESS_FILLER:
                grams.add(gram)
    return grams


def resident_tokens(name: str, phone: str = "", id_number: str = "") -> str:
    return " ".join(
        part for part in (name_tokens(name), phone_tokens(phone), id_number_tokens(id_number)) if part
    )


def household_tokens(*, address: str, building: str, unit: str, room: str, phone: str = "") -> str:
    """A household is found by its building-unit-room, its address text and its phone's last digits.

    Its number is looked up in the registry's own unique index, not here.
    """
    tokens = TokenSet()
    for tier, key in address_keys(building, unit, room):
        tokens.add(tier, "a", key)
    for gram in address_bigrams(address):
        tokens.add(SUBSTRING, "w", gram)
    return " ".join(part for part in (tokens.text(), phone_tokens(phone)) if part)


class BulkTokenizer:
    """`resident_tokens` / `household_tokens` for millions of clean, already validated values
    (seeding a city): the same output, with the keyed hashes of tails and the address bigrams
    cached per instance. tests/search/test_tokens.py checks the outputs are identical."""

    _DIGITS = re.compile(r"\d+")

    def __init__(self) -> None:
        self.key = settings.GRIDGOV_DATA_KEY
        self.tails: dict[tuple[str, str], str] = {}
        self.grams: dict[str, list[str]] = {}

    def _tail(self, kind: str, value: str) -> str:
        token = self.tails.get((kind, value))
        if token is None:
            token = self.tails[(kind, value)] = _hash(self.key, kind, value)
        return token

    def resident(self, name: str, phone: str, id_number: str) -> str:
        """`phone` in its display form (13812345678, 0471-6123456); `id_number` 18 characters."""
        parts = [name_tokens(name)]
        if phone:
            parts.append("2t" + self._tail("phone4", phone[-4:]))
        if id_number:
            parts.append(f"2i{self._tail('id4', id_number[-4:])} 2i{self._tail('id6', id_number[-6:])}")
        return " ".join(part for part in parts if part)

    def household(self, address: str, building: str, unit: str, room: str, phone: str) -> str:
        shape = self._DIGITS.sub("0", address)  # digits only split the Chinese runs bigrams come from
        grams = self.grams.get(shape)
        if grams is None:
            grams = self.grams[shape] = [f"2w{g}" for g in address_bigrams(address)]
        tokens = sorted([f"{tier}a{key}" for tier, key in address_keys(building, unit, room)] + grams)
        if phone:
            tokens.append("2t" + self._tail("phone4", phone[-4:]))
        return " ".join(tokens)


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """Documents holding ALL these tokens match; `name_contains` / `address_contains` are checked
    afterwards when the tokens alone over-approximate (long names, address text)."""

    tier: int
    tokens: tuple[str, ...]
    kind: str  # what the query was understood as: name, surname, pinyin, phone_tail, id_tail, address
    name_contains: str = ""
    address_contains: str = ""


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    alternatives: tuple[Alternative, ...] = ()
    full_phone: str = ""  # digits; looked up through the registry's own blind index
    full_id: str = ""  # 18 characters, upper-case X; likewise
    number: str = ""  # a household number, looked up in the registry's unique index

    @property
    def empty(self) -> bool:
        return not self.alternatives and not self.full_phone and not self.full_id and not self.number


def _address_structure(text: str) -> tuple[str, str, str] | None:
    match = _ADDRESS.match(text)
    if not match:
        return None
    return match["b"] or "", match["u"] or "", match["r"] or ""


def _structure_alternative(
    b: str, u: str, r: str, extra: tuple[str, ...] = (), address_contains: str = ""
) -> Alternative:
    b, u, r = (str(int(v)) if v else "" for v in (b, u, r))
    if u and r:
        key, tier = f"b{b}u{u}r{r}", EXACT
    elif r:
        key, tier = f"b{b}r{r}", EXACT
    elif u:
        key, tier = f"b{b}u{u}", PREFIX
    else:
        key, tier = f"b{b}", PREFIX
    return Alternative(tier, (f"{tier}a{key}", *extra), "address", address_contains=address_contains)


def _name_alternatives(text: str) -> list[Alternative]:
    """Chinese text: a name (exact, prefix, substring; one character: the surname) or address text."""
    clean = text.replace("·", "").replace("•", "")
    if not clean or not clean.isalnum():
        return []  # punctuation is searched literally: no name or address holds it
    if len(clean) == 1:
        return [Alternative(PREFIX, (f"1n{clean}",), "surname")]
    fragment = clean[:MAX_FRAGMENT]
    check = clean if len(clean) > MAX_FRAGMENT else ""
    out = [Alternative(tier, (f"{tier}n{fragment}",), "name", name_contains=check) for tier in TIERS]
    grams = sorted(address_bigrams(clean))
    if grams:
        out.append(
            Alternative(
                SUBSTRING,
                tuple(f"2w{g}" for g in grams),
                "address",
                address_contains=clean if len(grams) > 1 or len(clean) > 2 else "",
            )
        )
    return out


_DIGITISH = re.compile(r"^[0-9][0-9\-]*x?$")
_NUMBER = re.compile(r"^[0-9a-z][0-9a-z\-]*$")


def parse_query(raw: str) -> ParsedQuery:
    """What a search box string means, as ranked alternatives. The caller caps its length."""
    text = normalize_query(raw)
    if not text:
        return ParsedQuery(text="")
    compact = text.replace(" ", "")
    alternatives: list[Alternative] = []
    full_phone = full_id = ""
    number = compact.upper() if _NUMBER.match(compact) else ""
    structure = _address_structure(compact)
    if structure is not None and not compact.isdigit():
        alternatives.append(_structure_alternative(*structure))
    elif _DIGITISH.match(compact):
        value = compact.replace("-", "").upper()
        n, digits = len(value), value.isdigit()
        if n == 18 or (n == 15 and digits):
            full_id = value
        if digits and (
            (n == 11 and value.startswith("1")) or (value.startswith("0") and 10 <= n <= 12) or n in (7, 8)
        ):
            full_phone = value
        if n == 4 and digits:
            alternatives.append(Alternative(SUBSTRING, ("2t" + hash_token("phone4", value),), "phone_tail"))
        if n == 4:
            alternatives.append(Alternative(SUBSTRING, ("2i" + hash_token("id4", value),), "id_tail"))
        if n == 6:
            alternatives.append(Alternative(SUBSTRING, ("2i" + hash_token("id6", value),), "id_tail"))
        if digits and _ROOM.match(value):
            alternatives.append(Alternative(SUBSTRING, (f"2ar{int(value)}",), "address"))
    elif compact.isascii() and compact.isalpha():
        # Full pinyin or initials of the whole name, then the surname's reading.
        alternatives.append(Alternative(EXACT, (f"0p{compact}",), "pinyin"))
        alternatives.append(Alternative(PREFIX, (f"1p{compact}",), "pinyin"))
    elif _has_cjk(compact):
        tail = _ADDRESS_TAIL.search(compact)
        place = compact[: tail.start()] if tail else ""
        structure = _address_structure(tail.group(1)) if tail else None
        if structure is not None and place and place.isalnum() and _has_cjk(place):
            grams = tuple(f"2w{g}" for g in sorted(address_bigrams(place)))
            alternatives.append(_structure_alternative(*structure, extra=grams, address_contains=place))
        else:
            alternatives.extend(_name_alternatives(compact))
    alternatives.sort(key=lambda alt: alt.tier)
    return ParsedQuery(
        text=text, alternatives=tuple(alternatives), full_phone=full_phone, full_id=full_id, number=number
    )
