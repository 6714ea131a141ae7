"""client_ip: the peer address, or the proxy's word for it only when Sanic's proxy settings say so."""

from __future__ import annotations

import uuid

from sanic import Request, Sanic
from sanic.compat import Header

from citizen_api.endpoint import client_ip


class _Transport:
    def get_extra_info(self, key: str, default=None):
        return {"peername": ("10.0.0.9", 40000), "sockname": ("10.0.0.1", 8000)}.get(key, default)

    def get_protocol(self):
        return None

    def is_closing(self) -> bool:
        return False


def _request(app: Sanic, **headers: str) -> Request:
    request = Request(b"/health", Header(headers), "1.1", "GET", _Transport(), app)
    request.conn_info = _ConnInfo()
    return request


class _ConnInfo:
    client_ip = "10.0.0.9"
    client = "10.0.0.9"
    client_port = 40000


def test_client_ip__forwarding_headers_ignored_without_proxy_settings() -> None:
    app = Sanic(f"ip_{uuid.uuid4().hex[:8]}")
    assert (
        client_ip(_request(app, **{"x-forwarded-for": "203.0.113.7", "x-real-ip": "203.0.113.8"}))
        == "10.0.0.9"
    )


def test_client_ip__proxy_settings_trust_the_forwarded_address() -> None:
    app = Sanic(f"ip_{uuid.uuid4().hex[:8]}")
    app.config.PROXIES_COUNT = 1
    assert client_ip(_request(app, **{"x-forwarded-for": "203.0.113.7"})) == "203.0.113.7"
    real = Sanic(f"ip_{uuid.uuid4().hex[:8]}")
    real.config.REAL_IP_HEADER = "x-real-ip"
    assert client_ip(_request(real, **{"x-real-ip": "203.0.113.8"})) == "203.0.113.8"
    assert client_ip(_request(real)) == "10.0.0.9"  # header absent: the peer
