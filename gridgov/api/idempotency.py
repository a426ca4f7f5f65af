"""Idempotency keys: one mechanism for every write a phone may retry.

A phone makes a key (a UUID) when it saves a write and sends it as `Idempotency-Key` on every
try. The server keeps the key per person and scope (`events.IdempotencyKey`) with a hash of the
request, claimed in the same transaction as the write:

- event and dispute reports (gridgov.events.intake) keep the event made and replay it;
- the other writes (the registry's) are wrapped with `replayable(scope)`: the view runs in a
  transaction, and a successful answer is kept with the key, so a retry whose answer was lost
  gets that answer again (`Idempotent-Replayed: true`) instead of doing the write twice — or,
  for an edit sent with If-Match, instead of a 412 against its own first try.

The same key with a different request is refused (409). A refused request (4xx) keeps nothing:
the phone may correct it and send it again with the same key.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.request import RawPostDataException
from ninja.responses import Status

from gridgov.core.errors import ConflictError
from gridgov.core.idempotency import body_hash, check_key

F = TypeVar("F", bound=Callable[..., Any])


def _user(request: HttpRequest) -> Any:
    user = request.user
    return user if getattr(user, "is_authenticated", False) else None


def _request_hash(request: HttpRequest) -> str:
    try:
        raw = request.body
    except RawPostDataException:
        # A form body already parsed (multipart): its fields stand for the bytes.
        raw = json.dumps(sorted(request.POST.lists()), ensure_ascii=False).encode()
    return body_hash(
        {
            "method": request.method,
            "path": request.path,
            "if_match": request.headers.get("If-Match", ""),
            "body": hashlib.sha256(raw).hexdigest(),
        }
    )


def _stored(request: HttpRequest, scope: str, key: str, digest: str) -> dict[str, Any] | None:
    from gridgov.events.models import IdempotencyKey

    found = (
        IdempotencyKey.objects.filter(user=_user(request), scope=scope, key=key)
        .values_list("body_hash", "response")
        .first()
    )
    if found is None:
        return None
    stored_hash, response = found
    if stored_hash != digest or response is None:
        raise ConflictError(
            "Idempotency-Key 已用于另一次内容不同的提交；新的修改请使用新的键", idempotency_key=key
        )
    return cast(dict[str, Any], response)


def _replay(stored: dict[str, Any], response: HttpResponse | None) -> Status[Any]:
    if response is not None:
        response["Idempotent-Replayed"] = "true"
        for name, value in stored.get("headers", {}).items():
            response[name] = value
    return Status(int(stored["status"]), stored["value"])


def replayable(scope: str) -> Callable[[F], F]:
    """Make a ninja write view replay its answer for a retried `Idempotency-Key` (see above).

    The view must accept `response: HttpResponse` if it sets headers worth replaying (ETag)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            key = check_key(request.headers.get("Idempotency-Key"))
            if key is None:
                return view(request, *args, **kwargs)
            digest = _request_hash(request)
            response = kwargs.get("response")
            stored = _stored(request, scope, key, digest)
            if stored is not None:
                return _replay(stored, response)
            from gridgov.events.models import IdempotencyKey

            try:
                with transaction.atomic():
                    result = view(request, *args, **kwargs)
                    status, value = (
                        (result.status_code, result.value) if isinstance(result, Status) else (200, result)
                    )
                    if 200 <= status < 300:
                        headers = {
                            h: response[h]
                            for h in ("ETag", "Location")
                            if response is not None and response.has_header(h)
                        }
                        # Claimed last: a concurrent retry that got here first makes this INSERT
                        # fail, the whole write rolls back, and its answer is replayed below.
                        IdempotencyKey.objects.create(
                            key=key,
                            user=_user(request),
                            scope=scope,
                            body_hash=digest,
                            response={
                                "status": status,
                                "value": json.loads(json.dumps(value, cls=DjangoJSONEncoder)),
                                "headers": headers,
                            },
                        )
                    return result
            except IntegrityError:
                stored = _stored(request, scope, key, digest)
                if stored is None:
                    raise
                return _replay(stored, response)

        return cast(F, wrapper)

    return decorate
