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


def decoded_json(body: bytes) -> Any:
    """The body as JSON, or None when it is not (the parser behind it answers that with a 400)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
