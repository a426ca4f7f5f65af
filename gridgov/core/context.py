"""Who is acting, from where: set once per request (or command) and read by the audit log."""

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ActorContext:
    user_id: int | None = None
    username: str = ""
    ip: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    channel: str = "system"  # page | api | admin | command | system | worker
    # Sequence numbers of the unsuccessful rows (denied, failed) logged in this context, shared by
    # the copies set_user makes: the request middleware logs a failed write only if nothing else did.
    failures: list[int] = field(default_factory=list, compare=False, repr=False)


_current: ContextVar[ActorContext] = ContextVar("gridgov_actor", default=ActorContext())  # noqa: B039  frozen, so immutable


def current_actor() -> ActorContext:
    return _current.get()


@contextlib.contextmanager
def acting_as(
    user: Any = None,
    *,
    channel: str,
    ip: str | None = None,
    request_id: str | None = None,
    username: str | None = None,
) -> Iterator[ActorContext]:
    """Run a block on behalf of `user` (or a named system actor such as a command)."""
    ctx = ActorContext(
        user_id=getattr(user, "pk", None)
        if user is not None and getattr(user, "is_authenticated", False)
        else None,
        username=username if username is not None else (getattr(user, "username", "") or ""),
        ip=ip,
        request_id=request_id or uuid.uuid4().hex,
        channel=channel,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def using_context(ctx: ActorContext) -> Iterator[ActorContext]:
    """Run a block as a context captured earlier (the worker writing a report queued by a request)."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def set_user(user: Any) -> None:
    """Attach the authenticated user to the current context (after auth middleware / token auth)."""
    ctx = _current.get()
    if getattr(user, "is_authenticated", False):
        _current.set(
            ActorContext(
                user_id=user.pk,
                username=user.username,
                ip=ctx.ip,
                request_id=ctx.request_id,
                channel=ctx.channel,
                failures=ctx.failures,
            )
        )
