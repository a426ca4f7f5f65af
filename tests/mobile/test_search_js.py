"""The app's offline query parser (gridgov/mobile/static/app/js/search.js) understands a search
box string exactly as the server's `parse_query` does: the same ranked alternatives of the same
tokens, over the same queries (run with Node). Tail tokens differ only in form: the server's are
keyed hashes, the phone's the digits themselves (the six-digit ID tail is not searchable offline)."""

import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gridgov.search import readings
from gridgov.search.addresses import _chinese_number
from gridgov.search.pinyin import COMPOUND_SURNAMES, char_readings, is_cjk
from gridgov.search.tokens import Alternative, hash_token, parse_query, typo_alternatives

APP_JS = Path(__file__).resolve().parents[2] / "gridgov" / "mobile" / "static" / "app" / "js"
SEARCH_JS = APP_JS / "search.js"
PINYIN_JS = APP_JS / "pinyin.js"
QUERIES = [
    "张伟",
    "张",
    "欧阳娜娜",
    "司马 懿",
    "王小明明明明明",
    "zw",
    "zhangwei",
    "ZhangWei",
    "zhang",
    "3号楼2单元301",
    "3-2-301",
    "3#2-301",
    "3号楼",
    "12栋",
    "3号楼301室",
    "惠民社区3号楼2单元",
    "惠民社区",
    "昭乌达南路",
    "1234",
    "123X",
    "150105",
    "13812345678",
    "0471-6123456",
    "301",
    "150105199001011234",
    "HM-001",
    "ａｂｃ",
    "３号楼",
    "李·四",
    "!!",
    "  ",
    "a1",
    "张3",
    "民族路8号",
    # surname + initials, typed mixes, polyphonic surnames (issue 10's grammar)
    "王xy",
    "王x",
    "wangxy",
    "wangxiaoy",
    "wxy",
    "zhang伟",
    "zhangw",
    "单xy",
    "曾小",
    "曾xiao",
    "乐yj",
    "欧阳nn",
    "欧阳娜n",
    "lvxm",
    "lyu",
    "nüe",
    # one-letter pinyin typos
    "zhagnwei",
    "zhangwie",
    "zhanwgei",
    "wagnxiaoming",
    "zhnagwei",
    "ouyagnnana",
    # addresses: Chinese numerals, unit + room without a building, place text
    "三号楼二单元501",
    "三号楼二单元五零一",
    "十二号楼",
    "二单元501",
    "2单元501室",
    "3#楼2门501",
    "3-501",
    "3号501",
    "三栋二单元五〇一",
    "惠民社区3#2-501",
    "惠民小区三号楼",
    "3#-2-501",
    "0471-6612345",
    "12-",
    "3号楼2单元501号",
    "五百零一室",
]


def _device_form(token: str, query_digits: str) -> str | None:
    """The phone's form of a server token (hash tails mapped back to the digits they hash)."""
    for kind, prefix in (("phone4", "2t"), ("id4", "2i"), ("id6", "2i")):
        if token == prefix + hash_token(kind, query_digits.upper()):
            return None if kind == "id6" else prefix + query_digits.lower()
    return token


def _alternative(a: Alternative, digits: str) -> list[Any]:
    tokens = [t for t in (_device_form(t, digits) for t in a.tokens) if t is not None]
    patterns = [[list(unit) for unit in units] for units in a.patterns]
    return [
        a.tier,
        a.kind,
        tokens,
        a.name_contains,
        a.address_contains,
        list(a.any_tokens),
        patterns,
        a.longer,
    ]


def _python(query: str) -> dict[str, Any]:
    parsed = parse_query(query)
    digits = parsed.text.replace(" ", "").replace("-", "")
    return {
        "text": parsed.text,
        "alternatives": [_alternative(a, digits) for a in parsed.alternatives],
        "typos": [_alternative(a, digits) for a in typo_alternatives(parsed)],
        "fullPhone": parsed.full_phone,
        "fullId": parsed.full_id,
        "number": parsed.number,
        "typoText": parsed.typo_text,
    }


def _readings(queries: list[str]) -> dict[str, list[list[str]]]:
    """What the phone learns from its grid's names: each character's readings, as a surname and
    otherwise (here for every character the queries hold)."""
    chars = {c for q in queries for c in q if is_cjk(c)}
    return {c: [list(char_readings(c, surname=True)), list(char_readings(c))] for c in sorted(chars)}


