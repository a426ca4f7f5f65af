"""Building codes (楼栋二维码): what a building's QR code holds and the short code printed under
it for typing when the camera cannot read it.

The QR holds `GGB1:<building code>:<check>`, the check a keyed hash (the project's secret), so a
code cannot be made up for a building; the printed short code is the check alone, six letters
and digits read without ambiguity (no 0/O, 1/I), looked up among the patrol's own buildings.
"""

import base64
import re

from django.utils.crypto import constant_time_compare, salted_hmac

PREFIX = "GGB1"
SHORT_LENGTH = 6
_ALPHABET = str.maketrans("0O1I", "89KZ")  # base32 has no 0/1; keep O/I out too
_FULL = re.compile(rf"^{PREFIX}:(?P<code>\d{{1,18}}):(?P<check>[A-Z2-9]{{{SHORT_LENGTH}}})$")


def short_code(building_code: str) -> str:
    digest = salted_hmac("gridgov.patrols.building-code", building_code, algorithm="sha256").digest()
    return base64.b32encode(digest).decode()[:SHORT_LENGTH].translate(_ALPHABET)


def qr_payload(building_code: str) -> str:
    return f"{PREFIX}:{building_code}:{short_code(building_code)}"


def display_short(building_code: str) -> str:
    code = short_code(building_code)
    return f"{code[:3]}-{code[3:]}"


def normalize(text: str) -> str:
    return re.sub(r"[\s\-]", "", (text or "").strip().upper())


def parse(text: str) -> tuple[str | None, str | None]:
    """(building code, None) for a genuine QR payload, (None, short code) for a typed one,
    (None, None) for anything else."""
    raw = (text or "").strip()
    match = _FULL.match(raw.upper())
    if match:
        code, check = match.group("code"), match.group("check")
        return (code, None) if constant_time_compare(check, short_code(code)) else (None, None)
    typed = normalize(raw)
    if re.fullmatch(rf"[A-Z2-9]{{{SHORT_LENGTH}}}", typed):
        return None, typed
    return None, None
