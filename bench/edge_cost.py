"""What the API's per-request edge costs, piece by piece, in one process (no server, no load generator).

    python bench/edge_cost.py [--number 200000]

The read targets of issue 12 (`/health` >= 0.9 of bare Sanic, the cached detail >= 0.8) leave a few
microseconds per request over a ~35-45 µs floor on this machine, and wrk's rounds scatter by more than
that (tourism_bench.py's ranges). This measures the edge the API adds to every request without that
noise: the real app's request middleware (`_begin`: request id, language, the three context variables,
the NUL and operator-page checks) and the response head (`processed_headers` with `_Edge.head`: the
X-Request-Id and Content-Language headers and the route's metrics), on real Sanic Request and response
objects, with Sanic's own request construction beside it for scale (the floor pays that too).
Best of 5 repeats, µs per call. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from collections.abc import Callable

os.environ.setdefault("CITIZEN_PROFILE", "embedded")
os.environ.setdefault("CITIZEN_DATABASE_URL", "sqlite://:memory:")  # create_app opens nothing

from sanic.compat import Header
from sanic.request import Request

from citizen_api import middleware, response_headers
from citizen_api.app import create_app
from citizen_api.blueprints.platform import _HEALTH_BODY
from citizen_api.response_headers import EncodedHeadResponse
from services.common.context import RequestContext, request_context

# What wrk's get.lua sends.
_HEADERS = [("host", "127.0.0.1:8000"), ("user-agent", "wrk"), ("accept", "*/*")]


class _Transport:
    def get_extra_info(self, *_args: object, **_kwargs: object) -> None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--number", type=int, default=200_000, help="calls per repeat")
    number = parser.parse_args().number
    app = create_app()
    begin = app.request_middleware[0].func
    if begin.__name__ != "_begin":  # the app's one request middleware (citizen_api/middleware.py)
        raise SystemExit(f"expected the API's _begin middleware first, found {begin.__name__}")

    def request() -> Request:
        return Request(
            url_bytes=b"/health",
            headers=Header(_HEADERS),
            version="1.1",
            method="GET",
            transport=_Transport(),
            app=app,
            head=b"",
        )

    def measure(label: str, call: Callable[[], object]) -> float:
        best = min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6
        print(f"{label:58s} {best:6.3f} µs")
        return best

    print(f"edge cost per request, best of 5 × {number} calls (Python {sys.version.split()[0]})")
    # A request as the middleware meets it: just built (the same objects, hot in the cache).
    built = measure("Sanic: Request() as http1 builds it (the floor pays this)", request)
    both = measure("Request() then _begin(request)", lambda: begin(request()))
    request_side = both - built
    print(f"{'  -> _begin: the request middleware':58s} {request_side:6.3f} µs")

    served = request()
    begin(served)
    served.route = None

    class _Stream:
        request = served

    def response(stream: object) -> EncodedHeadResponse:
        answer = EncodedHeadResponse(_HEALTH_BODY, status=200, content_type="application/json", head=())
        answer.stream = stream
        return answer

    plain = measure(
        "  response head without the edge", lambda: response_headers.processed_headers(response(None))
    )
    with_edge = measure(
        "  response head with the edge (ids, language, metrics)",
        lambda: response_headers.processed_headers(response(_Stream)),
    )
    response_side = with_edge - plain
    print(f"{'  -> the edge on the response side':58s} {response_side:6.3f} µs")

    print("pieces of _begin:")
    headers = served.headers
    measure(
        "  two header reads (X-Request-Id, Accept-Language)",
        lambda: (headers.get("x-request-id"), headers.get("accept-language")),
    )
    measure("  a request id", middleware.new_request_id)
    measure("  the locale from Accept-Language", lambda: middleware._header_locale(None))
    measure(
        "  one context variable set (of three)",
        lambda: request_context.set(tuple.__new__(RequestContext, ("x", None))),
    )
    measure("  the clock", time.perf_counter)
    print(f"{'edge in all (request middleware + response side)':58s} {request_side + response_side:6.3f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
