"""Rate limits for Open311: fixed one-minute windows counted in Django's cache.

- every request, per client IP (settings.OPEN311_RATE_LIMIT_PER_IP, default 600 a minute);
- POST requests, per `api_key` (settings.OPEN311_RATE_LIMIT_POST_PER_KEY, default 60 a minute).

0 turns a limit off. Over a limit the request is answered 429 with a Retry-After header (the
seconds left in the window) before anything else happens. The first refusal of each window is
written to the audit log; the rest of a burst is not (a flood must not flood the log).

The counters live in the "default" cache. The default LocMemCache is per process, so under
gunicorn each worker counts on its own (the effective limit is the worker count times the
setting); configure a shared cache (Redis, Memcached, database) for exact limits. The IP is
`gridgov.core.middleware.client_ip`, the same one the audit log records.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from gridgov.audit.models import Action
from gridgov.audit.services import record
from gridgov.core.middleware import client_ip

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Exceeded:
    description: str
    retry_after: int


def _count(bucket: str, now: float) -> tuple[int, int]:
    """Count one request in `bucket`'s current window: (requests so far, seconds left)."""
    window = int(now // WINDOW_SECONDS)
    left = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
    key = f"gridgov:open311:rate:{bucket}:{window}"
    cache.add(key, 0, timeout=left + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=left + 1)
        count = 1
    return count, left


def _check(bucket: str, limit: int, what: str, request: HttpRequest, now: float) -> Exceeded | None:
    if limit <= 0:
        return None
    count, left = _count(bucket, now)
    if count <= limit:
        return None
    if count == limit + 1:
        record(
            Action.DENIED,
            object_type="open311.ratelimit",
            object_repr=f"{request.method} {request.path}",
            success=False,
            message=f"Open311 rate limit: more than {limit} {what} a minute",
        )
    return Exceeded(f"rate limit exceeded: at most {limit} {what} a minute; retry after {left} seconds", left)


def check(request: HttpRequest, api_key: str = "") -> Exceeded | None:
    """Count this request against its limits; what was exceeded, if anything."""
    now = time.time()
    ip = client_ip(request) or "unknown"
    exceeded = _check(f"ip:{ip}", settings.OPEN311_RATE_LIMIT_PER_IP, "requests per client IP", request, now)
    if exceeded is None and request.method == "POST" and api_key:
        digest = hashlib.sha256(api_key.encode()).hexdigest()[:32]
        exceeded = _check(
            f"key:{digest}",
            settings.OPEN311_RATE_LIMIT_POST_PER_KEY,
            "POST requests per api_key",
            request,
            now,
        )
    return exceeded
