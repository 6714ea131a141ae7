"""Uploaded files: non-images are downloads in a sandbox, names are cleaned, active PDFs are refused."""

from __future__ import annotations

import zlib

import httpx

from services.community.models import CommunityFile
from tests.api.test_community_support import community_pair, headers_for, staff_of

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def _upload(
    client, settings, staff, name: str, data: bytes, kind: str = "attachment"
) -> httpx.Response:
    return await client.post(
        "/api/v1/community/uploads",
        params={"kind": kind},
        files={"file": (name, data, "application/octet-stream")},
        headers={**headers_for(staff, settings), "Accept-Language": "en"},
    )


async def test_files__pdf_is_served_as_a_sandboxed_attachment(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    uploaded = await _upload(client, settings, staff, "停水范围.pdf", PDF)
    assert uploaded.status_code == 201, uploaded.text
    fetched = await client.get(uploaded.json()["url"])
    assert fetched.status_code == 200 and fetched.content == PDF
    assert fetched.headers["content-security-policy"] == "sandbox"
    disposition = fetched.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%E5%81%9C" in disposition
    assert fetched.headers["x-content-type-options"] == "nosniff"


async def test_files__images_stay_inline_but_sandboxed(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    uploaded = await _upload(client, settings, staff, "pothole.png", PNG, kind="photo")
    assert uploaded.status_code == 201, uploaded.text
    fetched = await client.get(uploaded.json()["url"])
    assert fetched.headers["content-disposition"].startswith("inline;")
    assert fetched.headers["content-security-policy"] == "sandbox"


async def test_files__stored_name_is_sanitised(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    hostile = '../../etc/\u202epasswd\x01"<script>.exe'
    uploaded = await _upload(client, settings, staff, hostile, PDF)
    assert uploaded.status_code == 201, uploaded.text
    stored = await CommunityFile.get(id=uploaded.json()["id"])
    name = stored.filename
    assert "/" not in name and "\\" not in name and ".." not in name
    assert "\u202e" not in name and "\x01" not in name and '"' not in name and "<" not in name
    assert name.endswith(".pdf")  # the extension follows the content, not the claim
    assert uploaded.json()["name"] == name


async def test_files__pdf_with_javascript_is_refused(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    plain = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n%%EOF\n"
    # The same, hidden: the name spelled with #-escapes inside a compressed object stream.
    hidden_object = b"<</S/J#61vaScript/JS(app.alert(1))>>"
    hidden = (
        b"%PDF-1.5\n1 0 obj<</Type/ObjStm/Filter/FlateDecode/Length 99>>stream\n"
        + zlib.compress(hidden_object)
        + b"\nendstream endobj\n%%EOF\n"
    )
    for data in (plain, hidden):
        refused = await _upload(client, settings, staff, "notice.pdf", data)
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "upload.active_content"
    assert await CommunityFile.all().count() == 0
