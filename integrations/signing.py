"""HMAC request signing (app key + secret), the usual scheme of Chinese government platforms.

Signature = hex(HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n sha256(body))).
Used for our calls to departments and to verify their callbacks to us; timestamps older than
`max_skew_s` and nonces seen before are refused, so a captured request cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

__all__ = ["SIGNATURE_HEADERS", "sign_request", "verify_signature"]

SIGNATURE_HEADERS = ("X-App-Key", "X-Timestamp", "X-Nonce", "X-Signature")


def _digest(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = "\n".join([method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_request(*, app_key: str, secret: str, method: str, path: str, body: bytes) -> dict[str, str]:
    """Headers that sign this request."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(12)
    return {
        "X-App-Key": app_key,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": _digest(secret, method, path, timestamp, nonce, body),
    }


def verify_signature(
    *, headers: Mapping[str, str], secret: str, method: str, path: str, body: bytes, max_skew_s: int = 300
) -> bool:
    """True when the headers carry a valid, fresh signature of this request (nonce reuse is the caller's check)."""
    timestamp = headers.get("X-Timestamp") or headers.get("x-timestamp") or ""
    nonce = headers.get("X-Nonce") or headers.get("x-nonce") or ""
    signature = headers.get("X-Signature") or headers.get("x-signature") or ""
    if not (timestamp.isdigit() and nonce and signature):
        return False
    if abs(time.time() - int(timestamp)) > max_skew_s:
        return False
    expected = _digest(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, signature)
