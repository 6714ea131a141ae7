"""Production refuses every development default secret, whatever it protects."""

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
    "ops_token": "o" * 40,
    "sandboxes": False,
}


def test_settings__production_with_every_secret_set_starts() -> None:
    assert Settings(**STRONG).profile == "production"


@pytest.mark.parametrize(
    ("name", "default", "env"),
    [
        ("wechat_secret", "dev-wechat-secret", "CITIZEN_WECHAT_SECRET"),
        ("wechat_push_token", "dev-push-token", "CITIZEN_WECHAT_PUSH_TOKEN"),
        ("wechat_appid", "wx0000000000demo", "CITIZEN_WECHAT_APPID"),
    ],
)
def test_settings__production_refuses_default_wechat_secrets(name: str, default: str, env: str) -> None:
    with pytest.raises(ValueError, match=env):
        Settings(**{**STRONG, name: default})


def test_settings__production_refuses_the_default_audit_key() -> None:
    without = {k: v for k, v in STRONG.items() if k not in ("audit_keys", "audit_active_key_id")}
    with pytest.raises(ValueError, match="CITIZEN_AUDIT_KEYS"):
        Settings(**without)


def test_settings__production_refuses_short_wechat_push_token() -> None:
    with pytest.raises(ValueError, match="CITIZEN_WECHAT_PUSH_TOKEN"):
        Settings(**{**STRONG, "wechat_push_token": "short"})


def test_settings__production_refuses_default_callback_secret() -> None:
    with pytest.raises(ValueError, match="CITIZEN_CALLBACK_SECRETS"):
        Settings(**{**STRONG, "callback_secrets": {"gov_platform": "dev-only-callback-secret"}})


def test_settings__development_keeps_its_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.wechat_push_token.get_secret_value() == "dev-push-token"
