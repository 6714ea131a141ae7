"""Typed settings: one class, read from the environment with the prefix CITIZEN_."""

from __future__ import annotations

import base64
import ipaddress
import logging
from typing import Any, Literal

from limits import parse as parse_limit
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.care.enums import EMERGENCY_ALERT_KINDS
from services.common.audit import DEV_AUDIT_KEY
from services.community.enums import PUBLIC_REPORT_CATEGORIES

__all__ = ["DEFAULT_RATE_LIMITS", "DEV_SECRET", "Settings"]

log = logging.getLogger(__name__)

# Development defaults. Production refuses to start while any of these is still in use.
DEV_SECRET = "dev-only-secret-change-me-0000000000000000"
DEV_PII_KEY = base64.b64encode(b"dev-only-pii-key-32-bytes-000000").decode()
DEV_BLIND_INDEX_KEY = "dev-only-blind-index-key"
DEV_CALLBACK_SECRET = "dev-only-callback-secret"
DEV_WECHAT_APPID = "wx0000000000demo"
DEV_WECHAT_SECRET = "dev-wechat-secret"
DEV_PUSH_TOKEN = "dev-push-token"
# Every development default a production deployment must replace.
_DEV_SECRETS = frozenset(
    {
        DEV_SECRET,
        DEV_PII_KEY,
        DEV_BLIND_INDEX_KEY,
        DEV_CALLBACK_SECRET,
        DEV_WECHAT_SECRET,
        DEV_PUSH_TOKEN,
        DEV_AUDIT_KEY,
    }
)

Profile = Literal["embedded", "test", "production"]

