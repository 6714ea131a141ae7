from __future__ import annotations

import os

import pytest

from services.common.crypto import PiiCipher, mask_id_number, mask_name, mask_phone

K1, K2 = os.urandom(32), os.urandom(32)


def cipher(active: str = "k1", keys: dict[str, bytes] | None = None) -> PiiCipher:
    return PiiCipher(keys=keys or {"k1": K1}, active_key_id=active, blind_index_key=b"index-key")


def test_pii_cipher__round_trip_and_random_nonce() -> None:
    c = cipher()
    a, b = c.encrypt("410881199001011234", context="user.id_number"), c.encrypt("410881199001011234")
    assert a != b and "410881" not in a
    assert c.decrypt(a, context="user.id_number") == "410881199001011234"


def test_pii_cipher__rotation_keeps_old_rows_readable() -> None:
    old = cipher().encrypt("13812345678", context="user.phone")
    rotated = cipher(active="k2", keys={"k1": K1, "k2": K2})
    assert rotated.decrypt(old, context="user.phone") == "13812345678"
    assert rotated.needs_rotation(old)
    new = rotated.encrypt("13812345678", context="user.phone")
    assert new.startswith("k2:") and not rotated.needs_rotation(new)


def test_pii_cipher__tampering_and_wrong_context_are_refused() -> None:
    c = cipher()
    token = c.encrypt("张三", context="user.name")
    with pytest.raises(ValueError):
        c.decrypt(token, context="user.phone")
    kid, body = token.split(":")
    forged = kid + ":" + body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    with pytest.raises(ValueError):
        c.decrypt(forged, context="user.name")
    with pytest.raises(ValueError, match="unknown PII key"):
        c.decrypt("k9:" + body, context="user.name")


def test_blind_index__stable_normalised_and_purpose_bound() -> None:
    c = cipher()
    assert c.blind_index("41088119900101123x", purpose="id") == c.blind_index(
        " 41088119900101123X", purpose="id"
    )
    assert c.blind_index("x", purpose="id") != c.blind_index("x", purpose="phone")


def test_masks__as_shown_to_users() -> None:
    assert mask_id_number("410881199001011234") == "4108**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_phone(None) is None
