"""Departmental callbacks (gov platform, education bureau, HIS, eldercare): one way to check them.

A callback is accepted only with our app key, a valid HMAC signature over method, path and body
(integrations.signing), a fresh timestamp and a nonce not seen before; its body must be a JSON object.
A handler that fails to apply the event forgets the nonce, so the sender may retry the very same request.
"""

from __future__ import annotations

import json
from typing import Any

from sanic import Request

from integrations.signing import verify_signature
from services.common.cache import forget_nonce, remember_nonce
from services.common.errors import InvalidInput
from services.gov.errors import CallbackSignatureInvalid

__all__ = ["NONCE_TTL_S", "forget_callback_nonce", "verify_callback"]

# How long a callback nonce is remembered: longer than the signature's accepted clock skew (300 s).
NONCE_TTL_S = 900


def _scope(system: str) -> str:
    return f"callback:{system}"


async def verify_callback(request: Request, system: str) -> tuple[dict[str, Any], str]:
    """The callback's JSON event and its nonce, once app key, signature, freshness and nonce check out."""
    rt = request.app.ctx.runtime
    settings = rt.settings
    secret = settings.callback_secrets.get(system)
    secret_value = secret.get_secret_value() if secret else settings.integration_app_secret.get_secret_value()
    if request.headers.get("x-app-key") != settings.integration_app_key or not verify_signature(
        headers=request.headers,
        secret=secret_value,
        method=request.method,
        path=request.path,
        body=request.body,
    ):
        raise CallbackSignatureInvalid()
    # A captured request re-sent as is carries a nonce we have seen: refuse it.
    nonce = request.headers.get("x-nonce", "")[:64]
    if not await remember_nonce(
        redis=rt.redis, keys=rt.keys, scope=_scope(system), nonce=nonce, ttl_s=NONCE_TTL_S
    ):
        raise CallbackSignatureInvalid("integration.callback_replayed")
    try:
        event = json.loads(request.body or b"")
    except ValueError as error:
        raise InvalidInput("request.malformed") from error
    if not isinstance(event, dict):
        raise InvalidInput("request.body_not_object")
    return event, nonce


async def forget_callback_nonce(request: Request, system: str, nonce: str) -> None:
    """The event was not applied: let the sender retry the very same signed request."""
    rt = request.app.ctx.runtime
    await forget_nonce(redis=rt.redis, keys=rt.keys, scope=_scope(system), nonce=nonce)
