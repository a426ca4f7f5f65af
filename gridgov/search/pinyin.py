"""Names as people type them in pinyin (pure functions).

- Readings: each character of a name has the readings people type for it: a surname its surname
  reading and its everyday one (单 shan and dan, 曾 zeng and ceng, 吕 lv, lu and lyu), any other
  character its everyday reading and the other readings it commonly has (乐 le/yue, 长
  chang/zhang; see gridgov.search.readings). A name is indexed under a bounded number of reading
  combinations, the everyday one first.
- Typed patterns: a query mixing characters, full syllables, initials and a half-typed last
  syllable (`王xy`, `zhang伟`, `wangxiaoy`) is split into one unit per character of the name; a
  candidate found through the index is checked unit by unit against the name's readings.
- Typos: pinyin one letter away from what was typed (`zhagnwei` → `zhangwei`), generated from the
  syllable inventory, never from the data: a bounded list of keys to look up.
"""

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from gridgov.search import readings

# Readings of compound surnames, the usual one first.
COMPOUND_SURNAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "欧阳": (("ou", "yang"),),
    "司马": (("si", "ma"),),
    "上官": (("shang", "guan"),),
    "诸葛": (("zhu", "ge"),),
    "东方": (("dong", "fang"),),
    "皇甫": (("huang", "fu"),),
    "尉迟": (("yu", "chi"), ("wei", "chi")),
    "公孙": (("gong", "sun"),),
    "慕容": (("mu", "rong"),),
    "长孙": (("zhang", "sun"), ("chang", "sun")),
    "宇文": (("yu", "wen"),),
    "司徒": (("si", "tu"),),
    "夏侯": (("xia", "hou"),),
    "轩辕": (("xuan", "yuan"),),
    "令狐": (("ling", "hu"),),
    "端木": (("duan", "mu"),),
    "澹台": (("tan", "tai"),),
    "万俟": (("mo", "qi"), ("wan", "si")),
    "独孤": (("du", "gu"),),
    "南宫": (("nan", "gong"),),
    "呼延": (("hu", "yan"),),
    "单于": (("chan", "yu"), ("shan", "yu"), ("dan", "yu")),
    "拓跋": (("tuo", "ba"),),
    "钟离": (("zhong", "li"),),
    "西门": (("xi", "men"),),
    "申屠": (("shen", "tu"),),
    "公羊": (("gong", "yang"),),
    "赫连": (("he", "lian"),),
    "闻人": (("wen", "ren"),),
}
# A surname's own reading where it differs from the character's everyday one (pypinyin has no
# surname mode). The everyday reading is indexed too: people type 单 as dan, 曾 as ceng.
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
    "重": "chong",
    "费": "fei",
    "句": "gou",
    "能": "nai",
    "冼": "xian",
    "洗": "xian",
    "折": "she",
    "郇": "huan",
    "尉": "wei",
    "都": "du",
    "柏": "bai",
    "薄": "bo",
    "任": "ren",
    "曲": "qu",
    "车": "che",
    "石": "shi",
    "乜": "nie",
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
    "祭": "zhai",
    "那": "na",
    "相": "xiang",
    "逄": "pang",
    "訾": "zi",
    "谌": "chen",
    "厍": "she",
    "佘": "she",
    "蔺": "lin",
    "颉": "xie",
    "隗": "wei",
}
# Name readings pypinyin's phrases do not show (names read 茜 xi, 筠 jun) and phrase readings no
# name uses (娜 is na in every name, never the nuo of 婀娜).
NAME_EXTRA: dict[str, tuple[str, ...]] = {
    "茜": ("xi",),
    "晟": ("sheng",),
    "筠": ("jun",),
    "隽": ("jun",),
    "珩": ("heng",),
    "莘": ("xin",),
    "颉": ("xie",),
    "靓": ("liang",),
}
NOT_IN_NAMES: dict[str, frozenset[str]] = {
    "娜": frozenset({"nuo"}),
    "贾": frozenset({"gu"}),
    "阿": frozenset({"e"}),
}
MAX_READINGS = 4  # per character
MAX_COMBOS = 8  # reading combinations indexed per name
MAX_PREFIX_SYLLABLES = 4  # prefixes indexed up to this many syllables
MAX_SPLITS = 12  # ways to split one typed query

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
# What people put between the parts of a name (阿依古丽·买买提): middle dots of every kind, a full
# stop as a Chinese keyboard types it, spaces, hyphens. Quotes and commas are not: they are
# searched literally, and no name holds them.
NAME_SEPARATORS = re.compile(r"[\s·•・･‧∙⋅●.．。｡\-]+")


