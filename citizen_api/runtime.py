"""What a process needs at run time — database, Redis, HTTP client, cipher, adapters, job broker.

Built once per process by the app's listeners (API) or by `citizen-api worker`; nothing here runs
at import time. Services receive the pieces they need as arguments, never this object.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import redis.asyncio as aioredis
from tortoise import Tortoise

from citizen_api import composition
from citizen_api.adapters import Adapters, build_adapters
from citizen_api.settings import Settings
from services.accounts.principals import PrincipalCache
from services.accounts.tokens import TokenVerifier
from services.bookings.policy import BookingPolicies
from services.common.audit import AuditKeyring, install_keyring
from services.common.cache import Keys, create_redis, open_pool
from services.common.contributions import PeriodicJob, PrivacyHooks
from services.common.crypto import PiiCipher
from services.common.db import close_db, init_db
from services.common.outbox import OutboxHandler
from services.common.ratelimit import RateLimiter
from services.common.timeline import TimelineSource

__all__ = ["Runtime", "build_audit_keyring", "close_runtime", "open_runtime", "principal_changes"]


@dataclass(slots=True)
class Runtime:
    """Satisfies services.deps.Deps: what handlers and jobs are given, as values."""

    settings: Settings
    redis: aioredis.Redis
    keys: Keys
    http: httpx.AsyncClient
    cipher: PiiCipher
    adapters: Adapters
    rate_limiter: RateLimiter
    # Access tokens checked on every authenticated request (keeps the verdicts of valid ones).
    tokens: TokenVerifier
    # The callers' principals between requests, invalidated through Redis (services/accounts/principals.py).
    principals: PrincipalCache
    # From the composition root: what the domains contribute.
    booking_policies: BookingPolicies = field(default_factory=BookingPolicies)
    privacy_hooks: Mapping[str, PrivacyHooks] = field(default_factory=dict)
    outbox_handlers: Mapping[str, OutboxHandler] = field(default_factory=dict)
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    # name -> `async (*, start, end, scope) -> dict | None`: each domain's operations-dashboard figures.
    dashboard_figures: Mapping[str, Any] = field(default_factory=dict)
    timeline_sources: tuple[TimelineSource, ...] = ()
    owns_db: bool = False


def build_audit_keyring(settings: Settings) -> AuditKeyring:
    """The audit chain's HMAC keys from settings (never stored in the database)."""
    return AuditKeyring(
        keys={kid: v.get_secret_value().encode() for kid, v in settings.audit_keys.items()},
        active_key_id=settings.audit_active_key_id,
    )


def build_cipher(settings: Settings) -> PiiCipher:
    return PiiCipher(
        keys={kid: base64.b64decode(v.get_secret_value()) for kid, v in settings.pii_keys.items()},
        active_key_id=settings.pii_active_key_id,
        blind_index_key=settings.blind_index_key.get_secret_value().encode(),
    )


async def open_runtime(settings: Settings, *, redis: aioredis.Redis | None = None) -> Runtime:
    """Connect everything `settings` describes. The database is opened unless already open (tests)."""
    owns_db = not Tortoise._inited
    if owns_db:
        await init_db(settings.database_url, apps=composition.tortoise_apps(), pool_max=settings.db_pool_max)
    if redis is None:
        redis = create_redis(settings.redis_url)
        await open_pool(redis)
    keys = Keys(settings.redis_prefix)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.integration_timeout_s, connect=min(2.0, settings.integration_timeout_s)
        ),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=False,
    )
    cipher = build_cipher(settings)
    install_keyring(build_audit_keyring(settings))
    adapters = build_adapters(settings=settings, http=http, redis=redis, keys=keys)
    composition.validate()
    return Runtime(
        settings=settings,
        redis=redis,
        keys=keys,
        http=http,
        cipher=cipher,
        adapters=adapters,
        rate_limiter=RateLimiter.on_redis(
            redis, key_prefix=keys("limits"), enabled=settings.rate_limits_enabled
        ),
        tokens=TokenVerifier(settings.secret_key.get_secret_value()),
        principals=PrincipalCache(redis=redis, keys=keys, max_age_s=settings.session_live_cache_s),
        booking_policies=composition.booking_policies(),
        privacy_hooks=composition.privacy_hooks(),
        outbox_handlers=composition.outbox_handlers(),
        periodic_jobs=composition.periodic_jobs(),
        timeline_sources=composition.timeline_sources(),
        dashboard_figures=composition.dashboard_figures(),
        owns_db=owns_db,
    )


@contextlib.asynccontextmanager
async def principal_changes(settings: Settings) -> AsyncIterator[PrincipalCache]:
    """For commands run outside the server (`citizen-api users ...`): the principal versions on the
    server's Redis, so its workers see a role granted here at the user's next request. Redis being
    down is logged and the change is seen within `session_live_cache_s`."""
    redis = create_redis(settings.redis_url)
    try:
        yield PrincipalCache(
            redis=redis, keys=Keys(settings.redis_prefix), max_age_s=settings.session_live_cache_s
        )
    finally:
        await redis.aclose()


async def close_runtime(runtime: Runtime) -> None:
    await runtime.http.aclose()
    await runtime.redis.aclose()
    if runtime.owns_db:
        await close_db()
