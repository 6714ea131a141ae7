"""How every departmental simulator calls the citizen API back: one signed POST, retried like the real systems."""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any
from urllib.parse import urlsplit

import httpx

from integrations.sandbox.faults import SandboxOptions
from integrations.signing import sign_request

__all__ = ["post_signed_callback"]


async def post_signed_callback(options: SandboxOptions, event: dict[str, Any]) -> int:
    """POST `event` to `options.callback_url`, HMAC-signed; the HTTP status (0 = unreachable or not set).

    A few quick retries on a network error or a 5xx, each signed afresh (a new nonce), as the
    provincial platforms do.
    """
    if not options.callback_url:
        return 0
    raw = jsonlib.dumps(event, ensure_ascii=False).encode()
    path = urlsplit(options.callback_url).path
    async with httpx.AsyncClient(timeout=10) as http:
        for attempt in range(3):
            headers = sign_request(
                app_key=options.app_key, secret=options.app_secret, method="POST", path=path, body=raw
            )
            headers["Content-Type"] = "application/json"
            try:
                response = await http.post(options.callback_url, content=raw, headers=headers)
            except httpx.HTTPError:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            if response.status_code < 500:
                return response.status_code
            await asyncio.sleep(0.2 * (attempt + 1))
    return 0