def is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def clean_name(name: str) -> str:
    """A name without separators, lower case: 阿依古丽・买买提 and 阿依古丽·买买提 are one name."""
    return NAME_SEPARATORS.sub("", unicodedata.normalize("NFKC", name or "")).lower()


def name_parts(name: str) -> list[str]:
    return [p for p in NAME_SEPARATORS.split(unicodedata.normalize("NFKC", name or "").lower()) if p]


# --- syllables ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    """Every toneless syllable, with ü written v, u (lu, nue) and, for lü/nü, yu (lyu)."""
    found = set(readings.data()["syllables"])
    found |= {s.replace("v", "u") for s in found if "v" in s} | {"lyu", "nyu"}
    return frozenset(found)


@lru_cache(maxsize=1)
def _syllable_prefixes() -> frozenset[str]:
    return frozenset(s[:n] for s in syllables() for n in range(1, len(s)))


@lru_cache(maxsize=1)
def _deletions_index() -> dict[str, frozenset[str]]:
    """SymSpell's dictionary over the syllables: each syllable and its one-letter deletions → syllables."""
    table: dict[str, set[str]] = {}
    for s in syllables():
        for key in {s} | {s[:i] + s[i + 1 :] for i in range(len(s))}:
            table.setdefault(key, set()).add(s)
    return {k: frozenset(v) for k, v in table.items()}


def _variants(reading: str, surname: bool) -> list[str]:
    if "v" not in reading:
        return [reading]
    out = [reading, reading.replace("v", "u")]
    if surname and reading in ("lv", "nv"):
        out.append(reading[0] + "yu")  # 吕 as a passport spells it
    return out


@lru_cache(maxsize=20000)
def char_readings(char: str, surname: bool = False) -> tuple[str, ...]:
    """The readings people type for a character, the most likely first ('' for none)."""
    if not is_cjk(char):
        return (char,) if char.isascii() and char.isalpha() else ()
    everyday = readings.default_reading(char)
    ordered: list[str] = []
    if surname and char in SURNAME_READINGS:
        ordered += [SURNAME_READINGS[char], everyday]
    else:
        ordered.append(everyday)
        ordered += readings.data()["alternatives"].get(char, [])
        ordered += NAME_EXTRA.get(char, ())
    banned = NOT_IN_NAMES.get(char, frozenset())
    out: list[str] = []
    for reading in ordered:
        for variant in _variants(reading, surname):
            if variant and variant not in out and variant not in banned:
                out.append(variant)
    return tuple(out[:MAX_READINGS])


# --- a name's readings -------------------------------------------------------------------------


