"""Typed settings: one class, read from the environment with the prefix CITIZEN_."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEV_SECRET", "Settings"]

# Development defaults. Production refuses to start while any of these is still in use.
DEV_SECRET = "dev-only-secret-change-me-0000000000000000"
DEV_PII_KEY = base64.b64encode(b"dev-only-pii-key-32-bytes-000000").decode()
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key"
DEV_CALLBACK_SECRET = "dev-only-callback-secret"

Profile = Literal["embedded", "test", "production"]


class Settings(BaseSettings):
    """Every setting of the service; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="CITIZEN_", env_nested_delimiter="__", extra="ignore")

    profile: Profile = "embedded"
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str | None = None

    database_url: str = "sqlite://var/citizen.sqlite3"
    db_pool_max: int = 10
    # None means the in-process fakeredis of the embedded profile.
    redis_url: str | None = None
    redis_prefix: str = "citizen:"

    secret_key: SecretStr = SecretStr(DEV_SECRET)
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600

    # PII encryption: key id -> base64 of 32 random bytes. New rows use pii_active_key_id;
    # old rows stay readable while their key id is still listed.
    pii_keys: dict[str, SecretStr] = Field(default_factory=lambda: {"k1": SecretStr(DEV_PII_KEY)})
    pii_active_key_id: str = "k1"
    blind_index_key: SecretStr = SecretStr(DEV_BLIND_INDEX_KEY)
    privacy_policy_version: str = "2026-11"

    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    log_json: bool = True
    upload_dir: str = "var/uploads"
    upload_max_bytes: int = 10 * 1024 * 1024
    page_limit_default: int = 20
    page_limit_max: int = 100

    # WeChat mini-program.
    wechat_appid: str = "wx0000000000demo"
    wechat_secret: SecretStr = SecretStr("dev-wechat-secret")
    wechat_push_token: SecretStr = SecretStr("dev-push-token")
    wechat_api_base: str | None = None
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "developer"
    # Notification kind (message id, e.g. "notify.booking.confirmed") -> subscribe-message template id.
    wechat_templates: dict[str, str] = Field(default_factory=dict)

    # Departmental systems. A None base URL means "the in-process sandbox" (embedded/test only).
    identity_url: str | None = None
    gov_platform_url: str | None = None
    ticketing_url: str | None = None
    his_url: str | None = None
    integration_app_key: str = "citizen-api"
    integration_app_secret: SecretStr = SecretStr(DEV_CALLBACK_SECRET)
    integration_timeout_s: float = 5.0
    callback_secrets: dict[str, SecretStr] = Field(default_factory=dict)

    # Sandboxes (simulators) are mounted under /sandbox in the embedded profile.
    sandboxes: bool = True
    allow_sandboxes_in_production: bool = False
    allow_default_secrets: bool = False

    # Outbox and workers.
    outbox_max_attempts: int = 12
    outbox_backoff_base_s: float = 2.0
    outbox_backoff_cap_s: float = 3600.0
    outbox_lease_s: float = 60.0
    worker_tick_s: float = 2.0
    run_worker_in_process: bool = True

    rate_limits_enabled: bool = True
    # How long the operations dashboard answer is cached (seconds): screens refreshing together cost one computation.
    ops_dashboard_cache_s: int = 15

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.profile != "production":
            return self
        problems: list[str] = []
        if self.database_url.startswith("sqlite"):
            problems.append("CITIZEN_DATABASE_URL must point at PostgreSQL in production")
        if not self.redis_url:
            problems.append("CITIZEN_REDIS_URL is required in production")
        if not self.allow_default_secrets:
            defaults = {
                "CITIZEN_SECRET_KEY": self.secret_key.get_secret_value() == DEV_SECRET,
                "CITIZEN_PII_KEYS": any(v.get_secret_value() == DEV_PII_KEY for v in self.pii_keys.values()),
                "CITIZEN_BLIND_INDEX_KEY": self.blind_index_key.get_secret_value() == DEV_BLIND_INDEX_KEY,
                "CITIZEN_INTEGRATION_APP_SECRET": self.integration_app_secret.get_secret_value()
                == DEV_CALLBACK_SECRET,
            }
            problems += [f"{name} still has its development default" for name, bad in defaults.items() if bad]
            if len(self.secret_key.get_secret_value()) < 32:
                problems.append("CITIZEN_SECRET_KEY must be at least 32 characters")
        if self.sandboxes and not self.allow_sandboxes_in_production:
            problems.append("sandbox adapters are on (set CITIZEN_SANDBOXES=false and the real system URLs)")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_pii_keys(self) -> Settings:
        if self.pii_active_key_id not in self.pii_keys:
            raise ValueError(
                f"CITIZEN_PII_ACTIVE_KEY_ID {self.pii_active_key_id!r} is not in CITIZEN_PII_KEYS"
            )
        for kid, value in self.pii_keys.items():
            if len(base64.b64decode(value.get_secret_value())) != 32:
                raise ValueError(f"PII key {kid!r} must be base64 of exactly 32 bytes")
        return self

    @property
    def base_url(self) -> str:
        return self.public_base_url or f"http://{self.host}:{self.port}"

    def sandbox_url(self, system: str) -> str:
        """Base URL of an in-process sandbox mounted on this app."""
        return f"{self.base_url}/sandbox/{system}"