def _node(script: str) -> Any:
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(result.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node is needed to run the app's script")


@needs_node
def test_the_phone_parses_queries_as_the_server_does() -> None:
    script = (
        f"const s = require({json.dumps(str(SEARCH_JS))});"
        f"const table = {json.dumps(_readings(QUERIES), ensure_ascii=False)};"
        "const readingsOf = (c, surname) => (table[c] || [[], []])[surname ? 0 : 1];"
        "const alt = a => [a.tier, a.kind, a.tokens, a.nameContains, a.addressContains, a.anyTokens, a.patterns, a.longer];"
        f"const out = {json.dumps(QUERIES, ensure_ascii=False)}.map(q => {{ const p = s.parseQuery(q, readingsOf);"
        "return {text: p.text, fullPhone: p.fullPhone, fullId: p.fullId, number: p.number, typoText: p.typoText,"
        "alternatives: p.alternatives.map(alt), typos: s.typoAlternatives(p).map(alt)}; });"
        "process.stdout.write(JSON.stringify(out));"
    )
    phone = _node(script)
    for query, got in zip(QUERIES, phone, strict=True):
        assert got == _python(query), query


@needs_node
def test_the_phone_has_the_servers_syllables_and_compound_surnames() -> None:
    got = _node(
        f"const p = require({json.dumps(str(PINYIN_JS))});"
        "process.stdout.write(JSON.stringify([p.SYLLABLES, Array.from(p.COMPOUND_SURNAMES.entries())]));"
    )
    assert got[0] == readings.data()["syllables"]
    assert {k: [tuple(r) for r in v] for k, v in got[1]} == {k: list(v) for k, v in COMPOUND_SURNAMES.items()}


@needs_node
def test_chinese_numerals_read_as_the_server_reads_them() -> None:
    """Every run of up to three numeral characters (and longer ones people type)."""
    alphabet = "零〇一二三四五六七八九十百千两幺"
    runs = ["".join(p) for n in (1, 2, 3) for p in itertools.product(alphabet, repeat=n)]
    runs += [
        "一千零一十",
        "三百五十",
        "一千二",
        "九九九九九",
        "两千零五",
        "一千一百一十一",
        "十二十三",
        "二十三百四",
    ]
    got = _node(
        f"const s = require({json.dumps(str(SEARCH_JS))});"
        f"process.stdout.write(JSON.stringify({json.dumps(runs, ensure_ascii=False)}.map(s.chineseNumber)));"
    )
    for run, value in zip(runs, got, strict=True):
        assert value == _chinese_number(run), run


PEOPLE = [
    "王小宇",
    "王晓燕",
    "张伟",
    "张玮",
    "章伟",
    "单小燕",
    "曾小明",
    "欧阳娜娜",
    "吕小梅",
    "王小",
    "乐佳",
]
HOUSEHOLDS = [
    ("惠民社区3号楼2单元501室", "3号楼", "2", "501"),
    ("惠民社区12号楼1单元302室", "12号楼", "1", "302"),
]
FINDS = {
    "王xy": ["王小宇", "王晓燕"],
    "wangxy": ["王小宇", "王晓燕"],
    "wxy": ["王小宇", "王晓燕"],
    "王小y": ["王小宇"],
    "wangxiaoy": ["王小宇", "王晓燕", "王小"],  # 王小 as a typo (one letter too many)
    "zhang伟": ["张伟", "章伟"],
    "zhangwei": ["张伟", "张玮", "章伟"],
    "zhagnwei": ["张伟", "张玮", "章伟"],
    "单xy": ["单小燕"],
    "shanxy": ["单小燕"],
    "danxy": ["单小燕"],
    "zengxm": ["曾小明"],
    "lvxm": ["吕小梅"],
    "luxm": ["吕小梅"],
    "yuej": ["乐佳"],
    "ouyangnn": ["欧阳娜娜"],
    "三号楼二单元五零一": ["惠民社区3号楼2单元501室"],
    "3#2-501": ["惠民社区3号楼2单元501室"],
    "2单元501": ["惠民社区3号楼2单元501室"],
    "十二号楼": ["惠民社区12号楼1单元302室"],
    "惠民社区3#2-501": ["惠民社区3号楼2单元501室"],
    "302": ["惠民社区12号楼1单元302室"],
}


@needs_node
def test_the_phone_finds_what_the_server_finds() -> None:
    """The phone's index over records as the sync sends them (tokens and readings from the
    server's tokenizer) finds each query's people and households, and nothing else."""
    from gridgov.search.pinyin import read_name
    from gridgov.search.tokens import household_tokens, resident_tokens

    records = [
        {
            "key": f"resident:{i}",
            "tokens": resident_tokens(name),
            "doc": {"name": name, "reading": "|".join("/".join(p) for p in read_name(name).positions)},
        }
        for i, name in enumerate(PEOPLE)
    ] + [
        {
            "key": f"household:{i}",
            "tokens": household_tokens(address=a, building=b, unit=u, room=r),
            "doc": {"address": a},
        }
        for i, (a, b, u, r) in enumerate(HOUSEHOLDS)
    ]
    got = _node(
        f"const s = require({json.dumps(str(SEARCH_JS))}); const index = new s.Index();"
        f"for (const r of {json.dumps(records, ensure_ascii=False)}) index.put(r.key, r.tokens, r.doc);"
        f"const out = {{}}; for (const q of {json.dumps(list(FINDS), ensure_ascii=False)}) out[q] = "
        "index.find(index.parse(q), 50).map(k => { const d = index.docs.get(k).doc; return d.name || d.address; });"
        "process.stdout.write(JSON.stringify(out));"
    )
    for query, expected in FINDS.items():
        assert sorted(got[query]) == sorted(expected), query
