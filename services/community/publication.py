"""What of a report the public may see (the Open311 feed), the way civic platforms publish reports.

FixMyStreet and Helsinki's feedback service publish a report only in the form a stranger may read:
- only categories the city marks public (a noise complaint names a neighbour; a parked car a plate);
- a resident may keep their report private;
- the location rounded to about 100 m (3 decimals of a degree), never the exact spot;
- the description only after staff approve it, and scrubbed of ID and phone numbers even then;
- photos only after staff review them, through signed URLs that expire;
- an erased account's reports keep nothing the person wrote or photographed.
The reporter's own view and the staff view keep the full detail (services.community.reports).
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from dataclasses import dataclass

from services.accounts.principal import Principal
from services.common import clock
from services.common.crypto import PiiCipher
from services.common.ids import parse_id
from services.common.storage import FileStore
from services.community.communities import is_staff
from services.community.errors import ReportNotFound
from services.community.models import CommunityFile, Report
from services.community.reports import ReportView, report_view

__all__ = [
    "MEDIA_URL_TTL_S",
    "MediaLinkInvalid",
    "PublicPolicy",
    "is_public",
    "media_path",
    "publish_report",
    "public_location",
    "read_public_media",
    "scrub",
    "set_private",
    "sign_media",
]

MEDIA_URL_TTL_S = 3600
# Three decimals of a degree: ~111 m north-south, ~91 m east-west at Jiyuan's latitude (35°N).
LOCATION_DECIMALS = 3
_MEDIA_PURPOSE = "open311.media"
_MASK = "***"
# Mainland ID numbers (18 digits, last may be X; old 15-digit ones), optionally typed in groups.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{6}[ -]?\d{8}[ -]?\d{3}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mobile numbers (with or without +86, in groups) and landlines with an area code.
_PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)|(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class MediaLinkInvalid(Exception):
    """A public media link that is malformed, tampered with, expired, or no longer public."""


@dataclass(frozen=True, slots=True)
class PublicPolicy:
    """The city's publication settings."""

    categories: frozenset[str]
    media_ttl_s: int = MEDIA_URL_TTL_S


def scrub(text: str) -> str:
    """The text with ID numbers, phone numbers and e-mail addresses masked."""
    text = _ID_NUMBER.sub(_MASK, text)
    text = _PHONE.sub(_MASK, text)
    return _EMAIL.sub(_MASK, text)


def is_public(report: Report, policy: PublicPolicy) -> bool:
    """Whether the report appears on the public feed at all."""
    return not report.private and report.category.value in policy.categories


def public_location(lat: float | None, lng: float | None) -> tuple[float | None, float | None]:
    """The spot rounded to about 100 m."""
    if lat is None or lng is None:
        return None, None
    return round(lat, LOCATION_DECIMALS), round(lng, LOCATION_DECIMALS)


def _signature(cipher: PiiCipher, report_id: uuid.UUID, index: int, expires: int) -> str:
    return cipher.blind_index(f"{report_id}:{index}:{expires}", purpose=_MEDIA_PURPOSE).lower()


def media_path(report_id: uuid.UUID, index: int) -> str:
    return f"/open311/v2/media/{report_id}/{index}"


def sign_media(
    *, report_id: uuid.UUID, index: int, cipher: PiiCipher, ttl_s: int, now: float | None = None
) -> str:
    """A path+query that serves photo `index` of a report until it expires (then 403)."""
    # Expiry rounded up to the next ttl boundary, so one feed page is cacheable for a while.
    moment = int(now if now is not None else time.time())
    expires = (moment // ttl_s + 2) * ttl_s
    return f"{media_path(report_id, index)}?expires={expires}&signature={_signature(cipher, report_id, index, expires)}"


async def read_public_media(
    *,
    report_id: str,
    index: str,
    expires: str | None,
    signature: str | None,
    cipher: PiiCipher,
    policy: PublicPolicy,
    store: FileStore,
    now: float | None = None,
) -> tuple[CommunityFile, bytes]:
    """The bytes behind a signed public media link, while the report and its photos stay public."""
    parsed = parse_id(report_id)
    if parsed is None or not index.isdigit() or not (expires or "").isdigit() or not signature:
        raise MediaLinkInvalid()
    position, deadline = int(index), int(expires or "0")
    expected = _signature(cipher, parsed, position, deadline)
    if not hmac.compare_digest(expected, signature.lower()) or deadline < (now or time.time()):
        raise MediaLinkInvalid()
    report = await Report.get_or_none(id=parsed)
    if report is None or not is_public(report, policy) or not report.photos_public:
        raise MediaLinkInvalid()
    photos = list(report.photos or [])
    if position >= len(photos):
        raise MediaLinkInvalid()
    stored = await CommunityFile.get_or_none(id=parse_id(photos[position]))
    if stored is None:
        raise MediaLinkInvalid()
    return stored, await store.read(stored.key)


async def publish_report(
    *, actor: Principal, report_id: str, description: bool, photos: bool, cipher: PiiCipher
) -> ReportView:
    """Staff decide what of a report the public sees: the scrubbed description, the photos, or neither."""
    parsed = parse_id(report_id)
    report = await Report.get_or_none(id=parsed) if parsed else None
    if report is None or not is_staff(actor, report.community_id):
        raise ReportNotFound()
    report.public_description = scrub(report.description) if description and report.description else None
    report.photos_public = bool(photos and (report.photos or (report.attributes or {}).get("media_url")))
    report.published_by_id = actor.user_id
    report.published_at = clock.now()
    await report.save(
        update_fields=["public_description", "photos_public", "published_by_id", "published_at", "updated_at"]
    )
    return await report_view(report, role="staff", cipher=cipher)


async def set_private(*, actor: Principal, report_id: str, private: bool, cipher: PiiCipher) -> ReportView:
    """The reporter keeps their report off the public feed (or puts it back)."""
    parsed = parse_id(report_id)
    report = await Report.get_or_none(id=parsed, reporter_id=actor.user_id) if parsed else None
    if report is None:
        raise ReportNotFound()
    report.private = private
    await report.save(update_fields=["private", "updated_at"])
    return await report_view(report, role="reporter", cipher=cipher)
