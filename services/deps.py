"""The typed dependencies that workers give to outbox handlers and periodic jobs.

`citizen_api.runtime.Runtime` satisfies `Deps`; services see only these Protocols. Every adapter is
typed by the port of the domain that uses it. A domain that adds an outside system adds its port
here (and the adapter in citizen_api/adapters.py); a job that needs a new setting adds it to
`DepsSettings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import redis.asyncio as aioredis

from services.accounts.ports import IdentityPort, WeChatPort
from services.care.ports import EldercarePlatform, HospitalSystem
from services.common.cache import Keys
from services.common.crypto import PiiCipher
from services.community.ports import ContentChecker
from services.education.ports import EducationBureau
from services.gov.ports import GovPlatform
from services.notifications.ports import SubscribeMessageSender
from services.tourism.ports import TicketingSystem

__all__ = ["AdapterPorts", "Deps", "DepsSettings", "WeChatApi"]


class WeChatApi(WeChatPort, SubscribeMessageSender, ContentChecker, Protocol):
    """The one WeChat adapter serves sign-in, subscribe messages and content security."""


class AdapterPorts(Protocol):
    @property
    def wechat(self) -> WeChatApi: ...
    @property
    def identity(self) -> IdentityPort: ...
    @property
    def gov_platform(self) -> GovPlatform: ...
    @property
    def ticketing(self) -> TicketingSystem: ...
    @property
    def education_bureau(self) -> EducationBureau: ...
    @property
    def his(self) -> HospitalSystem: ...
    @property
    def eldercare(self) -> EldercarePlatform: ...


class DepsSettings(Protocol):
    """The settings values jobs read (a subset of citizen_api.settings.Settings)."""

    @property
    def wechat_miniprogram_state(self) -> str: ...
    @property
    def wechat_templates(self) -> Mapping[str, str]: ...
    @property
    def timezone(self) -> str: ...
    @property
    def upload_dir(self) -> str: ...
    @property
    def audit_checkpoint_dir(self) -> str: ...


class Deps(Protocol):
    """What an outbox handler or a periodic job receives."""

    @property
    def settings(self) -> DepsSettings: ...
    @property
    def redis(self) -> aioredis.Redis: ...
    @property
    def keys(self) -> Keys: ...
    @property
    def cipher(self) -> PiiCipher: ...
    @property
    def adapters(self) -> AdapterPorts: ...
    @property
    def dashboard_figures(self) -> Mapping[str, Any]:
        """Each domain's dashboard figure function, by domain name (the ops rollup job runs them)."""
        ...

    @property
    def booking_policies(self) -> Any:
        """services.bookings.policy.BookingPolicies built from the composition."""
        ...
