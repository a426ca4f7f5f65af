"""Addresses as people type them: building, unit and room in any of the usual notations.

`3号楼2单元501室`, `3栋2单元501`, `3#2-501`, `3-2-501`, `3号楼501`, `2单元501`, `3#楼2门501`, and
the same with Chinese numerals (`三号楼二单元五零一`, `十二号楼`), with place text before them
(`惠民社区3#2-501`). A typed address becomes (place text, building, unit, room); a household's
building, unit and room become index keys (`b3u2r501`, `b3u2`, `b3`, `b3r501`, `u2r501`, `r501`).
"""

import re
import unicodedata
from functools import lru_cache

EXACT, PREFIX, SUBSTRING = 0, 1, 2

_BUILDING = ("号楼", "#楼", "#", "栋", "幢", "座", "楼", "号")
_UNIT = ("单元", "门")
_ROOM = ("室", "户", "号")
_MARKERS = sorted({*_BUILDING, *_UNIT, *_ROOM}, key=len, reverse=True)
_SEPARATORS = "-_/、,，.．"
_NUMERAL_CHARS = "零〇一二三四五六七八九十百千两幺"
# A run of Chinese numerals next to an address marker or a separator: 三号楼, 二单元, 五零一.
_NUMERAL_RUN = re.compile(f"[{_NUMERAL_CHARS}]+")
_PIECE = re.compile(r"(\d{1,5})(?!\d)(" + "|".join(re.escape(m) for m in _MARKERS) + r")?")


def _chinese_number(run: str) -> str:
    """五零一 → 501 (digit by digit), 十二 → 12, 五百零一 → 501; '' when it is not a number."""
    import cn2an  # imported on first use: it takes half a second to load

    try:
        value = cn2an.cn2an(run.replace("幺", "一"), "smart")
    except (ValueError, KeyError, IndexError):
        return ""
    return str(int(value)) if float(value).is_integer() and value >= 0 else ""


def arabic_numerals(text: str) -> str:
    """Chinese numerals that stand next to an address marker or another number, as digits."""
    if not _NUMERAL_RUN.search(text):
        return text

    def replace(match: re.Match[str]) -> str:
        before = text[: match.start()]
        after = text[match.end() :]
        beside_marker = any(after.startswith(m) for m in _MARKERS) or (
            after[:1] in _SEPARATORS and after[:1] != ""
        )
        after_marker = any(before.endswith(m) for m in _MARKERS) or (before[-1:] in _SEPARATORS and before)
        if not (beside_marker or after_marker):
            return match.group()
        number = _chinese_number(match.group())
        return number or match.group()

    return _NUMERAL_RUN.sub(replace, text)


def _digits(label: str) -> str:
    """The number of a building, unit or room label: 3号楼 → 3, 三号楼 → 3, 二 → 2."""
    text = unicodedata.normalize("NFKC", label or "")
    match = re.search(r"\d+", arabic_numerals(text))
    if match:
        return str(int(match.group()))
    run = _NUMERAL_RUN.search(text)
    return _chinese_number(run.group()) if run else ""


def household_keys(building: str, unit: str, room: str) -> list[tuple[int, str]]:
    """(tier, key) of a household's building, unit and room.

    b3u2r501 is its whole address (exact); b3u2 and b3 prefixes; b3r501 (unit left out), u2r501
    (building left out) and r501 parts of it. Keys are letters and digits only: SQLite's FTS5
    tokenizer splits on punctuation."""
    b, u, r = _digits(building), _digits(unit), _digits(room)
    keys: list[tuple[int, str]] = []
    if b:
        keys.append((PREFIX, f"b{b}"))
        if u:
            keys.append((PREFIX, f"b{b}u{u}"))
            if r:
                keys.append((EXACT, f"b{b}u{u}r{r}"))
                keys.append((SUBSTRING, f"b{b}r{r}"))
        elif r:
            keys.append((EXACT, f"b{b}r{r}"))
    if u and r:
        keys.append((SUBSTRING, f"u{u}r{r}"))
    if r:
        keys.append((SUBSTRING, f"r{r}"))
    return keys


def _roles(pieces: list[tuple[str, str]]) -> dict[str, str] | None:
    """Building, unit and room from (number, marker) pieces, or None when they do not read as one."""
    order = ("b", "u", "r")
    found: dict[str, str] = {}
    last = -1
    for i, (number, marker) in enumerate(pieces):
        final = i == len(pieces) - 1
        if marker in _UNIT:
            role = "u"
        elif marker in ("号楼", "#楼", "#", "栋", "幢", "座", "楼") or (marker == "号" and not final):
            role = "b"
        elif marker in ("室", "户") or (marker == "号" and final and len(pieces) > 1):
            role = "r"
        elif marker == "号":
            role = "b"  # 3号 alone: building 3, as 3号楼 is said short
        else:  # bare or dash-separated: the next place in building, unit, room
            remaining = len(pieces) - i
            if last < 0 and remaining == 2 and pieces[-1][1] in ("", "-") and len(pieces[-1][0]) >= 3:
                role = "b"  # 3-501: building and room
            elif last == 0 and final and len(number) >= 3:
                role = "r"
            elif last < 0 and remaining == 1 and len(pieces) == 1:
                return None  # a bare number is not an address structure
            else:
                role = order[last + 1] if last + 1 < len(order) else ""
        if not role or role in found or order.index(role) <= last:
            return None
        found[role] = str(int(number))
        last = order.index(role)
    return found or None


def parse(text: str) -> tuple[str, dict[str, str]] | None:
    """(place text, {b, u, r}) of a typed address, or None. `text` is normalised (NFKC, lower
    case, no spaces)."""
    text = arabic_numerals(text)
    start = re.search(r"\d", text)
    if not start:
        return None
    place, rest = text[: start.start()], text[start.start() :]
    if not place and rest[0] == "0" and re.fullmatch(r"[\d-]+", rest):
        return None  # 0471-6612345 is a landline
    pieces: list[tuple[str, str]] = []
    pos = 0
    while pos < len(rest):
        match = _PIECE.match(rest, pos)
        if not match:
            return None
        number, marker = match.group(1), match.group(2) or ""
        pos = match.end()
        if pos < len(rest) and rest[pos] in _SEPARATORS:
            if marker:
                pos += 1  # 3#-2-501
            else:
                marker = "-"
                pos += 1
                if pos == len(rest):
                    return None
        pieces.append((number, marker))
    roles = _roles(pieces)
    if roles is None or (place and not re.fullmatch(r"[^\d]+", place)):
        return None
    return place, roles


def query_keys(roles: dict[str, str]) -> list[tuple[int, str]]:
    """(tier, key) to look up for a typed building/unit/room, best first."""
    b, u, r = roles.get("b", ""), roles.get("u", ""), roles.get("r", "")
    if b and u and r:
        return [(EXACT, f"b{b}u{u}r{r}")]
    if b and r:
        return [(EXACT, f"b{b}r{r}"), (SUBSTRING, f"b{b}r{r}")]
    if b and u:
        return [(PREFIX, f"b{b}u{u}")]
    if u and r:
        return [(SUBSTRING, f"u{u}r{r}")]
    if b:
        return [(PREFIX, f"b{b}")]
    if r:
        return [(SUBSTRING, f"r{r}")]
    return []


@lru_cache(maxsize=4096)
def parse_cached(text: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    parsed = parse(text)
    return None if parsed is None else (parsed[0], tuple(sorted(parsed[1].items())))
