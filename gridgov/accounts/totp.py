"""The demo city's second factor, and a one-time code from any TOTP secret.

The demo's privileged users (system administrator, city and county administrators, auditor)
share this public TOTP secret and these recovery codes (seeded by `gridgov.accounts.seed`), so
the demo can be tried without a phone. Never use them on a real server: each real account
enrols its own authenticator.

    python -m gridgov.accounts.totp demo          # the demo secret's current code
    python -m gridgov.accounts.totp JBSWY3DPEHPK3PXP   # any base32 secret's current code
"""

import base64
import binascii
import sys
import time

from django_otp.oath import TOTP

DEMO_TOTP_SECRET = "GRIDGOVDEMOTOTPSECRETHOHHOTCITY2"
DEMO_RECOVERY_CODES = tuple(f"demo-recovery-{n}" for n in range(1, 6))
STEP = 30


def key_of(secret: str) -> bytes:
    """The key of a base32 secret as authenticator apps show it (spaces, lower case, no padding)."""
    cleaned = "".join(secret.split()).upper()
    cleaned += "=" * (-len(cleaned) % 8)
    return base64.b32decode(cleaned)


def code(secret: str = DEMO_TOTP_SECRET, at: float | None = None) -> str:
    """The 6-digit code of `secret` at time `at` (default: now)."""
    totp = TOTP(key_of(secret), step=STEP, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gridgov.accounts.totp demo|BASE32SECRET", file=sys.stderr)
        return 2
    secret = DEMO_TOTP_SECRET if argv[0] == "demo" else argv[0]
    try:
        current = code(secret)
    except (binascii.Error, ValueError):
        print(f"not a base32 secret: {argv[0]!r}", file=sys.stderr)
        return 2
    left = STEP - int(time.time()) % STEP
    print(f"{current}  (valid for {left} more seconds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
