"""Uploaded files behind one interface: local disk today, an object store (OSS/S3/MinIO) tomorrow.

The type of a file is decided by its content (magic bytes, via `filetype`), never by its name or the
Content-Type a client claims, so a renamed executable is refused as what it is. A PDF carrying active
content (JavaScript, launch actions, embedded files, forms that run script) is refused too.

Serving (the routes that hand files out, authenticated or not) uses `download_headers`: images inline,
everything else as an attachment, always with `Content-Security-Policy: sandbox` and nosniff, so a
file can never run script in our origin. The client's file name is kept only in sanitised form
(`safe_filename`, in `StoredFile.filename`). Files served without authentication are reached with a
`FileLinks` token (an expiring HMAC of the file id under a server secret), never by the id alone: ids
are UUIDv7, and two minted in the same millisecond differ in a counter and few random bits.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import filetype

from services.common import clock
from services.common.errors import InvalidInput, NotFound, PermissionDenied

__all__ = [
    "DOCUMENT_TYPES",
    "FILE_LINK_TTL_S",
    "IMAGE_TYPES",
    "FileLinkInvalid",
    "FileLinks",
    "FileStore",
    "LocalFileStore",
    "StoredFile",
    "UploadActiveContent",
    "UploadEmpty",
    "UploadTooLarge",
    "UploadTypeNotAllowed",
    "download_headers",
    "inspect_upload",
    "safe_filename",
]

# MIME types accepted for scans of documents, and for photos.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
DOCUMENT_TYPES = IMAGE_TYPES | {"application/pdf"}

# Lifetime of a file link (between one and two of these; see FileLinks).
FILE_LINK_TTL_S = 3600

_KEY = re.compile(r"^[0-9]{4}/[0-9]{2}/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class UploadEmpty(InvalidInput):
    code = "upload.empty"


class UploadTooLarge(InvalidInput):
    code = "upload.too_large"


class UploadTypeNotAllowed(InvalidInput):
    code = "upload.type_not_allowed"


class FileLinkInvalid(PermissionDenied):
    """A file asked for without a valid link: none, forged, for another file, or expired."""

    code = "upload.link_invalid"


class UploadActiveContent(InvalidInput):
    """A document that would run something when opened (PDF JavaScript, launch actions, ...)."""

    code = "upload.active_content"


# PDF names that make a viewer run or open something. Names may be spelled with #xx escapes.
_PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA", b"/SubmitForm")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.DOTALL)
_PDF_MAX_INFLATED = 64 * 1024 * 1024


def _pdf_layers(data: bytes) -> Iterator[bytes]:
    """The file itself, then every stream that inflates (object streams hide names there)."""
    yield data
    budget = _PDF_MAX_INFLATED
    for match in _PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(inflated)
        yield inflated
        if budget <= 0:
            return


def _pdf_is_active(data: bytes) -> bool:
    for layer in _pdf_layers(data):
        names = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), layer)
        for name in _PDF_ACTIVE:
            # A name ends at whitespace or a delimiter; /JS must not match /JSomething-else.
            if re.search(re.escape(name) + rb"(?![A-Za-z0-9])", names):
                return True
    return False


# Characters never kept in a file name: path separators, controls, bidi overrides, quoting, markup.
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_filename(name: str | None, *, extension: str) -> str:
    """The client's file name, safe to store and to show: no path, no controls, the true extension.

    `extension` is the one the content was judged to have, so "invoice.pdf.exe" becomes
    "invoice.pdf.pdf" rather than keeping a misleading suffix.
    """
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    base = re.sub(r"\.{2,}", ".", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" .")[:120] or "file"
    return f"{stem}.{extension}"


def download_headers(*, content_type: str, filename: str | None) -> dict[str, str]:
    """Headers for serving a stored file: never script in our origin, non-images downloaded."""
    disposition = "inline" if content_type in IMAGE_TYPES else "attachment"
    name = filename or "file"
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "file"
    return {
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}",
        "Content-Security-Policy": "sandbox",
        "X-Content-Type-Options": "nosniff",
    }


class FileLinks:
    """Expiring capability links for files served without authentication (an `<img src>` sends no token).

    A link is `?t=<expires>.<HMAC of file id and expiry>` under a key derived from a server secret, so it
    is unguessable, bound to one file and dead after its time. Build it once from settings
    (`FileLinks.from_secret(settings.secret_key, ttl_s=settings.file_link_ttl_s)`); `url` signs what the
    API hands out, a route checks `verify(file_id, request.args.get("t"))` and refuses (403) when it fails.
    Expiry is rounded up to the next `ttl_s` boundary, so a link lives between one and two `ttl_s` and a
    page listed twice within a window carries the same links.
    """

    def __init__(self, key: bytes, *, ttl_s: int = FILE_LINK_TTL_S):
        if ttl_s < 1:
            raise ValueError("ttl_s must be positive")
        self._key = key
        self.ttl_s = ttl_s

    @classmethod
    def from_secret(cls, secret: str, *, ttl_s: int = FILE_LINK_TTL_S) -> FileLinks:
        # A key of its own, derived, so a file token can never double as any other signature.
        return cls(
            hmac.new(secret.encode(), b"citizen-api/file-links/v2", hashlib.sha256).digest(), ttl_s=ttl_s
        )

    def _signature(self, file_id: object, expires: int) -> str:
        digest = hmac.new(self._key, f"{file_id}:{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def token(self, file_id: object, *, now: float | None = None) -> str:
        """A token for `file_id` valid until the second-next `ttl_s` boundary after `now`."""
        moment = int(time.time() if now is None else now)
        expires = (moment // self.ttl_s + 2) * self.ttl_s
        return f"{expires}.{self._signature(file_id, expires)}"

    def url(self, path: str, file_id: object, *, now: float | None = None) -> str:
        """`path` with the file's token as `?t=`."""
        return f"{path}?t={self.token(file_id, now=now)}"

    def verify(self, file_id: object, token: str | None, *, now: float | None = None) -> bool:
        """True for an untampered, unexpired token minted for exactly this file."""
        expires, _, signature = (token or "").partition(".")
        if not expires.isdigit() or len(expires) > 12 or not signature:
            return False
        if not hmac.compare_digest(self._signature(file_id, int(expires)), signature):
            return False
        return int(expires) > (time.time() if now is None else now)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """Where a file went and what it is: `key` is opaque to everyone but the store."""

    key: str
    content_type: str
    size: int
    sha256: str
    # The client's name, sanitised (safe_filename): what a domain should store and show.
    filename: str = ""


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
    if kind.mime == "application/pdf" and _pdf_is_active(data):
        raise UploadActiveContent()
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
        # Random, not a time-ordered id: the key never reveals when or in which order files came.
        key = f"{today:%Y}/{today:%m}/{secrets.token_hex(16)}.{extension}"
        await asyncio.to_thread(self._write, self.root / key, data)
        return StoredFile(
            key=key,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            filename=safe_filename(filename, extension=extension),
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
