"""Response headers encoded for the wire without Sanic's per-character translation (issue 12).

Sanic 25.12 (`BaseHTTPResponse.processed_headers`) runs `str.translate` over every header name and
value of every response to strip CR, LF and NUL (header injection), then encodes them. With the
request id, the language and a cached read's ETag / Cache-Control / Vary that was ~1 µs a header,
10-15% of the CPU of a cached read. This version gives the same bytes: names are encoded once and
remembered (there are a few dozen), and a value is translated only when it holds one of the three
characters (three C-speed `in` tests instead). `install()` swaps it in, once per process.

Per header that was still ~0.3 µs (a function call, the checks, the encoding), so the (name, value)
pairs with a str value are remembered encoded too (bounded: a full table is dropped and refilled),
ints (Content-Length) are formatted with one `%d`, and a cached document's headers are encoded once
and handed over already encoded (`EncodedHeadResponse`, see citizen_api/blueprints/tourism.py).
"""

from __future__ import annotations

from typing import Any

from sanic.compat import Header
from sanic.helpers import has_message_body
from sanic.response import HTTPResponse
from sanic.response.types import HEADER_TRANSLATION_TABLE, BaseHTTPResponse

__all__ = ["EncodedHeadResponse", "WireHeaders", "install", "processed_headers", "wire_value"]

# Headers as they go on the wire: (name, value) bytes, in order.
WireHeaders = tuple[tuple[bytes, bytes], ...]

# Header names seen so far, encoded (bounded: names come from code, not from clients).
_NAMES: dict[str, bytes] = {}
_MAX_NAMES = 1024


def _wire_name(name: str) -> bytes:
    encoded = _NAMES.get(name)
    if encoded is None:
        encoded = name.translate(HEADER_TRANSLATION_TABLE).encode("ascii")
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[name] = encoded
    return encoded


def wire_value(value: Any) -> bytes:
    """A header value as Sanic sends it: str(value) without CR, LF and NUL, surrogate-escaped."""
    if value.__class__ is int:
        return b"%d" % value  # f"{int}" is its decimal digits: nothing to strip, ASCII
    text = value if value.__class__ is str else f"{value}"
    if "\r" in text or "\n" in text or "\x00" in text:
        text = text.translate(HEADER_TRANSLATION_TABLE)
    return text.encode(errors="surrogateescape")


# (name, value) -> the encoded pair, for str values only: a str equals only a str, so no value of
# another type (True == 1, a str-valued enum) can be answered with another value's bytes.
_PAIRS: dict[tuple[str, str], tuple[bytes, bytes]] = {}
_MAX_PAIRS = 4096


def _encoded(item: tuple[str, Any]) -> tuple[bytes, bytes]:
    name, value = item
    if value.__class__ is not str:
        return (_wire_name(name), wire_value(value))
    pair = _PAIRS.get(item)
    if pair is None:
        if len(_PAIRS) >= _MAX_PAIRS:
            _PAIRS.clear()  # values handlers make up per response (a Location, a file name) pass through
        pair = _PAIRS[item] = (_wire_name(name), wire_value(value))
    return pair


class EncodedHeadResponse(HTTPResponse):
    """An HTTPResponse whose first headers come already encoded (`head`), e.g. a cached document's
    ETag / Cache-Control / Vary: sent first, before those in `headers`, exactly as if they had been
    the first entries of `headers` (they are not in `headers`: nothing of ours reads them there)."""

    __slots__ = ("head",)

    def __init__(self, body: bytes, *, status: int, content_type: str | None, head: WireHeaders) -> None:
        # What HTTPResponse.__init__ sets, without building its Header twice (issue 12).
        self.asgi = False
        self.body = body
        self.content_type = content_type
        self.stream = None
        self.status = status
        self.headers = Header()
        self._cookies = None
        self.head = head


def processed_headers(self: BaseHTTPResponse) -> list[tuple[bytes, bytes]]:
    """Drop-in for BaseHTTPResponse.processed_headers (same header tuples, same order).

    When the response belongs to a request whose `ctx.edge` was set (citizen_api/middleware.py),
    the edge adds its own headers (request id, language) and records the request's metrics here,
    as the head is written: no response middleware, no per-header translation of values we built.
    """
    headers = self.headers
    if has_message_body(self.status):
        headers.setdefault("content-type", self.content_type)
    if self.__class__ is EncodedHeadResponse:
        wire = [*self.head, *map(_encoded, headers.items())]  # type: ignore[attr-defined]
    else:
        wire = list(map(_encoded, headers.items()))
    request = getattr(self.stream, "request", None)
    if request is not None:
        edge = getattr(request.ctx, "edge", None)
        if edge is not None:
            edge.head(request, self, wire)
    return wire


_original = BaseHTTPResponse.processed_headers


def install() -> None:
    """Use `processed_headers` for every Sanic response of this process (idempotent)."""
    BaseHTTPResponse.processed_headers = property(processed_headers)  # type: ignore[assignment,method-assign]


def sanic_processed_headers(response: BaseHTTPResponse) -> list[tuple[bytes, bytes]]:
    """What Sanic itself would send (for the test that keeps the two equal)."""
    return list(_original.fget(response))  # type: ignore[attr-defined]
