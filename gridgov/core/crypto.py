"""Encryption at rest for ID numbers and phones, and blind indexes for finding them.

One master key (GRIDGOV_DATA_KEY, base64, 32 bytes, from the environment) derives the other
keys with HKDF: one for AES-256-GCM, one for HMAC-SHA256 blind indexes, and the audit log's
(`derived_key`: the chain MAC and the checkpoint signatures). The database holds only
ciphertext and keyed hashes, never the clear values or a key.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_NONCE = 12


def _master(master_b64: str) -> bytes:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise ImproperlyConfigured("GRIDGOV_DATA_KEY is not valid base64") from None
    if len(master) != 32:
        raise ImproperlyConfigured(f"GRIDGOV_DATA_KEY must decode to 32 bytes, got {len(master)}")
    return master


@lru_cache(maxsize=16)
def _derive(master_b64: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(_master(master_b64))


def _keys(master_b64: str) -> tuple[bytes, bytes]:
    return _derive(master_b64, b"gridgov field encryption v1"), _derive(master_b64, b"gridgov blind index v1")


def derived_key(purpose: bytes) -> bytes:
    """A 32-byte key for one purpose (e.g. b"gridgov audit chain v1"), derived from GRIDGOV_DATA_KEY."""
    return _derive(settings.GRIDGOV_DATA_KEY, purpose)


def _enc_key() -> bytes:
    return _keys(settings.GRIDGOV_DATA_KEY)[0]


def _index_key() -> bytes:
    return _keys(settings.GRIDGOV_DATA_KEY)[1]


def encrypt(plain: str, context: str) -> bytes:
    """AES-256-GCM; `context` (e.g. "resident.id_number") is bound as associated data."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_enc_key()).encrypt(nonce, plain.encode("utf-8"), context.encode())


def decrypt(blob: bytes | memoryview | None, context: str) -> str:
    if not blob:
        return ""
    data = bytes(blob)
    return AESGCM(_enc_key()).decrypt(data[:_NONCE], data[_NONCE:], context.encode()).decode("utf-8")


def blind_index(kind: str, value: str) -> str:
    """Keyed hash for equality lookups (`kind` separates ID numbers, phones, tails, …)."""
    mac = hmac.new(_index_key(), f"{kind}:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]
