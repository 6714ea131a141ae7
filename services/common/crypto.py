"""Personal data at rest: AES-GCM with a key id (rotation), HMAC blind indexes, masking for display."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["PiiCipher", "mask_id_number", "mask_name", "mask_phone"]


class PiiCipher:
    """Encrypts personal data as ``<key id>:<base64(nonce || ciphertext)>``.

    New values use the active key; values written under an older key stay readable while
    that key id is still configured, so keys rotate without a stop-the-world re-encryption.
    """

    def __init__(self, *, keys: dict[str, bytes], active_key_id: str, blind_index_key: bytes):
        if active_key_id not in keys:
            raise ValueError("active key id is not among the keys")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self._active = active_key_id
        self._index_key = blind_index_key

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """Ciphertext of `plaintext`; `context` (e.g. the column name) is bound as associated data."""
        nonce = os.urandom(12)
        sealed = self._keys[self._active].encrypt(nonce, plaintext.encode(), context.encode() or None)
        return f"{self._active}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        kid, _, body = token.partition(":")
        aead = self._keys.get(kid)
        if aead is None:
            raise ValueError(f"unknown PII key id {kid!r}")
        raw = base64.b64decode(body)
        try:
            return aead.decrypt(raw[:12], raw[12:], context.encode() or None).decode()
        except InvalidTag as error:
            raise ValueError("PII ciphertext failed authentication") from error

    def key_id(self, token: str) -> str:
        return token.partition(":")[0]

    def needs_rotation(self, token: str) -> bool:
        return self.key_id(token) != self._active

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed hash for equality lookups and uniqueness without storing the value."""
        normalized = value.strip().upper()
        return hmac.new(self._index_key, f"{purpose}:{normalized}".encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str | None) -> str | None:
    """'410881199001011234' -> '4108**********1234'."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """'13812345678' -> '138****5678'."""
    if not value:
        return value
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """'张三丰' -> '张**'; 'Li Lei' -> 'L*****'."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
