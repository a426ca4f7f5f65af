"""A worker file's ID number and phone: sealed at rest, shown masked, opened only here."""

from typing import Any

from gridgov.core.crypto import decrypt, encrypt
from gridgov.registry.masking import mask_id_number, mask_phone

ID_NUMBER_CONTEXT = "worker.id_number"
PHONE_CONTEXT = "worker.phone"


def seal(value: str, context: str) -> bytes | None:
    return encrypt(value, context) if value else None


def masked_id_number(worker: Any) -> str:
    return mask_id_number(decrypt(worker.id_number_enc, ID_NUMBER_CONTEXT))


def masked_phone(worker: Any) -> str:
    return mask_phone(decrypt(worker.phone_enc, PHONE_CONTEXT))
