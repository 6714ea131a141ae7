"""Uploaded files behind one interface: local disk today, an object store (OSS/S3/MinIO) tomorrow.

The type of a file is decided by its content (magic bytes, via `filetype`), never by its name or the
Content-Type a client claims, so a renamed executable is refused as what it is.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filetype

from services.common import clock
from services.common.errors import InvalidInput, NotFound
from services.common.ids import new_id

__all__ = [
    "DOCUMENT_TYPES",
    "IMAGE_TYPES",
    "FileStore",
    "LocalFileStore",
    "StoredFile",
    "UploadEmpty",
    "UploadTooLarge",
    "UploadTypeNotAllowed",
    "inspect_upload",
]

# MIME types accepted for scans of documents, and for photos.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
DOCUMENT_TYPES = IMAGE_TYPES | {"application/pdf"}

_KEY = re.compile(r"^[0-9]{4}/[0-9]{2}/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class UploadEmpty(InvalidInput):
    code = "upload.empty"


class UploadTooLarge(InvalidInput):
    code = "upload.too_large"


class UploadTypeNotAllowed(InvalidInput):
    code = "upload.type_not_allowed"


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where a file went and what it is: `key` is opaque to everyone but the store."""

    key: str
    content_type: str
    size: int
    sha256: str


class FileStore(Protocol):
    """What a domain needs from file storage."""

    async def save(
        self, *, data: bytes, filename: str, allowed_types: Collection[str], max_bytes: int
    ) -> StoredFile: ...

    async def read(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...


def inspect_upload(*, data: bytes, allowed_types: Collection[str], max_bytes: int) -> tuple[str, str]:
    """(MIME type, extension) of `data` judged by content; refuses empty, too large and other types."""
    if not data:
        raise UploadEmpty()
    if len(data) > max_bytes:
        raise UploadTooLarge(max_mb=round(max_bytes / (1024 * 1024), 1), details={"max_bytes": max_bytes})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in allowed_types:
        raise UploadTypeNotAllowed(
            allowed=", ".join(sorted(allowed_types)),
            details={"detected": kind.mime if kind else None, "allowed": sorted(allowed_types)},
        )
    return kind.mime, kind.extension


class LocalFileStore:
    """Files under `root` as <yyyy>/<mm>/<uuid>.<ext>; the client's file name is never used as a path."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    async def save(
        self, *, data: bytes, filename: str, allowed_types: Collection[str], max_bytes: int
    ) -> StoredFile:
        """Check `data` and write it; returns its key, detected type, size and SHA-256."""
        content_type, extension = inspect_upload(data=data, allowed_types=allowed_types, max_bytes=max_bytes)
        today: dt.date = clock.now().date()
        key = f"{today:%Y}/{today:%m}/{new_id().hex}.{extension}"
        await asyncio.to_thread(self._write, self.root / key, data)
        return StoredFile(
            key=key, content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest()
        )

    async def read(self, key: str) -> bytes:
        """The bytes stored under `key`."""
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as error:
            raise NotFound("upload.not_found") from error

    async def delete(self, key: str) -> None:
        """Remove the file under `key` (missing files are fine)."""
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    def _path(self, key: str) -> Path:
        # Keys are ours, but check them anyway: a key must never walk out of the root.
        if not _KEY.match(key):
            raise NotFound("upload.not_found")
        return self.root / key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".part")
        temporary.write_bytes(data)
        temporary.replace(path)  # atomic: a reader never sees half a file
