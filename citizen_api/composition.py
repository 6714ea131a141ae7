"""The composition root: every domain, listed once, with what it contributes.

Like cosmicpython's bootstrap.py, this is the one place that knows all domains. Each entry pairs a
domain's `Domain` value (services/<domain>/domain.py: models, outbox handlers, periodic jobs, demo
seed, privacy hooks, booking policy, search documents, dashboard figures) with the HTTP blueprint
factories that serve it:

- `api`: mounted inside one `Blueprint.group` under /api/v1 (routes are written without the prefix);
- `edge`: mounted at the paths they declare (/health, /open311/v2, /wechat/push, department callbacks,
  and blueprints not yet moved under the group).

Nothing is found by file name and nothing registers itself on import; `validate()` runs at start-up
(app factory, worker, CLI) and refuses a misspelt or inconsistent contribution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sanic import Blueprint, Sanic

from citizen_api.blueprints import accounts as accounts_api
from citizen_api.blueprints import bookings as bookings_api
from citizen_api.blueprints import care as care_api
from citizen_api.blueprints import community as community_api
from citizen_api.blueprints import community_reports as community_reports_api
from citizen_api.blueprints import console as console_api
from citizen_api.blueprints import education as education_api
from citizen_api.blueprints import gov as gov_api
from citizen_api.blueprints import home as home_api
from citizen_api.blueprints import notifications as notifications_api
from citizen_api.blueprints import open311 as open311_api
from citizen_api.blueprints import ops as ops_api
from citizen_api.blueprints import platform as platform_api
from citizen_api.blueprints import search as search_api
from citizen_api.blueprints import staff_auth as staff_auth_api
from citizen_api.blueprints import timeline as timeline_api
from citizen_api.blueprints import tourism as tourism_api
from citizen_api.blueprints import wechat_push as wechat_push_api
from services.accounts.domain import DOMAIN as ACCOUNTS
from services.bookings.domain import DOMAIN as BOOKINGS
from services.bookings.policy import BookingPolicies
from services.care.domain import DOMAIN as CARE
from services.common.contributions import Domain, PeriodicJob, PrivacyHooks, validate_domains
from services.common.domain import DOMAIN as COMMON
from services.common.outbox import OutboxHandler
from services.common.timeline import TimelineSource
from services.community.domain import DOMAIN as COMMUNITY
from services.education.domain import DOMAIN as EDUCATION
from services.gov.domain import DOMAIN as GOV
from services.home.domain import DOMAIN as HOME
from services.notifications.domain import DOMAIN as NOTIFICATIONS
from services.ops.domain import DOMAIN as OPS
from services.search.domain import DOMAIN as SEARCH
from services.tourism.domain import DOMAIN as TOURISM

__all__ = [
    "API_VERSION_PREFIX",
    "COMPOSITION",
    "Mounted",
    "booking_policies",
    "dashboard_figures",
    "domains",
    "mount_blueprints",
    "outbox_handlers",
    "periodic_jobs",
    "privacy_hooks",
    "search_sources",
    "seeders",
    "timeline_sources",
    "tortoise_apps",
    "validate",
]

BlueprintFactory = Callable[[], Blueprint]
# Blueprint.group(version=1, version_prefix=...) puts every API route under /api/v1.
API_VERSION_PREFIX = "/api/v"
API_VERSION = 1


@dataclass(frozen=True, slots=True)
class Mounted:
    """One domain and its HTTP surface."""

    domain: Domain
    api: tuple[BlueprintFactory, ...] = ()
    edge: tuple[BlueprintFactory, ...] = ()


# Order: dependencies first (seeds run in this order; accounts' tables before the domains' rows).
COMPOSITION: tuple[Mounted, ...] = (
    Mounted(COMMON, edge=(platform_api.create_blueprint,)),
    Mounted(ACCOUNTS, api=(accounts_api.create_blueprint,), edge=(wechat_push_api.create_blueprint,)),
    Mounted(NOTIFICATIONS, api=(notifications_api.create_blueprint, timeline_api.create_blueprint)),
    Mounted(BOOKINGS, api=(bookings_api.create_blueprint,)),
    Mounted(GOV, api=(gov_api.create_blueprint,), edge=(gov_api.create_callback_blueprint,)),
    Mounted(TOURISM, api=(tourism_api.create_blueprint,)),
    Mounted(
        COMMUNITY,
        api=(
            community_api.create_blueprint,
            community_reports_api.create_blueprint,
            open311_api.create_admin_blueprint,
        ),
        edge=(open311_api.create_blueprint,),
    ),
    Mounted(CARE, api=(care_api.create_blueprint,), edge=(care_api.create_callback_blueprint,)),
    Mounted(SEARCH, api=(search_api.create_blueprint,)),
    Mounted(EDUCATION, api=(education_api.create_blueprint,)),
    Mounted(HOME, api=(home_api.create_blueprint,)),
    Mounted(
        OPS,
        api=(ops_api.create_blueprint, staff_auth_api.create_blueprint),
        edge=(console_api.create_blueprint,),
    ),
)


def domains() -> tuple[Domain, ...]:
    return tuple(entry.domain for entry in COMPOSITION)


def validate() -> None:
    """Refuse an inconsistent composition (raises at start-up, never silently skips)."""
    validate_domains(domains())
    for entry in COMPOSITION:
        for factory in (*entry.api, *entry.edge):
            if not callable(factory):
                raise TypeError(f"domain {entry.domain.name!r}: {factory!r} is not a blueprint factory")
    booking_policies()  # two policies for one owner domain fail here


def tortoise_apps() -> dict[str, tuple[str, str]]:
    """Tortoise app name -> (models module, migrations package), for every domain with tables."""
    return {
        d.name: (d.models, d.migrations)
        for d in domains()
        if d.models is not None and d.migrations is not None
    }


def outbox_handlers() -> dict[str, OutboxHandler]:
    handlers: dict[str, OutboxHandler] = {}
    for domain in domains():
        handlers.update(domain.outbox_handlers)
    return handlers


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    return tuple(job for domain in domains() for job in domain.periodic_jobs)


def seeders() -> tuple[tuple[str, Callable[..., Any]], ...]:
    """(domain name, seed function) in composition order."""
    return tuple((d.name, d.seed) for d in domains() if d.seed is not None)


def search_sources() -> tuple[tuple[str, Callable[..., Any]], ...]:
    """(domain name, search-document source) for the platform search's reindex."""
    return tuple((d.name, d.search_documents) for d in domains() if d.search_documents is not None)


def timeline_sources() -> tuple[TimelineSource, ...]:
    """Every domain's source of entries for GET /me/cases."""
    return tuple(d.timeline for d in domains() if d.timeline is not None)


def privacy_hooks() -> Mapping[str, PrivacyHooks]:
    return {d.name: d.privacy for d in domains() if d.privacy is not None}


def dashboard_figures() -> dict[str, Callable[..., Any]]:
    """Domain name -> its operations-dashboard figures, in composition order."""
    return {d.name: d.dashboard_figures for d in domains() if d.dashboard_figures is not None}


def booking_policies() -> BookingPolicies:
    return BookingPolicies.collect(d.booking_policy for d in domains())


def mount_blueprints(app: Sanic) -> None:
    """Mount every domain's blueprints on `app` (fresh blueprints per app: Sanic binds them)."""
    api = [factory() for entry in COMPOSITION for factory in entry.api]
    if api:
        app.blueprint(
            Blueprint.group(
                *api, version=API_VERSION, version_prefix=API_VERSION_PREFIX, strict_slashes=False
            )
        )
    for entry in COMPOSITION:
        for factory in entry.edge:
            app.blueprint(factory())
