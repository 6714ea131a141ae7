"""Uploaded files: non-images are downloads in a sandbox, names are cleaned, active PDFs are refused."""

from __future__ import annotations

import time
import zlib

import httpx

from services.common.ids import new_id
from services.common.storage import FileLinks
from services.community.models import CommunityFile, Notice
from tests.api.test_community_notices import notice
from tests.api.test_community_reports import report
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of, wechat_checks
from tests.api.test_open311_privacy import _report_with_photo

__all__ = ["wechat_checks"]

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


# ----------------------------------------------------------------- capability links (issue 11.12)


def _bare(url: str) -> str:
    return url.split("?", 1)[0]


async def test_files__bare_id_is_refused_the_same_whether_the_file_exists_or_not(
    client: httpx.AsyncClient, settings
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    uploaded = await _upload(client, settings, staff, "停水范围.pdf", PDF)
    assert uploaded.status_code == 201, uploaded.text
    url = uploaded.json()["url"]
    assert "?t=" in url
    existing = await client.get(_bare(url), headers={"Accept-Language": "en"})
    missing = await client.get(f"/api/v1/community/files/{new_id()}", headers={"Accept-Language": "en"})
    assert existing.status_code == missing.status_code == 403, existing.text
    for refused in (existing, missing):
        error = refused.json()["error"]
        assert error["code"] == "upload.link_invalid" and "expired" in error["message"]
        assert PDF not in refused.content
    zh = await client.get(_bare(url))
    assert zh.status_code == 403 and "链接" in zh.json()["error"]["message"]


async def test_files__forged_expired_or_other_files_token_is_refused(
    client: httpx.AsyncClient, settings
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    first = (await _upload(client, settings, staff, "a.pdf", PDF)).json()
    second = (await _upload(client, settings, staff, "b.png", PNG, kind="photo")).json()
    token = first["url"].split("?t=", 1)[1]
    assert (await client.get(f"{_bare(second['url'])}?t={token}")).status_code == 403
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert (await client.get(f"{_bare(first['url'])}?t={forged}")).status_code == 403
    expires, signature = token.split(".", 1)
    assert (await client.get(f"{_bare(first['url'])}?t={int(expires) + 3600}.{signature}")).status_code == 403
    # A link the server itself signed, but whose time is over.
    links = FileLinks.from_secret(settings.secret_key.get_secret_value(), ttl_s=settings.file_link_ttl_s)
    stale = links.url(_bare(first["url"]), first["id"], now=time.time() - 3 * settings.file_link_ttl_s)
    assert (await client.get(stale)).status_code == 403
    fresh = await client.get(first["url"])
    assert fresh.status_code == 200 and fresh.content == PDF
    # Private media is never kept by a browser or a proxy.
    assert fresh.headers["cache-control"] == "no-store"
    # A valid link for a file that is gone is a plain 404 (the link itself proves the id was handed out).
    await CommunityFile.filter(id=first["id"]).delete()
    gone = await client.get(first["url"], headers={"Accept-Language": "en"})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "upload.not_found"


async def test_files__every_url_the_api_returns_is_signed_and_works(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    staff, reporter = await staff_of(a), await resident(a)
    attachment = (await _upload(client, settings, staff, "停水.pdf", PDF)).json()
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(attachments=[{"file_id": attachment["id"], "name": "停水范围"}]),
        headers=headers_for(staff, settings),
    )
    assert created.status_code == 201, created.text
    photo = (await _upload(client, settings, reporter, "hole.png", PNG, kind="photo")).json()
    filed = await client.post(
        "/api/v1/community/reports",
        json=report(photos=[photo["id"]]),
        headers=headers_for(reporter, settings),
    )
    assert filed.status_code == 201, filed.text
    stored = await Notice.get(id=created.json()["id"])
    assert all("url" not in a for a in stored.attachments)  # a link expires; the row keeps none
    urls = [
        created.json()["attachments"][0]["url"],
        (await client.get(f"/api/v1/notices/{created.json()['id']}")).json()["attachments"][0]["url"],
        (await client.get(f"/api/v1/communities/{a.id}/notices")).json()["items"][0]["attachments"][0]["url"],
        filed.json()["photos"][0],
        (
            await client.get(
                f"/api/v1/community/reports/{filed.json()['id']}", headers=headers_for(staff, settings)
            )
        ).json()["photos"][0],
    ]
    for url in urls:
        assert "?t=" in url, url
        fetched = await client.get(url)
        assert fetched.status_code == 200, (url, fetched.text)
        assert (await client.get(_bare(url))).status_code == 403


async def test_open311_media__served_with_the_stored_type_and_download_headers(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    reporter, staff = await resident(a), await staff_of(a)
    filed = await _report_with_photo(client, settings, reporter)
    published = await client.post(
        f"/api/v1/staff/reports/{filed['id']}/publication",
        json={"description": False, "photos": True},
        headers=headers_for(staff, settings),
    )
    assert published.status_code == 200, published.text
    media = (await client.get(f"/open311/v2/requests/{filed['id']}.json")).json()[0]["media_url"]
    fetched = await client.get(media)
    assert fetched.status_code == 200 and fetched.content == PNG
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.headers["content-disposition"].startswith('inline; filename="hole.png"')
    assert fetched.headers["content-security-policy"] == "sandbox"
    assert fetched.headers["x-content-type-options"] == "nosniff"
    # Public while reviewed, but cached only briefly: withdrawing it takes effect within a minute.
    cache = fetched.headers["cache-control"]
    assert cache.startswith("public, max-age=") and 0 < int(cache.rsplit("=", 1)[1]) <= 60
    # Made private: the link stops working and the refusal is not cached either.
    await client.post(
        f"/api/v1/community/reports/{filed['id']}/privacy",
        json={"private": True},
        headers=headers_for(reporter, settings),
    )
    refused = await client.get(media)
    assert refused.status_code == 403 and refused.headers["cache-control"] == "no-store"
