"""Uploaded files: report photos and notice attachments (type judged by content)."""

from __future__ import annotations

import uuid
from typing import Any

from services.accounts.principal import Principal
from services.common.errors import NotFound
from services.common.ids import parse_id
from services.common.ratelimit import RateLimiter, RateRule
from services.common.storage import DOCUMENT_TYPES, IMAGE_TYPES, FileLinkInvalid, FileLinks, FileStore
from services.community.errors import (
    BadFileReference,
)
from services.community.models import (
    CommunityFile,
)

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "PHOTO_MAX_BYTES",
    "UPLOADS_PER_USER",
    "file_url",
    "own_files",
    "read_file",
    "resolve_attachments",
    "signed_attachments",
    "upload_file",
]

UPLOADS_PER_USER = RateRule("community.upload", "60/hour", code="community.upload_rate_limited")
PHOTO_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def file_url(file_id: str | uuid.UUID, links: FileLinks) -> str:
    """The link the API hands out for a file: its path with an expiring token (`?t=`)."""
    return links.url(f"/api/v1/community/files/{file_id}", file_id)


def signed_attachments(attachments: list[dict[str, Any]], links: FileLinks) -> list[dict[str, Any]]:
    """A notice's stored attachments with fresh links (rows keep no link: links expire)."""
    return [
        {**{k: v for k, v in a.items() if k != "url"}, "url": file_url(a["file_id"], links)}
        for a in attachments
        if a.get("file_id")
    ]


async def upload_file(
    *,
    actor: Principal,
    data: bytes,
    filename: str,
    store: FileStore,
    max_bytes: int,
    attachment: bool,
    limiter: RateLimiter | None = None,
) -> CommunityFile:
    """Keep a report photo (JPEG/PNG/WebP) or a notice attachment (also PDF), judged by content."""
    if limiter is not None:
        await limiter.hit(UPLOADS_PER_USER, str(actor.user_id))
    allowed = DOCUMENT_TYPES if attachment else IMAGE_TYPES
    limit = min(max_bytes, ATTACHMENT_MAX_BYTES if attachment else PHOTO_MAX_BYTES)
    stored = await store.save(data=data, filename=filename, allowed_types=allowed, max_bytes=limit)
    return await CommunityFile.create(
        owner_id=actor.user_id,
        key=stored.key,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        filename=stored.filename,
    )


async def read_file(
    *, file_id: str, token: str | None, links: FileLinks, store: FileStore
) -> tuple[CommunityFile, bytes]:
    """A file by its id and the link token handed out with the notice or report that uses it.

    The id alone is no capability (UUIDv7 ids minted in one millisecond are close): without a valid,
    unexpired token for this very id the answer is the same refusal whether the file exists or not.
    """
    if not links.verify(file_id, token):
        raise FileLinkInvalid()
    parsed = parse_id(file_id)
    stored = await CommunityFile.get_or_none(id=parsed) if parsed else None
    if stored is None:
        raise NotFound("upload.not_found")
    return stored, await store.read(stored.key)


async def own_files(actor: Principal, ids: list[str], *, images_only: bool) -> list[CommunityFile]:
    """The caller's own uploads, in the order given; anything else is refused."""
    files: list[CommunityFile] = []
    for raw in ids:
        parsed = parse_id(raw)
        found = await CommunityFile.get_or_none(id=parsed, owner_id=actor.user_id) if parsed else None
        if found is None or (images_only and found.content_type not in IMAGE_TYPES):
            raise BadFileReference(file=str(raw)[:64])
        files.append(found)
    return files


async def resolve_attachments(actor: Principal, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    files = await own_files(actor, [str(a.get("file_id", "")) for a in attachments], images_only=False)
    return [
        {
            "file_id": str(f.id),
            "name": (a.get("name") or f.filename or "")[:255],
            "content_type": f.content_type,
            "size": f.size,
        }
        for f, a in zip(files, attachments, strict=True)
    ]
