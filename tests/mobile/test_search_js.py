"""The app's offline query parser (gridgov/mobile/static/app/js/search.js) understands a search
box string exactly as the server's `parse_query` does: the same ranked alternatives of the same
tokens, over the same queries (run with Node). Tail tokens differ only in form: the server's are
keyed hashes, the phone's the digits themselves (the six-digit ID tail is not searchable offline)."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gridgov.search.tokens import hash_token, parse_query

SEARCH_JS = Path(__file__).resolve().parents[2] / "gridgov" / "mobile" / "static" / "app" / "js" / "search.js"
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
]


def _device_form(token: str, query_digits: str) -> str | None:
    """The phone's form of a server token (hash tails mapped back to the digits they hash)."""
    for kind, prefix in (("phone4", "2t"), ("id4", "2i"), ("id6", "2i")):
        if token == prefix + hash_token(kind, query_digits.upper()):
            return None if kind == "id6" else prefix + query_digits.lower()
    return token


def _python(query: str) -> dict[str, Any]:
    parsed = parse_query(query)
    digits = parsed.text.replace(" ", "").replace("-", "")
    alternatives = []
    for a in parsed.alternatives:
        tokens = [t for t in (_device_form(t, digits) for t in a.tokens) if t is not None]
        alternatives.append([a.tier, a.kind, tokens, a.name_contains, a.address_contains])
    return {
        "text": parsed.text,
        "alternatives": alternatives,
        "fullPhone": parsed.full_phone,
        "fullId": parsed.full_id,
        "number": parsed.number,
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is needed to run the app's script")
@pytest.mark.xfail(
    strict=True,
    reason="the server's query grammar changed (issue 10: any_tokens, patterns, prefix keys h/j, typo "
    "alternatives); search.js still parses as before and must be ported again — strict: this fails "
    "once they agree, so the mark is removed with the port",
)
def test_the_phone_parses_queries_as_the_server_does() -> None:
    script = (
        f"const s = require({json.dumps(str(SEARCH_JS))});"
        f"const out = {json.dumps(QUERIES)}.map(q => {{ const p = s.parseQuery(q); return {{"
        "text: p.text, fullPhone: p.fullPhone, fullId: p.fullId, number: p.number,"
        "alternatives: p.alternatives.map(a => [a.tier, a.kind, a.tokens, a.nameContains, a.addressContains])}; });"
        "process.stdout.write(JSON.stringify(out));"
    )
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True, timeout=60)
    phone = json.loads(result.stdout)
    for query, got in zip(QUERIES, phone, strict=True):
        assert got == _python(query), query
