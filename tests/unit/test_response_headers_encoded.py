"""Pre-encoded and remembered headers send exactly the bytes Sanic's own encoding would: a cached
document's ETag / Cache-Control / Vary handed over encoded, str values remembered by (name, value)
(never answering a value of another type: True == 1), ints formatted as Sanic formats them."""

from __future__ import annotations

import enum

from sanic.response import HTTPResponse, empty, raw

from citizen_api import response_headers
from citizen_api.blueprints.tourism import _head
from citizen_api.response_headers import EncodedHeadResponse

_ETAG = '"c2a956590b65bfc540d6800ba4c2b29e"'
_DOCUMENT_HEADERS = {"ETag": _ETAG, "Cache-Control": "public, max-age=5", "Vary": "Accept-Language"}


def _as_sanic_sends(response: HTTPResponse) -> HTTPResponse:
    # What Sanic's HTTP/1 writer adds to every response before encoding the head.
    response.headers["content-length"] = len(response.body or b"")
    response.headers["connection"] = "keep-alive"
    response.headers["alt-svc"] = ""
    return response


def test_encoded_head__same_bytes_and_order_as_the_headers_given_plainly() -> None:
    body = b'{"id":"x","name":"\xe7\x8e\x8b\xe5\xb1\x8b\xe5\xb1\xb1"}'
    plain = _as_sanic_sends(raw(body, content_type="application/json", headers=dict(_DOCUMENT_HEADERS)))
    ours = _as_sanic_sends(
        EncodedHeadResponse(body, status=200, content_type="application/json", head=_head(_ETAG))
    )
    assert response_headers.processed_headers(ours) == response_headers.sanic_processed_headers(plain)
    assert (ours.status, ours.body, ours.content_type) == (plain.status, plain.body, plain.content_type)


def test_encoded_head__304_same_bytes_as_empty() -> None:
    plain = _as_sanic_sends(empty(status=304, headers=dict(_DOCUMENT_HEADERS)))
    plain.headers.pop("content-length")  # Sanic sends no length for a 304
    ours = _as_sanic_sends(EncodedHeadResponse(b"", status=304, content_type=None, head=_head(_ETAG)))
    ours.headers.pop("content-length")
    assert response_headers.processed_headers(ours) == response_headers.sanic_processed_headers(plain)


class _Flag(enum.Enum):
    ON = "on"


def test_remembered_pairs__a_value_of_another_type_is_encoded_as_itself() -> None:
    for _ in range(2):  # the second round reads what the first remembered
        response = HTTPResponse(b"x")
        response.headers["X-Count"] = "1"
        response.headers["X-Flag"] = True
        response.headers["X-One"] = 1
        response.headers["X-Float"] = 1.0
        response.headers["X-Enum"] = _Flag.ON
        response.headers["X-Big"] = 10**30
        response.headers["X-Evil"] = "a\r\nSet-Cookie: x\x00"
        assert response_headers.processed_headers(response) == response_headers.sanic_processed_headers(
            response
        )
    wire = dict(response_headers.processed_headers(response))
    assert (wire[b"X-Flag"], wire[b"X-One"], wire[b"X-Float"]) == (b"True", b"1", b"1.0")


def test_remembered_pairs__bounded() -> None:
    for n in range(response_headers._MAX_PAIRS + 10):
        response = HTTPResponse(b"x", headers={"Location": f"/files/{n}"})
        assert dict(response_headers.processed_headers(response))[b"Location"] == f"/files/{n}".encode()
    assert len(response_headers._PAIRS) <= response_headers._MAX_PAIRS
