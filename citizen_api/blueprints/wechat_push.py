"""WeChat message push (消息推送): the URL verification handshake and event delivery, signature-checked.

WeChat signs every request with sha1(sorted([token, timestamp, nonce])) in `signature`, the token
being CITIZEN_WECHAT_PUSH_TOKEN. Anything unsigned or wrongly signed is a 403, and so is a correctly
signed request whose timestamp is more than CITIZEN_WECHAT_PUSH_MAX_AGE_S away from now (a captured
request replayed later). CITIZEN_WECHAT_PUSH_MODE follows the console's 消息加密方式: in `safe` mode
every event must come AES-encrypted with a valid `msg_signature` (integrations.wechat.push); in
`compatible` mode an encrypted event is decrypted and a plaintext one accepted; `plaintext` takes
events as sent.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import xmltodict
from sanic import Blueprint, Request
from sanic.response import text
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from citizen_api.endpoint import endpoint
from integrations.wechat.push import PushDecryptError, decrypt_push
from services.common.errors import InvalidInput, PermissionDenied
from services.notifications import service as notifications

__all__ = ["create_blueprint"]

log = logging.getLogger(__name__)


def _verify(request: Request) -> None:
    settings = request.app.ctx.runtime.settings
    token = settings.wechat_push_token.get_secret_value()
    signature = request.args.get("signature") or ""
    timestamp = request.args.get("timestamp") or ""
    nonce = request.args.get("nonce") or ""
    if not (signature and timestamp and nonce):
        raise PermissionDenied("wechat.push_signature_invalid")
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException as error:
        raise PermissionDenied("wechat.push_signature_invalid") from error
    # The signature covers the timestamp, so a fresh one cannot be forged onto an old request.
    try:
        age_s = abs(time.time() - int(timestamp))
    except ValueError as error:
        raise PermissionDenied("wechat.push_signature_invalid") from error
    if age_s > settings.wechat_push_max_age_s:
        raise PermissionDenied("wechat.push_signature_expired")


def _parse_event(request: Request) -> dict[str, Any]:
    event = _parse_body(request)
    settings = request.app.ctx.runtime.settings
    encrypted = request.args.get("encrypt_type") == "aes" or "Encrypt" in event
    if settings.wechat_push_mode == "safe" and not encrypted:
        raise PermissionDenied("wechat.push_encryption_required")
    if not encrypted or settings.wechat_push_mode == "plaintext":
        return event
    try:
        return decrypt_push(
            envelope=event,
            msg_signature=request.args.get("msg_signature") or "",
            timestamp=request.args.get("timestamp") or "",
            nonce=request.args.get("nonce") or "",
            token=settings.wechat_push_token.get_secret_value(),
            aes_key=settings.wechat_push_aes_key.get_secret_value(),
            appid=settings.wechat_appid,
        )
    except PushDecryptError as error:
        raise PermissionDenied("wechat.push_signature_invalid") from error


def _parse_body(request: Request) -> dict[str, Any]:
    raw = request.body or b""
    content_type = request.headers.get("content-type", "")
    try:
        if "json" in content_type or raw.lstrip().startswith(b"{"):
            event = json.loads(raw)
        else:
            # xmltodict refuses entity declarations by default, so no entity-expansion bombs.
            event = xmltodict.parse(raw).get("xml")
    except (ValueError, TypeError, AttributeError, RecursionError, xmltodict.expat.ExpatError) as error:
        # RecursionError: JSON nested about a thousand deep exhausts the decoder's recursion limit.
        raise InvalidInput("request.malformed") from error
    if not isinstance(event, dict):
        raise InvalidInput("request.malformed")
    return event


@endpoint(summary="WeChat message-push URL verification (echostr)", tag="wechat")
async def verify(request: Request):
    _verify(request)
    return text(request.args.get("echostr") or "")


@endpoint(summary="WeChat message-push events (JSON or XML)", tag="wechat")
async def receive(request: Request):
    _verify(request)
    event = _parse_event(request)
    # Log the event type only: the sender's openid is an identifier of a person.
    log.info("wechat push event", extra={"msg_type": event.get("MsgType"), "event": event.get("Event")})
    await notifications.apply_push_event(event)
    # WeChat retries an event until it reads "success"; applying one twice changes nothing.
    return text("success")


# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("GET", "/wechat/push", verify),
    ("POST", "/wechat/push", receive),
)


def create_blueprint() -> Blueprint:
    bp = Blueprint("wechat_push")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
