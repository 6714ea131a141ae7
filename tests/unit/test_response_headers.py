"""Our header encoding sends exactly the bytes Sanic's would: CR, LF and NUL stripped (no header
injection), non-str values formatted, surrogates escaped, Content-Type added for bodies."""

from __future__ import annotations

from sanic.response import HTTPResponse, empty, json
from sanic.response.types import BaseHTTPResponse

from citizen_api import response_headers


def _response() -> HTTPResponse:
    response = json({"ok": True}, headers={"X-Request-Id": "0123456789abcdef0123456789abcdef"})
    response.headers["Content-Language"] = "zh-CN"
    response.headers["content-length"] = 11  # an int, as Sanic sets it
    response.headers["X-Evil"] = "a\r\nSet-Cookie: session=stolen\x00"
    response.headers["X\r\nInjected"] = "name too"
    response.headers["X-Text"] = "名字\udcff"
    response.headers.add("Vary", "Accept-Language")
    response.headers.add("Vary", "Origin")
    return response


def test_processed_headers__same_bytes_as_sanic() -> None:
    for response in (_response(), empty(status=304, headers={"ETag": '"abc"'}), HTTPResponse(b"x")):
        ours = response_headers.processed_headers(response)
        assert ours == response_headers.sanic_processed_headers(response)
    wire = dict(response_headers.processed_headers(_response()))
    assert wire[b"X-Evil"] == b"aSet-Cookie: session=stolen"  # one header, not two
    assert b"XInjected" in wire and b"content-type" in wire


def test_install__every_response_uses_it() -> None:
    response_headers.install()
    assert BaseHTTPResponse.processed_headers.fget is response_headers.processed_headers
    assert list(_response().processed_headers) == response_headers.sanic_processed_headers(_response())
