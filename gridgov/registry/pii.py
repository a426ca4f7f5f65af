"""How ID numbers and phones are sealed at rest and opened again: the one place that knows the
encryption contexts and blind-index kinds, so services, imports, seeding and search agree.

- ID numbers: the 18-character value (upper-case X) is encrypted with context "resident.id_number";
  `id_number_hash` = blind_index("id_number", value).
- Phones: the display form (13812345678 or 0471-6123456) is encrypted with context
  "resident.phone" / "household.phone"; `phone_hash` = blind_index("phone", digits) where digits
  is 13812345678 or 04716123456 (see `validation.Phone.digits`).
"""

from typing import Any

from gridgov.core.crypto import blind_index, decrypt, encrypt
from gridgov.registry.validation import Phone

ID_NUMBER_CONTEXT = "resident.id_number"
RESIDENT_PHONE_CONTEXT = "resident.phone"
HOUSEHOLD_PHONE_CONTEXT = "household.phone"
ID_NUMBER_KIND = "id_number"
PHONE_KIND = "phone"


def id_number_hash(value: str) -> str:
    return blind_index(ID_NUMBER_KIND, value)


def phone_hash(digits: str) -> str:
    return blind_index(PHONE_KIND, digits)


def seal_id_number(value: str) -> tuple[bytes, str]:
    """(ciphertext, blind index) of a validated 18-character ID number."""
    return encrypt(value, ID_NUMBER_CONTEXT), id_number_hash(value)


def seal_phone(phone: Phone | None, context: str = RESIDENT_PHONE_CONTEXT) -> tuple[bytes | None, str]:
    if phone is None:
        return None, ""
    return encrypt(phone.display, context), phone_hash(phone.digits)


def id_number_of(resident: Any) -> str:
    """The clear ID number. Callers that show it must go through selectors (masking, audit)."""
    return decrypt(resident.id_number_enc, ID_NUMBER_CONTEXT)


def resident_phone_of(resident: Any) -> str:
    return decrypt(resident.phone_enc, RESIDENT_PHONE_CONTEXT)


def household_phone_of(household: Any) -> str:
    return decrypt(household.phone_enc, HOUSEHOLD_PHONE_CONTEXT)
