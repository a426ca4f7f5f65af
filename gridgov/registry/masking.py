"""How ID numbers and phones are shown to roles that may not see them in full."""

import re


def mask_id_number(value: str) -> str:
    """150105199001011234 → 150105********1234 (area code and last four kept)."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; landlines keep their area code and last four."""
    if not value:
        return ""
    area, dash, subscriber = value.partition("-")
    if dash and area.startswith("0") and len(subscriber) > 4:
        return f"{area}-{'*' * (len(subscriber) - 4)}{subscriber[-4:]}"
    digits = value.replace("-", "").replace(" ", "")
    if len(digits) <= 7:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


# ID numbers (18 characters, the last may be X) and mainland mobile numbers inside free text.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(value: str) -> str:
    """Free text (a description, a note) with any ID number or mobile number in it masked."""
    if not value:
        return ""
    value = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), value)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), value)
