"""Idempotency keys, the part every layer needs: checking a key and hashing a request body.

The HTTP side (replaying a kept answer) is `gridgov.api.idempotency.replayable`.
"""

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError

MAX_KEY_LENGTH = 100


def check_key(raw: str | None) -> str | None:
    """The key as sent (stripped), None if absent; a 400 naming the field if too long."""
    key = (raw or "").strip() or None
    if key is not None and len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"idempotency_key": f"Idempotency-Key 最长 {MAX_KEY_LENGTH} 个字符"})
    return key


def body_hash(body: Any) -> str:
    """What identifies a request's content: raw bytes or text as sent, anything else as sorted JSON."""
    if isinstance(body, bytes | bytearray):
        raw = bytes(body)
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(raw).hexdigest()
