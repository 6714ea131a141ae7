from __future__ import annotations

import base64
import os

import pytest

from citizen_api.settings import Settings

STRONG = {
    "profile": "production",
    "database_url": "postgres://app@db/citizen",
    "redis_url": "redis://cache:6379/0",
    "secret_key": "s" * 40,
    "pii_keys": {"k2": base64.b64encode(os.urandom(32)).decode()},
    "pii_active_key_id": "k2",
    "blind_index_key": "b" * 40,
    "integration_app_secret": "i" * 40,
    "wechat_appid": "wx1234567890abcdef",
    "wechat_secret": "w" * 32,
    "wechat_push_token": "p" * 32,
    "audit_keys": {"a2": "a" * 40},
    "audit_active_key_id": "a2",
    "sandboxes": False,
}


def test_settings__embedded_defaults_work_without_environment() -> None:
    settings = Settings(_env_file=None)
    assert settings.profile == "embedded" and settings.database_url.startswith("sqlite")
    assert settings.redis_url is None


def test_settings__production_refuses_default_secrets_and_sandboxes() -> None:
    with pytest.raises(ValueError) as error:
        Settings(profile="production", database_url="postgres://x/y", redis_url="redis://r")
    text = str(error.value)
    for name in ("CITIZEN_SECRET_KEY", "CITIZEN_PII_KEYS", "CITIZEN_BLIND_INDEX_KEY", "sandbox"):
        assert name in text


def test_settings__production_needs_postgres_and_redis() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        Settings(**{**STRONG, "database_url": "sqlite://x.db"})
    with pytest.raises(ValueError, match="REDIS_URL"):
        Settings(**{**STRONG, "redis_url": None})


def test_settings__production_accepts_real_configuration() -> None:
    settings = Settings(**STRONG)
    assert settings.profile == "production"


def test_settings__from_environment_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITIZEN_PORT", "9123")
    monkeypatch.setenv("CITIZEN_REDIS_URL", "redis://example:6379/1")
    settings = Settings()
    assert settings.port == 9123 and settings.redis_url == "redis://example:6379/1"


def test_settings__pii_keys_must_be_32_bytes_and_active_key_listed() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(pii_keys={"k1": base64.b64encode(b"short").decode()})
    with pytest.raises(ValueError, match="not in CITIZEN_PII_KEYS"):
        Settings(pii_active_key_id="nope")
