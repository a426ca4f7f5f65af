"""Text no field may hold: control characters and unpaired surrogates.

PostgreSQL refuses NUL in text and psycopg cannot encode a lone surrogate, so such input would
fail at the database (a 500) or, on SQLite, be stored where nobody can see it. Every request is
checked once, at the door (`RefuseUnstorableTextMiddleware`), wherever the text comes from.
"""

import json
import re
from collections.abc import Iterable
from typing import Any

# C0 controls except tab, line feed and carriage return; DEL; C1 controls; surrogates; the two
# Unicode non-characters U+FFFE and U+FFFF.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
MESSAGE = "不能包含控制字符或无效字符"


def has_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def printable(text: str) -> str:
    """`text` with every unstorable character written as its escape (`\\u0000`): for what a log
    keeps about a refused input, which must itself be storable."""
    return UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def storable(value: Any) -> Any:
    """A decoded JSON value with `printable` applied to every string and key in it."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(key)): storable(child) for key, child in value.items()}
    if isinstance(value, list):
        return [storable(child) for child in value]
    return value


def first_unstorable_field(value: Any, field: str = "") -> str | None:
    """The dotted name of the first field (or key) of a decoded JSON value holding bad text."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        name, item = stack.pop()
        if isinstance(item, str):
            if has_unstorable(item):
                return name or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_name = f"{name}.{key}" if name else str(key)
                if has_unstorable(str(key)):
                    return child_name
                stack.append((child_name, child))
        elif isinstance(item, list):
            stack.extend((f"{name}.{i}" if name else str(i), child) for i, child in enumerate(item))
    return None


def first_unstorable_pair(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The first form or query field whose name or value holds bad text."""
    for key, text in pairs:
        if has_unstorable(key) or has_unstorable(text):
            return key
    return None


# Where a request keeps its parsed body: (value, None) or (None, why it was refused).
_PARSED = "_gridgov_json"


def request_json(request: Any) -> Any:
    """The request's JSON body, parsed once per request: the unstorable-text check at the door and
    the API's parser behind it share one parse. Raises JSONRefused as `parse_json` does."""
    parsed = request.__dict__.get(_PARSED)
    if parsed is None:
        try:
            parsed = (parse_json(request.body), None)
        except JSONRefused as exc:
            parsed = (None, exc)
        request.__dict__[_PARSED] = parsed
    value, refusal = parsed
    if refusal is not None:
        raise refusal
    return value


def request_object(request: Any) -> dict[str, Any]:
    """The request's JSON body as an object (an empty body is `{}`); anything else is refused with
    JSONRefused saying why. For endpoints that take JSON or a multipart form with files."""
    if not request.body:
        return {}
    value = request_json(request)
    if not isinstance(value, dict):
        raise JSONRefused("请求体必须是 JSON 对象")
    return value


# --- JSON bodies ---------------------------------------------------------------------------------

# Deeper than any body the API or a form takes; a hostile body nested thousands deep would
# otherwise reach the recursion limit of the parser or of the validation behind it.
MAX_JSON_DEPTH = 32
# What fits a signed 64-bit column (SQLite and PostgreSQL bigint); a larger number is no id,
# count or amount of ours.
MAX_JSON_INT = 2**63 - 1


class JSONRefused(ValueError):
    """A body that is not JSON we accept; `str()` says why in the UI's language."""


def parse_json(text: str | bytes) -> Any:
    """Parse a request's JSON: not JSON, nested too deep, non-finite numbers (NaN, Infinity, 1e999)
    and integers outside 64 bits are refused with JSONRefused."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_bounded)
    except JSONRefused:
        raise
    except RecursionError:
        raise JSONRefused(f"嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）") from None
    except json.JSONDecodeError as exc:
        raise JSONRefused(f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}") from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError, int digits beyond Python's limit
        raise JSONRefused("不是有效的 JSON") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise JSONRefused(f"嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）")
    return value


def _refuse_constant(name: str) -> Any:
    raise JSONRefused(f"不接受 {name}：数字必须是有限值")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JSONRefused(f"数字 {text[:20]} 超出范围")
    return value


def _bounded(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_JSON_INT:
        raise JSONRefused(f"整数 {text[:20]} 超出范围")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest
