"""WeChat message push in safe and compatible mode (消息加解密), with wechatpy's crypto.

In safe mode WeChat sends `encrypt_type=aes&msg_signature=...` and a body whose `Encrypt` field is
AES-256-CBC ciphertext (key = base64(EncodingAESKey + "=")); `msg_signature` is
sha1(sorted([token, timestamp, nonce, Encrypt])). The plaintext names the mini-program's appid,
which must be ours. Compatible mode sends the plaintext fields beside `Encrypt`; we always decrypt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

__all__ = ["PushDecryptError", "decrypt_push"]


class PushDecryptError(Exception):
    """The encrypted push is not signed by our token, not for our appid, or not decryptable."""


def decrypt_push(
    *,
    envelope: Mapping[str, Any],
    msg_signature: str,
    timestamp: str,
    nonce: str,
    token: str,
    aes_key: str,
    appid: str,
) -> dict[str, Any]:
    """The decrypted event of one safe-mode push (XML or JSON inside, as the console is set)."""
    encrypted = envelope.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise PushDecryptError("no Encrypt field")
    try:
        plaintext = WeChatCrypto(token, aes_key, appid).decrypt_message(
            {"Encrypt": encrypted}, msg_signature, timestamp, nonce
        )
    except (InvalidSignatureException, InvalidAppIdException) as error:
        raise PushDecryptError(type(error).__name__) from error
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise PushDecryptError("undecryptable") from error
    text = plaintext.decode() if isinstance(plaintext, bytes) else str(plaintext)
    try:
        event = json.loads(text) if text.lstrip().startswith("{") else xmltodict.parse(text).get("xml")
    except (ValueError, xmltodict.expat.ExpatError) as error:
        raise PushDecryptError("bad plaintext") from error
    if not isinstance(event, dict):
        raise PushDecryptError("bad plaintext")
    return event
