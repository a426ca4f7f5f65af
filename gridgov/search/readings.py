"""The readings people type for a character, derived once from pypinyin's dictionaries.

pypinyin lists every reading a character has ever had (王 also `yu`, 敦 seven), so indexing all of
them would make names match what nobody types. A reading is kept as *plausible* when the
character has it in at least MIN_PHRASES of the words of pypinyin's phrase dictionary and in at
least MIN_SHARE of that character's words: 乐 le/yue, 长 chang/zhang, 朝 chao/zhao, 曾 ceng/zeng
stay; 王 yu does not. Scanning the phrase dictionary takes seconds, so the result is shipped as
`data/readings.json` and regenerated with the pinned pypinyin by

    python -m gridgov.search.readings

(tests/search/test_readings.py checks the shipped file is what this produces.)
"""

import json
import sys
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "readings.json"
MIN_PHRASES = 5
MIN_SHARE = 0.10


def default_reading(char: str) -> str:
    """pypinyin's everyday reading of one character, without tone ('' when it has none)."""
    from pypinyin import Style, pinyin

    reading = pinyin(char, style=Style.NORMAL, errors="ignore")
    return reading[0][0] if reading and reading[0] else ""


def _is_syllable(reading: str) -> bool:
    return reading.isascii() and reading.isalpha() and any(v in reading for v in "aeiouv")


def build() -> dict[str, Any]:
    """Every toneless syllable pypinyin knows, and each character's plausible other readings."""
    import pypinyin
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_normal

    syllables = {to_normal(reading) for readings in PINYIN_DICT.values() for reading in readings.split(",")}
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for phrase, readings in PHRASES_DICT.items():
        if len(phrase) != len(readings):
            continue
        for char, options in zip(phrase, readings, strict=True):
            counts[char][to_normal(options[0])] += 1
    alternatives: dict[str, list[str]] = {}
    for char in sorted(counts):
        seen = counts[char]
        total = sum(seen.values())
        everyday = default_reading(char)
        extra = [
            reading
            for reading, n in sorted(seen.items(), key=lambda item: (-item[1], item[0]))
            if reading != everyday and _is_syllable(reading) and n >= MIN_PHRASES and n / total >= MIN_SHARE
        ]
        if extra:
            alternatives[char] = extra
    return {
        "pypinyin": pypinyin.__version__,
        "syllables": sorted(s for s in syllables if _is_syllable(s)),
        "alternatives": alternatives,
    }


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def write() -> None:
    DATA.write_text(
        json.dumps(build(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    write()
    sys.stdout.write(f"wrote {DATA}\n")
