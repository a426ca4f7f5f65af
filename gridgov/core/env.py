"""Settings from environment variables that fail loudly on bad values.

A typo in production configuration must stop the process at start-up with a
message naming the variable, never fall back silently to a default.
"""

import base64
import os
import re
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or (default is None and not value.strip()):
        if default is None:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set (or empty).")
        return default
    return value


def env_base64_key(name: str, length: int = 32) -> str:
    """A required random key given as base64 (e.g. `openssl rand -base64 32`)."""
    value = env_str(name).strip()
    try:
        decoded = base64.b64decode(value, validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name} is not valid base64.") from None
    if len(decoded) != length:
        raise ImproperlyConfigured(
            f"Environment variable {name} must decode to {length} bytes, got {len(decoded)}."
        )
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not a boolean; use 1/0, true/false, yes/no."
    )


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not an integer.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_syslog_address(name: str) -> str | tuple[str, int] | None:
    """A syslog destination: a local socket path (`/dev/log`), `host` or `host:port` (UDP, 514)."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return None
    if raw.startswith("/"):
        return raw
    host, _, port = raw.rpartition(":") if ":" in raw and not raw.endswith("]") else (raw, "", "514")
    host = host.strip("[]")
    if not host or not re.fullmatch(r"[A-Za-z0-9.:-]+", host):
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a syslog address (/dev/log, host or host:port)."
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} has no valid port (1-65535).")
    return (host, int(port))


SUPPORTED_ENGINES = {"django.db.backends.sqlite3", "django.db.backends.postgresql"}
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EXAMPLES = "expected e.g. postgres://user@127.0.0.1:5432/gridgov or sqlite:////absolute/path/gridgov.sqlite3"


def _redact(url: str) -> str:
    """Hide a password in a database URL before it goes into an error message or a log."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def env_database(name: str, default_url: str) -> dict[str, Any]:
    """Parse DATABASE_URL; only SQLite and PostgreSQL are supported."""
    url = (os.environ.get(name) or default_url).strip()
    raw = _redact(url)
    if not _URL_SCHEME.match(url):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a valid database URL: it has no scheme://; {_EXAMPLES}"
        )
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises several types for junk input
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a valid database URL ({exc}); {_EXAMPLES}"
        ) from None
    engine = config.get("ENGINE")
    if engine not in SUPPORTED_ENGINES:
        raise ImproperlyConfigured(
            f"{name}={raw!r}: unsupported database engine {engine!r}; use sqlite:/// or postgres://"
        )
    if engine == "django.db.backends.postgresql" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={raw!r}: the PostgreSQL URL names no database.")
    # dj_database_url turns "sqlite://" into an in-memory database, which would silently lose
    # every write of a web server: demand a file.
    if engine == "django.db.backends.sqlite3" and config.get("NAME") in {None, "", ":memory:"}:
        raise ImproperlyConfigured(f"{name}={raw!r}: the SQLite URL names no database file; {_EXAMPLES}")
    return config
