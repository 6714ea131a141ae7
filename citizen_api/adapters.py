"""The composition root for outside systems: which adapter serves each port, chosen by settings.

Each domain's ports.py declares a Protocol; the adapter in integrations/<system>/ satisfies it. With
sandboxes on (embedded profile, tests) the adapters point at the simulators mounted under /sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import redis.asyncio as aioredis

from citizen_api.settings import Settings
from services.accounts.ports import IdentityPort
from services.care.ports import EldercarePlatform, HospitalSystem
from services.common.cache import Keys
from services.deps import WeChatApi
from services.education.ports import EducationBureau
from services.gov.ports import GovPlatform
from services.tourism.ports import TicketingSystem

__all__ = ["Adapters", "build_adapters"]


@dataclass(slots=True)
class Adapters:
    """One attribute per outside system, typed by the port of the domain that uses it
    (satisfies services.deps.AdapterPorts); None where the system is not configured."""

    wechat: WeChatApi | None = None
    identity: IdentityPort | None = None
    gov_platform: GovPlatform | None = None
    ticketing: TicketingSystem | None = None
    education_bureau: EducationBureau | None = None
    his: HospitalSystem | None = None
    eldercare: EldercarePlatform | None = None


def system_url(settings: Settings, configured: str | None, system: str) -> str:
    """The configured base URL of `system`, else its sandbox when sandboxes are on."""
    if configured:
        return configured.rstrip("/")
    if settings.sandboxes:
        return settings.sandbox_url(system)
    raise ValueError(f"no URL configured for {system} and sandboxes are off")


def build_adapters(
    *, settings: Settings, http: httpx.AsyncClient, redis: aioredis.Redis, keys: Keys
) -> Adapters:
    """Construct every adapter. Domains add their system here when they add its integration."""
    adapters = Adapters()
    from integrations.ticketing.client import TicketingClient

    adapters.ticketing = TicketingClient(
        base_url=system_url(settings, settings.ticketing_url, "ticketing"),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )
    from integrations.wechat.client import MiniProgramApi

    adapters.wechat = MiniProgramApi(
        base_url=system_url(settings, settings.wechat_api_base, "wechat"),
        http=http,
        appid=settings.wechat_appid,
        secret=settings.wechat_secret.get_secret_value(),
        redis=redis,
        keys=keys,
    )
    from integrations.identity.client import IdentityClient

    adapters.identity = IdentityClient(
        base_url=system_url(settings, settings.identity_url, "identity"),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )
    from integrations.gov_platform.client import GovPlatformClient

    adapters.gov_platform = GovPlatformClient(
        base_url=system_url(settings, settings.gov_platform_url, "gov_platform"),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )
    from integrations.his.client import HisClient

    adapters.his = HisClient(
        base_url=system_url(settings, settings.his_url, "his"),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )
    from integrations.eldercare.client import EldercareClient

    adapters.eldercare = EldercareClient(
        base_url=system_url(settings, settings.eldercare_url, "eldercare"),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )
    from integrations.education_bureau.client import EducationBureauClient

    adapters.education_bureau = EducationBureauClient(
        base_url=system_url(settings, settings.education_bureau_url, "education_bureau"),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )
    return adapters
