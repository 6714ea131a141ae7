"""The local file store: type by content, size cap, safe keys."""

from __future__ import annotations

import hashlib

import pytest

from services.common.errors import NotFound
from services.common.storage import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    LocalFileStore,
    UploadEmpty,
    UploadTooLarge,
    UploadTypeNotAllowed,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n%binary\n1 0 obj<<>>endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


async def test_save__type_from_content_not_from_the_name(tmp_path) -> None:
    store = LocalFileStore(tmp_path)
    stored = await store.save(
        data=PNG, filename="totally-a.pdf", allowed_types=DOCUMENT_TYPES, max_bytes=1024
    )
    assert stored.content_type == "image/png"
    assert stored.key.endswith(".png")
    assert stored.size == len(PNG)
    assert stored.sha256 == hashlib.sha256(PNG).hexdigest()
    assert await store.read(stored.key) == PNG
    assert "totally" not in stored.key  # the client's name never becomes a path

    jpeg = await store.save(data=JPEG, filename="x", allowed_types=IMAGE_TYPES, max_bytes=1024)
    assert jpeg.content_type == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "allowed", "error"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, DOCUMENT_TYPES, UploadTypeNotAllowed),  # a Windows executable
        (b"<html><script>alert(1)</script></html>", DOCUMENT_TYPES, UploadTypeNotAllowed),
        (PDF, IMAGE_TYPES, UploadTypeNotAllowed),  # a PDF where only photos are allowed
        (b"PK\x03\x04" + b"\x00" * 100, DOCUMENT_TYPES, UploadTypeNotAllowed),  # a zip
        (b"", DOCUMENT_TYPES, UploadEmpty),
        (PDF + b"x" * 2000, DOCUMENT_TYPES, UploadTooLarge),
    ],
)
async def test_save__refuses_wrong_types_empty_and_too_large(tmp_path, data, allowed, error) -> None:
    store = LocalFileStore(tmp_path)
    with pytest.raises(error):
        await store.save(data=data, filename="scan.pdf", allowed_types=allowed, max_bytes=1024)
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


async def test_read__keys_cannot_walk_out_of_the_root(tmp_path) -> None:
    store = LocalFileStore(tmp_path / "uploads")
    (tmp_path / "secret.txt").write_text("no")
    for key in ("../secret.txt", "/etc/passwd", "2026/11/../../secret.txt", ""):
        with pytest.raises(NotFound):
            await store.read(key)
    stored = await store.save(data=PDF, filename="a.pdf", allowed_types=DOCUMENT_TYPES, max_bytes=1024)
    await store.delete(stored.key)
    with pytest.raises(NotFound):
        await store.read(stored.key)
