"""How ID numbers and phones are shown to roles that may not see them in full."""


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
