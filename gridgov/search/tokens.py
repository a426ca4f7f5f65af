"""Turning residents, households and what people type into index tokens (pure functions).

A token is `<tier><field><value>`:

- tier: 0 exact, 1 prefix, 2 substring; a query looks tiers up in that order, which is the ranking
  (tier 3, a one-letter pinyin typo, is a way of reading a query, not a token).
- field: `n` name (Chinese substrings of 2+ characters; the first character as the surname),
  `p` full pinyin, `j` pinyin initials, `h` the first syllable in full and the rest as initials
  (zhangw, wangxy; see gridgov.search.pinyin), `t` phone tail, `i` ID-number tail, `a` address
  structure (building-unit-room; see gridgov.search.addresses), `w` address text (Chinese
  bigrams).
- value: the text itself, or for phones and ID numbers a keyed hash (`blind_index`) so the
  index never holds them in clear.

Scope tokens `s<path prefix>` are added by the database itself from each document's path (see
`gridgov.search.index`), so moving a node in the hierarchy keeps the index right.

TOKENIZER_VERSION names what this module produces; `gridgov reindex_search` rebuilds documents
made by an older one.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

from gridgov.core.crypto import blind_index
from gridgov.search import addresses
from gridgov.search.pinyin import (
    Unit,
    clean_name,
    is_cjk,
    name_parts,
    needs_check,
    pinyin_keys,
    read_name,
    split_query,
    syllable_count,
    typo_keys,
    unit_keys,
)

EXACT, PREFIX, SUBSTRING, TYPO = 0, 1, 2, 3
TIERS = (EXACT, PREFIX, SUBSTRING)
TOKENIZER_VERSION = 2
# Longest name fragment indexed as its own token; longer queries use their first MAX_FRAGMENT
# characters and are checked against the full name afterwards.
MAX_FRAGMENT = 6
# Hash tokens keep 64 bits of the keyed hash: collisions are negligible at city scale.
HASH_CHARS = 16
MAX_QUERY_LENGTH = 50

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Words every address repeats; their bigrams would match everything and help nothing.
_ADDRESS_FILLER = ("号楼", "单元", "号院", "小区", "社区", "街道", "室", "栋", "幢", "楼", "号", "层", "户")
_ROOM = re.compile(r"^\d{3,5}$")


def normalize_query(raw: str) -> str:
    """Full-width to half-width, lower case, ü as v, inner spaces collapsed."""
    text = unicodedata.normalize("NFKC", raw or "").lower().replace("ü", "v").replace("u:", "v")
    return " ".join(text.split())


def _has_cjk(text: str) -> bool:
    return any(is_cjk(c) for c in text)


def name_syllables(name: str) -> list[str]:
    """The everyday reading of a name, the surname read as a surname (单 shan, 曾 zeng …)."""
    combos = read_name(name).combos()
    return list(combos[0]) if combos else []


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
    for tier, kind, value in pinyin_keys(read_name(clean)):
        tokens.add(tier, kind, value)
    parts = name_parts(name)
    if len(parts) > 1:
        # 阿依古丽·买买提: each part's pinyin finds the name too (maimaiti).
        for part in parts:
            combos = read_name(part).combos()
            if combos:
                tokens.add(SUBSTRING, "p", "".join(combos[0]))


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


def address_keys(building: str, unit: str, room: str) -> list[tuple[int, str]]:
    return addresses.household_keys(building, unit, room)


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
    """Documents holding ALL `tokens` and, when `any_tokens` is given, at least one of those match.

    What the tokens alone over-approximate is checked on the candidates afterwards: the name
    contains `name_contains`, the address `address_contains`, or the name reads as one of
    `patterns` (units per character; `longer`: the name has more characters than units)."""

    tier: int
    tokens: tuple[str, ...]
    kind: str  # how the query was read: name, surname, pinyin, typo, phone_tail, id_tail, address
    name_contains: str = ""
    address_contains: str = ""
    any_tokens: tuple[str, ...] = ()
    patterns: tuple[tuple[Unit, ...], ...] = ()
    longer: bool = False

    @property
    def checked(self) -> bool:
        return bool(self.name_contains or self.address_contains or self.patterns)


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    alternatives: tuple[Alternative, ...] = ()
    full_phone: str = ""  # digits; looked up through the registry's own blind index
    full_id: str = ""  # 18 characters, upper-case X; likewise
    number: str = ""  # a household number, looked up in the registry's unique index
    typo_text: str = ""  # letters that may be pinyin with a typo (see typo_alternatives)

    @property
    def empty(self) -> bool:
        return not self.alternatives and not self.full_phone and not self.full_id and not self.number


def _address_alternatives(place: str, roles: dict[str, str]) -> list[Alternative]:
    grams = tuple(f"2w{g}" for g in sorted(address_bigrams(place))) if place else ()
    if place and not (place.isalnum() and _has_cjk(place) and grams):
        return []
    return [
        Alternative(tier, (f"{tier}a{key}", *grams), "address", address_contains=place)
        for tier, key in addresses.query_keys(roles)
    ]


def _name_alternatives(text: str) -> list[Alternative]:
    """Chinese text: a name (exact, prefix, substring; one character: the surname) or address text."""
    clean = clean_name(text)
    if not clean or not clean.isalnum():
        return []  # punctuation is searched literally: no name or address holds it
    if len(clean) == 1:
        return [Alternative(PREFIX, (f"1n{clean}",), "surname")]
    fragment = clean[:MAX_FRAGMENT]
    check = clean if len(clean) > MAX_FRAGMENT else ""
    out = [Alternative(tier, (f"{tier}n{fragment}",), "name", name_contains=check) for tier in TIERS]
    grams = sorted(address_bigrams(text))
    if grams and clean == text:
        out.append(
            Alternative(
                SUBSTRING,
                tuple(f"2w{g}" for g in grams),
                "address",
                address_contains=clean if len(grams) > 1 or len(clean) > 2 else "",
            )
        )
    return out


def _typed_alternatives(text: str, *, latin: bool) -> list[Alternative]:
    """A name typed as a mix of characters, syllables and initials (王xy, zhang伟, wangxiaoy).

    For letters only, whole syllables alone are the full pinyin, looked up as it is (`0p`/`1p`)."""
    leading = re.match(r"[^a-z]*", text).group()  # type: ignore[union-attr]
    lead = ("1n" + leading[:MAX_FRAGMENT],) if leading else ()
    merged: dict[tuple[int, tuple[str, ...], bool], list[tuple[Unit, ...]] | None] = {}
    for units in split_query(text):
        if len(units) < 2 or (latin and all(kind == "s" for kind, _ in units)):
            continue
        family, keys = unit_keys(units)
        check = needs_check(units, len(leading[:MAX_FRAGMENT]))
        for longer in (False, True):
            key = (int(longer), tuple(f"{int(longer)}{family}{k}" for k in keys), longer)
            if check:
                patterns = merged.get(key, [])
                if patterns is not None:
                    merged[key] = [*patterns, units]
            else:
                merged[key] = None  # the keys say it all
    return [
        Alternative(
            tier, lead, "pinyin", any_tokens=any_tokens, patterns=tuple(patterns or ()), longer=longer
        )
        for (tier, any_tokens, longer), patterns in merged.items()
    ]


def _pinyin_alternatives(text: str) -> list[Alternative]:
    """Letters: full pinyin (exact, the name goes on, one part of a name: maimaiti), then the
    typed mixes."""
    out: list[Alternative] = []
    if syllable_count(text):
        out += [Alternative(tier, (f"{tier}p{text}",), "pinyin") for tier in TIERS]
    return out + _typed_alternatives(text, latin=True)


def typo_alternatives(parsed: "ParsedQuery") -> list[Alternative]:
    """One-letter typos of typed pinyin (zhagnwei), transpositions first: looked up only when
    what was typed does not fill the page. Typed text that is itself pinyin is taken as a typo
    only from six letters on (shorter real syllables are too near each other)."""
    text = parsed.typo_text
    if not text or (syllable_count(text) and len(text) < 6):
        return []
    return [
        Alternative(TYPO, (), "typo", any_tokens=tuple(f"0p{key}" for key in group))
        for group in typo_keys(text)
    ]


_DIGITISH = re.compile(r"^[0-9][0-9\-]*x?$")
_NUMBER = re.compile(r"^[0-9a-z][0-9a-z\-]*$")
_LETTERS = re.compile(r"^[a-z]+$")


def parse_query(raw: str) -> ParsedQuery:
    """What a search box string means, as ranked alternatives. The caller caps its length."""
    text = normalize_query(raw)
    if not text:
        return ParsedQuery(text="")
    compact = text.replace(" ", "")
    alternatives: list[Alternative] = []
    full_phone = full_id = typo_text = ""
    number = compact.upper() if _NUMBER.match(compact) else ""
    address = None if compact.isdigit() else addresses.parse(compact)
    name = clean_name(compact)
    if address is not None and addresses.query_keys(address[1]):
        alternatives.extend(_address_alternatives(*address))
        if address[0] and not alternatives:
            alternatives.extend(_name_alternatives(compact))
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
    elif _LETTERS.match(name):
        alternatives.extend(_pinyin_alternatives(name))
        typo_text = name
    elif _has_cjk(name) and any(c.isascii() and c.isalpha() for c in name):
        if all(is_cjk(c) or (c.isascii() and c.isalpha()) for c in name):
            alternatives.extend(_typed_alternatives(name, latin=False))
    elif _has_cjk(compact):
        alternatives.extend(_name_alternatives(compact))
    alternatives.sort(key=lambda alt: alt.tier)
    return ParsedQuery(
        text=text,
        alternatives=tuple(alternatives),
        full_phone=full_phone,
        full_id=full_id,
        number=number,
        typo_text=typo_text,
    )