@dataclass(frozen=True)
class NameReading:
    text: str  # the name without separators, lower case
    surname_length: int  # 2 for a compound surname, else 1 (0 for no name)
    positions: tuple[tuple[str, ...], ...]  # readings of each character of `text`, likely first

    def combos(self) -> list[tuple[str, ...]]:
        """Reading combinations, the everyday one first, at most MAX_COMBOS."""
        if self.surname_length == 2 and self.text[:2] in COMPOUND_SURNAMES:
            heads: list[tuple[tuple[str, ...], int]] = [
                (r, i) for i, r in enumerate(COMPOUND_SURNAMES[self.text[:2]])
            ]
            rest = self.positions[2:]
        else:
            heads = [((), 0)]
            rest = self.positions
        options = [list(enumerate(p)) for p in rest if p]
        ranked: list[tuple[int, tuple[str, ...]]] = []
        for head, head_rank in heads:
            if len(options) <= 8:
                for picked in itertools.islice(itertools.product(*options), 512):
                    ranked.append((head_rank + sum(i for i, _ in picked), head + tuple(r for _, r in picked)))
            else:  # long names: the everyday reading, then one character read otherwise
                base = tuple(p[0][1] for p in options)
                ranked.append((head_rank, head + base))
                for k, p in enumerate(options):
                    for i, r in p[1:]:
                        ranked.append((head_rank + i, head + base[:k] + (r,) + base[k + 1 :]))
        ranked.sort(key=lambda item: item[0])
        out: list[tuple[str, ...]] = []
        for _rank, reading in ranked:
            if reading and reading not in out:
                out.append(reading)
            if len(out) >= MAX_COMBOS:
                break
        return out


@lru_cache(maxsize=300_000)
def read_name(name: str) -> NameReading:
    text = clean_name(name)
    if not text:
        return NameReading("", 0, ())
    compound = text[:2] in COMPOUND_SURNAMES and len(text) > 2
    positions: list[tuple[str, ...]] = []
    for i, char in enumerate(text):
        if compound and i < 2:
            positions.append(tuple(dict.fromkeys(r[i] for r in COMPOUND_SURNAMES[text[:2]])))
        else:
            positions.append(char_readings(char, surname=(i == 0)))
    return NameReading(text, 2 if compound else 1, tuple(positions))


def initials(combo: tuple[str, ...]) -> str:
    return "".join(s[0] for s in combo)


def pinyin_keys(reading: NameReading) -> list[tuple[int, str, str]]:
    """(tier, kind, value) of a name's pinyin, for every reading combination:

    - `p` full pinyin: exact (zhangwei), prefixes at syllable boundaries (zhang, wangxiao);
    - `j` initials: exact (zw), prefixes of two or more letters (wx for 王小宇);
    - `h` the surname's first syllable in full and the rest as initials: exact (zhangw, wangxy),
      prefixes (wangx).
    """
    keys: list[tuple[int, str, str]] = []
    for combo in reading.combos():
        n = len(combo)
        keys.append((0, "p", "".join(combo)))
        for j in range(1, min(n, MAX_PREFIX_SYLLABLES + 1)):
            keys.append((1, "p", "".join(combo[:j])))
        if n >= 2:
            keys.append((0, "j", initials(combo)))
            keys.append((0, "h", combo[0] + initials(combo[1:])))
            for j in range(2, min(n, MAX_PREFIX_SYLLABLES + 1)):
                keys.append((1, "j", initials(combo[:j])))
                keys.append((1, "h", combo[0] + initials(combo[1:j])))
    return keys


# --- what was typed ----------------------------------------------------------------------------

# A unit stands for one character of a name: ("c", 伟) that character, ("s", "wei") a reading
# equal to this syllable, ("b", "w") a reading beginning with these letters (an initial, or the
# half-typed last syllable).
Unit = tuple[str, str]


def unit_matches(unit: Unit, char: str, options: tuple[str, ...]) -> bool:
    kind, value = unit
    if kind == "c":
        return char == value
    if kind == "s":
        return value in options
    return any(r.startswith(value) for r in options)


def pattern_matches(units: tuple[Unit, ...], reading: NameReading, longer: bool) -> bool:
    """Whether the name reads as these units, one per character (`longer`: the name goes on)."""
    n = len(reading.positions)
    if (n <= len(units)) if longer else (n != len(units)):
        return False
    return all(unit_matches(unit, reading.text[i], reading.positions[i]) for i, unit in enumerate(units))


