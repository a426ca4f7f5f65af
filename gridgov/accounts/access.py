"""Who a bearer token is, and what roles they hold, without reading both on every API request.

Each process keeps, per token, the token row, its user and the user's principal (role
assignments and organisations, `gridgov.accounts.scope.Principal`), as read by `ApiToken.find`
(live tokens of active users only). Before using them, a request reads the
access generation (`AccessStamp`), which every change to tokens, accounts, role assignments and
the node tree moves in its own transaction (`bump`, wired in `gridgov.accounts.signals` and the
hierarchy's move). A different generation empties the cache, so a revoked token or a withdrawn
role is refused by the next request in every process, as without the cache. Each request gets
its own copies of the token and user rows (requests on other threads never share one); the
principal is immutable and shared.
"""

import copy
import threading
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from gridgov.accounts.models import AccessStamp, ApiToken, User, hash_token
from gridgov.accounts.scope import Principal

MAX_TOKENS = 10_000


@dataclass(frozen=True)
class _Entry:
    token: ApiToken
    user: User
    principal: Principal


class _Cache:
    lock = threading.Lock()
    generation: int | None = None
    tokens: dict[str, _Entry] = {}


def _sql(template: str) -> str:
    return template.format(table=connection.ops.quote_name(AccessStamp._meta.db_table))


def current_generation() -> int | None:
    """The access generation (None if the row is missing, as after a test's flush: no caching)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("SELECT generation FROM {table} WHERE id = 1"))
        row = cursor.fetchone()
    return int(row[0]) if row else None


def bump() -> None:
    """Move the generation: cached tokens and roles in every process are read again. Runs in the
    caller's transaction, so the change and the bump commit (or roll back) together."""
    with connection.cursor() as cursor:
        cursor.execute(_sql("UPDATE {table} SET generation = generation + 1 WHERE id = 1"))


def _copies(entry: _Entry) -> tuple[ApiToken, User]:
    user = copy.copy(entry.user)
    user.principal = entry.principal
    token = copy.copy(entry.token)
    token.user = user
    return token, user


def token_user(raw: str) -> tuple[ApiToken, User] | None:
    """The live token for `raw` and its user (with their principal loaded), or None."""
    digest = hash_token(raw)
    generation = current_generation()
    now = timezone.now()
    if generation is not None:
        with _Cache.lock:
            if generation != _Cache.generation:
                _Cache.tokens, _Cache.generation = {}, generation
            entry = _Cache.tokens.get(digest)
        if entry is not None and entry.token.expires_at > now:
            return _copies(entry)
    found = ApiToken.find(raw)
    if found is None:
        return None
    entry = _Entry(token=found, user=found.user, principal=Principal.load(found.user))
    if generation is not None:
        with _Cache.lock:
            # Kept only if nothing changed since the generation was read before the rows were:
            # a change committed in between has moved it, and the next request reads again.
            if _Cache.generation == generation:
                if len(_Cache.tokens) >= MAX_TOKENS:
                    _Cache.tokens = {}
                _Cache.tokens[digest] = entry
    return _copies(entry)


def forget() -> None:
    """Empty this process's cache (tests)."""
    with _Cache.lock:
        _Cache.tokens, _Cache.generation = {}, None


def cached_tokens() -> int:
    return len(_Cache.tokens)


def is_cached(raw: str) -> bool:
    return hash_token(raw) in _Cache.tokens


__all__ = ["bump", "cached_tokens", "current_generation", "forget", "is_cached", "token_user"]