# Abuse limits on writes that cost the city something, "<name>.ip" per client address and "<name>.user"
# per account (the acting account, also under a proxy). `@endpoint(limit="<name>")` applies both.
# Override one with CITIZEN_RATE_LIMITS='{"bookings.create.user": "10/hour"}'; "" switches one off.
DEFAULT_RATE_LIMITS: dict[str, str] = {
    "auth.refresh.ip": "120/minute",
    "phone.bind.ip": "30/hour",
    # Per user, phone binding (10/hour) and reports (20/hour) are counted by their services.
    "reports.create.ip": "60/hour",
    "notices.create.ip": "120/hour",
    "notices.create.user": "30/hour",
    "events.create.ip": "120/hour",
    "events.create.user": "20/hour",
    "applications.create.ip": "120/hour",
    "applications.create.user": "20/hour",
    "bookings.create.ip": "600/hour",
    "bookings.create.user": "30/hour",
    "tourism.bookings.create.ip": "600/hour",
    "tourism.bookings.create.user": "30/hour",
    # Refusals that say something about another person ("this visitor already holds an entry").
    "tourism.visitor_conflict.user": "10/hour",
    "open311.create.ip": "120/hour",
    "open311.create.user": "600/hour",
}


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
    # How long Redis may answer "session live" before the database is asked again (revocations
    # overwrite it at once; this bounds the window only when that write fails).
    session_live_cache_s: int = 30

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
    wechat_appid: str = DEV_WECHAT_APPID
    wechat_secret: SecretStr = SecretStr(DEV_WECHAT_SECRET)
    wechat_push_token: SecretStr = SecretStr(DEV_PUSH_TOKEN)
    # A push whose signed timestamp is further than this from now (either way) is refused as a replay.
    wechat_push_max_age_s: int = 300
    # Message-push encryption as configured in the mini-program console (消息加密方式): plaintext (明文),
    # compatible (兼容: both accepted) or safe (安全: every POST must be AES-encrypted with msg_signature).
    wechat_push_mode: Literal["plaintext", "compatible", "safe"] = "plaintext"
    # The console's EncodingAESKey (43 characters); required unless the mode is plaintext.
    wechat_push_aes_key: SecretStr | None = None
    wechat_api_base: str | None = None
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "developer"
    # Notification kind (message id, e.g. "notify.booking.confirmed") -> subscribe-message template id.
    wechat_templates: dict[str, str] = Field(default_factory=dict)
    # The subscribe-message template of emergency calls (紧急呼叫): the person and every family member
    # acting for them in care get the call, a delay, the provider's acceptance or refusal through it. It
    # fills those kinds (EMERGENCY_ALERT_KINDS) where wechat_templates does not map them. Unset: the
    # inbox only (production warns at start).
    wechat_emergency_template: str | None = None

    # Departmental systems. A None base URL means "the in-process sandbox" (embedded/test only).
    identity_url: str | None = None
    gov_platform_url: str | None = None
    ticketing_url: str | None = None
    education_bureau_url: str | None = None
    his_url: str | None = None
    eldercare_url: str | None = None
    integration_app_key: str = "citizen-api"
    integration_app_secret: SecretStr = SecretStr(DEV_CALLBACK_SECRET)
    integration_timeout_s: float = 5.0
    callback_secrets: dict[str, SecretStr] = Field(default_factory=dict)

    # Sandboxes (simulators) are mounted under /sandbox in the embedded profile.
    sandboxes: bool = True
    # Per-sandbox options (SandboxOptions.extra), e.g. {"gov_platform": {"auto_advance": false}}.
    sandbox_extra: dict[str, dict[str, Any]] = Field(default_factory=dict)
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
    # Overrides of DEFAULT_RATE_LIMITS (limit strings of the `limits` library, e.g. "30/hour").
    rate_limits: dict[str, str] = Field(default_factory=dict)

    # Operator pages (/metrics, /docs): None means restricted in production and open elsewhere. When
    # restricted, a caller needs an address in ops_allowed_networks or `Authorization: Bearer <ops_token>`.
    ops_restricted: bool | None = None
    ops_token: SecretStr | None = None
    ops_allowed_networks: list[str] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    # Audit chain: HMAC keys (key id -> secret) the database never holds; new entries use the active
    # key, old ones verify while their key id is listed. The chain head is anchored as a signed
    # checkpoint file in audit_checkpoint_dir (outside the database; the worker writes one every
    # 5 minutes when the head moved, `citizen-api audit checkpoint` on demand).
    audit_keys: dict[str, SecretStr] = Field(default_factory=lambda: {"a1": SecretStr(DEV_AUDIT_KEY)})
    audit_active_key_id: str = "a1"
    audit_checkpoint_dir: str = "var/audit-checkpoints"

    # The public Open311 feed: report categories the city publishes, lifetime of signed photo links.
    open311_public_categories: list[str] = Field(default_factory=lambda: list(PUBLIC_REPORT_CATEGORIES))
    open311_media_ttl_s: int = Field(3600, ge=60)
    # Lifetime of the signed `?t=` links to community files (report photos, notice attachments).
    file_link_ttl_s: int = Field(3600, ge=60)
    # WeChat checks partner (Open311) text as this openid of the city's operator account; unset = held for staff.
    open311_sec_check_openid: str | None = None

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
            secrets = {
                "CITIZEN_SECRET_KEY": [self.secret_key],
                "CITIZEN_PII_KEYS": list(self.pii_keys.values()),
                "CITIZEN_BLIND_INDEX_KEY": [self.blind_index_key],
                "CITIZEN_INTEGRATION_APP_SECRET": [self.integration_app_secret],
                "CITIZEN_CALLBACK_SECRETS": list(self.callback_secrets.values()),
                "CITIZEN_WECHAT_SECRET": [self.wechat_secret],
                "CITIZEN_WECHAT_PUSH_TOKEN": [self.wechat_push_token],
                "CITIZEN_AUDIT_KEYS": list(self.audit_keys.values()),
                "CITIZEN_OPS_TOKEN": [self.ops_token] if self.ops_token else [],
            }
            problems += [
                f"{name} still has a development default"
                for name, values in secrets.items()
                if any(v.get_secret_value() in _DEV_SECRETS for v in values)
            ]
            if self.wechat_appid == DEV_WECHAT_APPID:
                problems.append("CITIZEN_WECHAT_APPID still has its development default")
            for name, value, minimum in (
                ("CITIZEN_SECRET_KEY", self.secret_key, 32),
                ("CITIZEN_WECHAT_PUSH_TOKEN", self.wechat_push_token, 16),
            ):
                if len(value.get_secret_value()) < minimum:
                    problems.append(f"{name} must be at least {minimum} characters")
            if any(len(v.get_secret_value()) < 32 for v in self.audit_keys.values()):
                problems.append("CITIZEN_AUDIT_KEYS must each be at least 32 characters")
        if self.sandboxes and not self.allow_sandboxes_in_production:
            problems.append("sandbox adapters are on (set CITIZEN_SANDBOXES=false and the real system URLs)")
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @model_validator(mode="after")
    def _emergency_templates(self) -> Settings:
        if self.wechat_emergency_template:
            defaults = dict.fromkeys(EMERGENCY_ALERT_KINDS, self.wechat_emergency_template)
            self.wechat_templates = {**defaults, **self.wechat_templates}
        missing = [kind for kind in EMERGENCY_ALERT_KINDS if not self.wechat_templates.get(kind)]
        if missing and self.profile == "production":
            # A warning, not a refusal: the inbox still carries every notice, and the whole city's
            # services should not stay down while a template waits for approval in the WeChat console.
            log.warning(
                "CITIZEN_WECHAT_EMERGENCY_TEMPLATE is not set: emergency calls reach the family by inbox "
                "only, without a WeChat subscribe message",
                extra={"kinds_without_template": missing},
            )
        return self

    @model_validator(mode="after")
    def _check_push_encryption(self) -> Settings:
        if self.wechat_push_mode != "plaintext":
            key = self.wechat_push_aes_key.get_secret_value() if self.wechat_push_aes_key else ""
            if len(key) != 43:
                raise ValueError(
                    "CITIZEN_WECHAT_PUSH_AES_KEY (the 43-character EncodingAESKey) is required "
                    f"when CITIZEN_WECHAT_PUSH_MODE is {self.wechat_push_mode}"
                )
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

    @model_validator(mode="after")
    def _check_audit_keys(self) -> Settings:
        for name, value in {**DEFAULT_RATE_LIMITS, **self.rate_limits}.items():
            if value:
                try:
                    parse_limit(value)
                except ValueError as error:
                    raise ValueError(f"CITIZEN_RATE_LIMITS: {name}={value!r} is not a limit") from error
        for network in self.ops_allowed_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as error:
                raise ValueError(f"CITIZEN_OPS_ALLOWED_NETWORKS: {network!r} is not a network") from error
        if self.audit_active_key_id not in self.audit_keys:
            raise ValueError(
                f"CITIZEN_AUDIT_ACTIVE_KEY_ID {self.audit_active_key_id!r} is not in CITIZEN_AUDIT_KEYS"
            )
        return self

    def rate_limit(self, name: str) -> str | None:
        """The configured limit for `name` ("bookings.create.user"), or None when there is none."""
        value = self.rate_limits.get(name, DEFAULT_RATE_LIMITS.get(name))
        return value or None

    @property
    def ops_pages_restricted(self) -> bool:
        """Whether /metrics and /docs need an allowed network or the ops token."""
        return self.profile == "production" if self.ops_restricted is None else self.ops_restricted

    @property
    def base_url(self) -> str:
        return self.public_base_url or f"http://{self.host}:{self.port}"

    def sandbox_url(self, system: str) -> str:
        """Base URL of an in-process sandbox mounted on this app."""
        return f"{self.base_url}/sandbox/{system}"