def _latin_splits(run: str, partial_end: bool) -> list[tuple[Unit, ...]]:
    """Ways to read a run of letters as syllables and initials (fewest units first). As pinyin
    keyboards do, a lone letter is not split off a syllable it belongs to (zhan|g, w|ang)."""
    full, prefixes = syllables(), _syllable_prefixes()
    found: list[tuple[Unit, ...]] = []

    def walk(i: int, units: tuple[Unit, ...]) -> None:
        if len(found) >= 64:
            return
        if i == len(run):
            found.append(units)
            return
        previous = units[-1] if units else None
        for length in range(min(6, len(run) - i), 0, -1):
            piece = run[i : i + length]
            end = i + length == len(run)
            if previous is not None and len(previous[1]) == 1 and previous[1] + piece in full:
                continue  # w|ang is wang
            if length == 1 and piece in prefixes | full:
                if previous is not None and previous[0] == "s" and previous[1] + piece in full:
                    continue  # zhan|g is zhang
                walk(i + 1, (*units, ("b", piece)))
            elif piece in full:
                walk(i + length, (*units, ("s", piece)))
            elif end and partial_end and piece in prefixes:
                walk(i + length, (*units, ("b", piece)))

    walk(0, ())
    found.sort(key=lambda units: (len(units), sum(1 for k, _ in units if k == "b")))
    return found


def split_query(text: str) -> list[tuple[Unit, ...]]:
    """How a typed query of characters and letters reads as units, one per character of a name:
    `王xy` → (王, x, y); `zhangwe` → (zhang, we…); `zhang伟` → (zhang, 伟). Empty when it cannot."""
    runs = re.findall(r"[a-z]+|.", text)
    choices: list[list[tuple[Unit, ...]]] = []
    for k, run in enumerate(runs):
        if run.isascii() and run.isalpha():
            splits = _latin_splits(run, partial_end=(k == len(runs) - 1))
            if not splits:
                return []
            choices.append(splits)
        elif is_cjk(run):
            choices.append([(("c", run),)])
        else:
            return []
    out: list[tuple[Unit, ...]] = []
    for combo in itertools.islice(itertools.product(*choices), MAX_SPLITS * 4):
        units = tuple(u for part in combo for u in part)
        if units not in out:
            out.append(units)
    out.sort(key=lambda units: (len(units), sum(1 for k, v in units if k == "b" and len(v) > 1)))
    return out[:MAX_SPLITS]


def unit_keys(units: tuple[Unit, ...]) -> tuple[str, list[str]]:
    """The index keys a name read as these units must have: ("h", [zhangw…]) when the first unit
    is a whole syllable or a character, ("j", [zw…]) when it is an initial."""
    firsts: list[str] = []
    second: list[str] = []
    if len(units) >= 2 and units[0][0] == units[1][0] == "c":
        compound = COMPOUND_SURNAMES.get(units[0][1] + units[1][1], ())
        firsts = list(dict.fromkeys(r[0] for r in compound))
        second = list(dict.fromkeys(r[1][0] for r in compound))

    def letters(i: int, unit: Unit) -> list[str]:
        kind, value = unit
        if i == 1 and second:
            return second
        if kind == "c":
            return list(dict.fromkeys(r[0] for r in char_readings(value, surname=i == 0))) or ["?"]
        return [value[0]]

    kind, first = units[0]
    if kind == "b":
        heads, family = [first[0]], "j"
    elif kind == "s":
        heads, family = [first], "h"
    else:
        heads, family = firsts or list(char_readings(first, surname=True)) or ["?"], "h"
    keys = [""]
    for i, unit in enumerate(units[1:], start=1):
        keys = [k + letter for k in keys for letter in letters(i, unit)][:16]
    return family, [head + key for head in heads for key in keys][:16]


def needs_check(units: tuple[Unit, ...], leading_chars: int) -> bool:
    """Whether index keys alone may over-match: a unit beyond the first that is a whole syllable,
    several letters or a character not carried by a name token must be checked on the name."""
    for i, (kind, value) in enumerate(units):
        if i < leading_chars:
            continue
        if i == 0 and kind == "s":
            continue
        if kind == "c" or (kind == "s" and len(value) > 1) or (kind == "b" and len(value) > 1):
            return True
    return False


