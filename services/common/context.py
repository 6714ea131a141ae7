"""Who and what the current unit of work is about: the request id and the acting user.

Set by the HTTP middleware (and refined once a request is authenticated) or by the worker for an
outbox delivery; read by logging, by the outbox (a row remembers the request that created it) and
by the adapters (X-Request-Id, X-Acting-User, X-Case-Id reach the departments).
"""

from __future__ import annotations

import contextvars
from typing import NamedTuple

__all__ = ["RequestContext", "current", "request_context"]


class RequestContext(NamedTuple):
    """Immutable (a tuple: built in a fraction of a frozen dataclass's time, issue 12)."""

    request_id: str | None = None
    acting_user: str | None = None


# RequestContext is immutable, so sharing the default instance is safe.
request_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "request_context",
    default=RequestContext(),  # noqa: B039
)


def current() -> RequestContext:
    return request_context.get()
