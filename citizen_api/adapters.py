"""The composition root for outside systems: which adapter serves each port, chosen by settings.

Each domain's ports.py declares a Protocol; the adapter in integrations/<system>/ satisfies it. With
sandboxes on (embedded profile, tests) the adapters point at the simulators mounted under /sandbox.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

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

__all__ = ["Adapters", "build_adapters", "signed_client", "system_url"]

T = TypeVar("T")


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


def signed_client(
    factory: Callable[..., T], *, settings: Settings, http: httpx.AsyncClient, url: str | None, system: str
) -> T:
    """A departmental adapter signing with the integration app key and secret (HMAC), at `system`'s URL."""
    return factory(
        base_url=system_url(settings, url, system),
        http=http,
        app_key=settings.integration_app_key,
        app_secret=settings.integration_app_secret.get_secret_value(),
    )


def build_adapters(
    *, settings: Settings, http: httpx.AsyncClient, redis: aioredis.Redis, keys: Keys
) -> Adapters:
    """Construct every adapter. Domains add their system here when they add its integration."""
    from integrations.education_bureau.client import EducationBureauClient
    from integrations.eldercare.client import EldercareClient
    from integrations.gov_platform.client import GovPlatformClient
    from integrations.his.client import HisClient
    from integrations.identity.client import IdentityClient
    from integrations.ticketing.client import TicketingClient
    from integrations.wechat.client import MiniProgramApi

    signed = functools.partial(signed_client, settings=settings, http=http)
    return Adapters(
        wechat=MiniProgramApi(
            base_url=system_url(settings, settings.wechat_api_base, "wechat"),
            http=http,
            appid=settings.wechat_appid,
            secret=settings.wechat_secret.get_secret_value(),
            redis=redis,
            keys=keys,
        ),
        ticketing=signed(TicketingClient, url=settings.ticketing_url, system="ticketing"),
        identity=signed(IdentityClient, url=settings.identity_url, system="identity"),
        gov_platform=signed(GovPlatformClient, url=settings.gov_platform_url, system="gov_platform"),
        his=signed(HisClient, url=settings.his_url, system="his"),
        eldercare=signed(EldercareClient, url=settings.eldercare_url, system="eldercare"),
        education_bureau=signed(
            EducationBureauClient, url=settings.education_bureau_url, system="education_bureau"
        ),
    )