# --- one-letter typos --------------------------------------------------------------------------


def _segments(text: str) -> tuple[list[int], list[int]]:
    """ahead[i]: the fewest syllables text[:i] is made of; behind[i]: the same for text[i:]
    (NONE when it is not whole syllables)."""
    full, n = syllables(), len(text)
    ahead = [NONE] * (n + 1)
    ahead[0] = 0
    for i in range(n):
        if ahead[i] < NONE:
            for length in range(1, min(6, n - i) + 1):
                if text[i : i + length] in full:
                    ahead[i + length] = min(ahead[i + length], ahead[i] + 1)
    behind = [NONE] * (n + 1)
    behind[n] = 0
    for i in range(n - 1, -1, -1):
        for length in range(1, min(6, n - i) + 1):
            if behind[i + length] < NONE and text[i : i + length] in full:
                behind[i] = min(behind[i], behind[i + length] + 1)
    return ahead, behind


NONE = 1 << 20


def syllable_count(text: str) -> int:
    """The fewest whole syllables text is made of (0 when it is not pinyin)."""
    if not text.isascii() or not text.isalpha():
        return 0
    count = _segments(text)[0][len(text)]
    return 0 if count >= NONE else count


def _one_edit(a: str, b: str) -> str:
    """The kind of single edit turning what was typed (a) into b: transposition, omission (b has a
    letter more), extra (b has one less), substitution; '' when b is not one edit from a."""
    if a == b:
        return ""
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return "substitution"
        if (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        ):
            return "transposition"
        return ""
    if abs(la - lb) != 1:
        return ""
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    if short[i:] == long_[i + 1 :]:
        return "omission" if la < lb else "extra"
    return ""


EDIT_ORDER = ("transposition", "omission", "extra", "substitution")
MAX_TYPO_KEYS = 48


def typo_keys(text: str) -> list[list[str]]:
    """Full pinyin of two or more syllables one letter from `text`, grouped by the kind of typo
    (transpositions first: the commonest slip; then fewest syllables), at most MAX_TYPO_KEYS.

    The typo is looked for in one syllable: for every window with whole syllables before and after
    it, the window is replaced by each syllable one edit away (SymSpell's deletion dictionary over
    the ~420 syllables, so a lookup, not a scan); a swap across two syllables is tried directly."""
    n = len(text)
    if n < 4 or not text.isascii() or not text.isalpha():
        return []
    ahead, behind = _segments(text)
    table = _deletions_index()
    found: dict[str, tuple[int, int]] = {}

    def add(candidate: str, kind: str, count: int) -> None:
        if count >= 2 and candidate != text:
            rank = (EDIT_ORDER.index(kind), count)
            if candidate not in found or rank < found[candidate]:
                found[candidate] = rank

    for a in range(n):
        if ahead[a] >= NONE:
            continue
        for b in range(a + 1, min(n, a + 7) + 1):
            if behind[b] >= NONE:
                continue
            window = text[a:b]
            near: set[str] = set(table.get(window, ()))
            for i in range(len(window)):
                near |= table.get(window[:i] + window[i + 1 :], frozenset())
            for syllable in near:
                kind = _one_edit(window, syllable)
                if kind:
                    add(text[:a] + syllable + text[b:], kind, ahead[a] + 1 + behind[b])
    for i in range(n - 1):  # a swap across two syllables: zhanwgei
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if swapped not in found:
            add(swapped, "transposition", syllable_count(swapped))
    ranked = sorted(found, key=lambda c: (found[c], c))[:MAX_TYPO_KEYS]
    return [
        [c for c in ranked if found[c][0] == k]
        for k in range(len(EDIT_ORDER))
        if any(found[c][0] == k for c in ranked)
    ]
